import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// One sidebar row: a conversation, or a search hit with its snippet.
ItemDelegate {
    id: root
    required property int index
    required property var conversationId
    required property var messageId  // search hits only
    required property string title
    required property string snippet
    required property string modelName  // the model it last used; "" for search hits and unrecorded ones
    property bool current: false
    signal renameRequested()
    signal deleteRequested()

    width: ListView.view ? ListView.view.width : implicitWidth
    padding: 10
    background: Rectangle {
        radius: 6
        color: root.current ? Theme.selection : (root.hovered ? Theme.surfaceHover : "transparent")
    }
    contentItem: ColumnLayout {
        spacing: 2
        RowLayout {
            Layout.fillWidth: true
            Text {
                Layout.fillWidth: true
                text: root.title
                elide: Text.ElideRight
                color: Theme.text
                font.pixelSize: 13
            }
            IconButton {
                objectName: "conversationMenuButton"
                visible: root.hovered || root.current
                text: "\u22ef"
                onClicked: menu.popup()
            }
        }
        Text {
            objectName: "conversationModelName"
            Layout.fillWidth: true
            visible: root.snippet.length === 0 && root.modelName.length > 0
            text: root.modelName
            elide: Text.ElideRight
            color: Theme.mutedText
            font.pixelSize: 11
        }
        Text {
            Layout.fillWidth: true
            visible: root.snippet.length > 0
            text: root.snippet
            textFormat: Text.StyledText
            wrapMode: Text.Wrap
            maximumLineCount: 3
            elide: Text.ElideRight
            color: Theme.mutedText
            font.pixelSize: 12
        }
    }
    Menu {
        id: menu
        MenuItem { text: qsTr("Rename\u2026"); onTriggered: root.renameRequested() }
        MenuItem { text: qsTr("Delete"); onTriggered: root.deleteRequested() }
    }
}
