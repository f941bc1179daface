import QtQuick
import QtQuick.Controls
import Glasswing

// A small flat text button for message actions and toolbars.
ToolButton {
    id: root
    property string tip: ""
    font.pixelSize: 12
    padding: 4
    contentItem: Text {
        text: root.text
        font: root.font
        color: root.enabled ? (root.hovered ? Theme.accent : Theme.mutedText) : Theme.border
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        radius: 4
        color: root.down ? Theme.selection : (root.hovered ? Theme.surfaceHover : "transparent")
    }
    ToolTip.visible: tip.length > 0 && hovered
    ToolTip.delay: 600
    ToolTip.text: tip
}
