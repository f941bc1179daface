pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// Conversations: new, search (full-text, with snippets), rename, delete.
Rectangle {
    id: root
    required property ChatController controller
    color: Theme.sidebar

    function focusSearch() {
        search.forceActiveFocus()
        search.selectAll()
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 10
        spacing: 10

        RowLayout {
            Layout.fillWidth: true
            Text {
                text: "Glasswing"
                font.pixelSize: 17
                font.weight: Font.DemiBold
                color: Theme.text
                Layout.fillWidth: true
            }
            PrimaryButton {
                objectName: "newChatButton"
                text: qsTr("+ New chat")
                onClicked: root.controller.newConversation()
            }
        }
        TextField {
            id: search
            objectName: "searchField"
            Layout.fillWidth: true
            placeholderText: qsTr("Search all chats")
            placeholderTextColor: Theme.mutedText
            color: Theme.text
            font.pixelSize: 13
            background: Rectangle { radius: 6; color: Theme.surface; border.color: search.activeFocus ? Theme.accent : Theme.border }
            onTextChanged: searchDelay.restart()
            Timer {
                id: searchDelay
                interval: 200
                onTriggered: root.controller.searchQuery = search.text
            }
        }
        ListView {
            id: list
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 2
            model: root.controller.conversations
            ScrollBar.vertical: ScrollBar {}
            delegate: ConversationDelegate {
                current: conversationId === root.controller.currentConversationId
                onClicked: messageId > 0 ? root.controller.openSearchHit(conversationId, messageId)
                                         : root.controller.selectConversation(conversationId)
                onRenameRequested: {
                    renameDialog.conversationId = conversationId
                    renameField.text = title
                    renameDialog.open()
                }
                onDeleteRequested: {
                    deleteDialog.conversationId = conversationId
                    deleteDialog.conversationTitle = title
                    deleteDialog.open()
                }
            }
            Text {
                anchors.centerIn: parent
                visible: list.count === 0
                text: root.controller.searchQuery.length > 0 ? qsTr("No matches") : qsTr("No conversations yet")
                color: Theme.mutedText
                font.pixelSize: 13
            }
        }
    }

    Dialog {
        id: renameDialog
        property var conversationId: 0
        parent: Overlay.overlay
        anchors.centerIn: parent
        modal: true
        title: qsTr("Rename conversation")
        standardButtons: Dialog.Ok | Dialog.Cancel
        TextField {
            id: renameField
            width: 300
            onAccepted: renameDialog.accept()
        }
        onAccepted: root.controller.renameConversation(conversationId, renameField.text)
    }
    Dialog {
        id: deleteDialog
        property var conversationId: 0
        property string conversationTitle
        parent: Overlay.overlay
        anchors.centerIn: parent
        modal: true
        title: qsTr("Delete \u201c%1\u201d?").arg(conversationTitle)
        standardButtons: Dialog.Yes | Dialog.No
        Label { text: qsTr("Every message and branch of this conversation is deleted.") }
        onAccepted: root.controller.deleteConversation(conversationId)
    }
}
