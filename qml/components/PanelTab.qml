import QtQuick
import QtQuick.Controls
import Glasswing

// A tab of the right-hand panel: text with an accent underline when selected.
TabButton {
    id: root
    font.pixelSize: 13
    contentItem: Text {
        text: root.text
        font.pixelSize: root.font.pixelSize
        font.weight: root.checked ? Font.DemiBold : Font.Normal
        color: root.checked ? Theme.text : Theme.mutedText
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Item {
        implicitHeight: 34
        Rectangle {
            anchors.bottom: parent.bottom
            width: parent.width
            height: root.checked ? 2 : 1
            color: root.checked ? Theme.accent : Theme.border
        }
    }
}
