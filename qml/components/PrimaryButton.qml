import QtQuick
import QtQuick.Controls
import Glasswing

Button {
    id: root
    property bool accent: true
    font.pixelSize: 13
    contentItem: Text {
        text: root.text
        font: root.font
        color: root.accent ? Theme.accentText : Theme.text
        opacity: root.enabled ? 1 : 0.5
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        implicitHeight: 32
        implicitWidth: 72
        radius: 6
        color: root.accent ? (root.down ? Qt.darker(Theme.accent, 1.2) : Theme.accent)
                           : (root.hovered ? Theme.surfaceHover : Theme.surface)
        border.color: root.accent ? "transparent" : Theme.border
        opacity: root.enabled ? 1 : 0.5
    }
}
