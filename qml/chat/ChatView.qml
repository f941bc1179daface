pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import Glasswing

// The open conversation: a virtualized ListView over MessageListModel. It follows the end while a reply
// streams unless the user has scrolled up.
ListView {
    id: root
    required property ChatController controller
    property bool followEnd: true

    model: controller.messages
    clip: true
    spacing: 2
    reuseItems: false
    cacheBuffer: 800
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    onContentHeightChanged: if (followEnd) Qt.callLater(root.positionViewAtEnd)
    onCountChanged: if (followEnd) Qt.callLater(root.positionViewAtEnd)
    onMovementEnded: followEnd = atYEnd
    Connections {
        target: root.controller
        function onCurrentConversationChanged() { root.followEnd = true }
        function onMessageFocused(row) {
            root.followEnd = false
            root.positionViewAtIndex(row, ListView.Center)
        }
    }

    delegate: MessageDelegate {
        busy: root.controller.generating
        canInspect: root.controller.modelLoaded
        onBranchRequested: (step) => root.controller.switchBranch(index, step)
        onCopyRequested: (text) => root.controller.copyText(text)
        onCopyMessageRequested: (text, reply) => root.controller.copyMessage(text, reply)
        onRegenerateRequested: root.controller.regenerate(index)
        onEditRequested: (text) => root.controller.editMessage(index, text)
        onDeleteRequested: root.controller.deleteMessage(index)
        onAttentionRequested: root.controller.inspectAttention(index)
    }

    Column {
        anchors.centerIn: parent
        visible: root.count === 0
        spacing: 10
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: "Glasswing"
            font.pixelSize: 28
            font.weight: Font.Light
            color: Theme.text
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            horizontalAlignment: Text.AlignHCenter
            width: Math.min(root.width - 40, 420)
            wrapMode: Text.Wrap
            text: root.controller.modelLoaded
                  ? qsTr("Ask %1 anything.").arg(root.controller.modelName)
                  : qsTr("Open a GGUF model from the panel on the right, or drop one onto the window.")
            color: Theme.mutedText
            font.pixelSize: 14
        }
    }
}
