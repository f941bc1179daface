import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// One message: its Markdown blocks, branch arrows (< 2/3 >) when it has siblings, its state when not
// complete, and its actions. It only presents; every action is a signal the chat view forwards.
Item {
    id: root
    required property int index
    required property string author
    // The row's roles as an object (model.text, ...): the whole text is read from it only where a user's
    // bubble is measured or an action is clicked. A `string` property would hold a copy on the JS heap,
    // renewed every frame while a reply streams: the garbage it leaves stalls the GUI thread (Qt 6.4's
    // collector stops it for tens of milliseconds).
    required property var model
    required property string status
    required property int siblingIndex
    required property int siblingCount
    required property var blocks  // BlockListModel (or any model with kind, text, language roles)
    required property string detail  // a reply's tokens, speed and device, or why it failed
    property bool busy: false     // a reply is being generated: no edits or regenerations meanwhile
    property bool canInspect: true  // a model is loaded: the attention view can read the message

    signal branchRequested(int step)
    signal copyRequested(string text)  // a code block's code
    signal copyMessageRequested(string text, bool reply)
    signal regenerateRequested()
    signal editRequested(string text)
    signal deleteRequested()
    signal attentionRequested()

    readonly property bool isUser: author === "user"
    property bool editing: false

    implicitHeight: card.implicitHeight + 18
    width: ListView.view ? ListView.view.width : implicitWidth

    // The natural width of a user's text, so short questions get a snug bubble.
    Text {
        id: measure
        visible: false
        text: root.isUser ? root.model.text : ""
        font.pixelSize: 14
    }

    Rectangle {
        id: card
        readonly property real maxWidth: Math.min(root.width - 40, Theme.maxMessageWidth)
        // A user's bubble hugs the text, but is never narrower than its row of actions.
        width: root.isUser ? Math.min(maxWidth * 0.8, Math.max(measure.implicitWidth + 30, actions.implicitWidth + 28, 140))
                           : maxWidth
        readonly property real columnX: (root.width - maxWidth) / 2
        x: root.isUser ? columnX + maxWidth - width : columnX
        anchors.top: parent.top
        anchors.topMargin: 9
        implicitHeight: content.implicitHeight + 24
        radius: 12
        color: root.isUser ? Theme.userBubble : "transparent"

        ColumnLayout {
            id: content
            x: 14
            y: 12
            width: parent.width - 28
            spacing: 8

            Text {
                visible: !root.isUser
                text: qsTr("Assistant")
                font.pixelSize: 12
                font.bold: true
                color: Theme.accent
            }

            Repeater {
                id: blockRepeater
                model: root.editing ? null : root.blocks
                delegate: Loader {
                    id: blockLoader
                    required property string kind
                                    required property string text
                    required property string language
                    required property bool open
                    required property int words
                    Layout.fillWidth: true
                    sourceComponent: kind === "code" ? codeBlock : kind === "reasoning" ? reasoningBlock : proseBlock
                    Component {
                        id: proseBlock
                        ProseBlock { text: blockLoader.text }
                    }
                    Component {
                        id: reasoningBlock
                        ReasoningBlock {
                            blockText: blockLoader.text
                            words: blockLoader.words
                            thinking: blockLoader.open
                        }
                    }
                    Component {
                        id: codeBlock
                        CodeBlock {
                            blockText: blockLoader.text
                            language: blockLoader.language
                            onCopyRequested: (code) => root.copyRequested(code)
                        }
                    }
                }
            }

            // Streaming placeholder before the first piece arrives.
            Text {
                visible: root.status === "streaming" && blockRepeater.count === 0
                text: "\u2026"
                color: Theme.mutedText
                font.pixelSize: 16
            }

            ColumnLayout {
                visible: root.editing
                Layout.fillWidth: true
                TextArea {
                    id: editArea
                    objectName: "editArea"
                    Layout.fillWidth: true
                    wrapMode: TextEdit.Wrap
                    color: Theme.text
                    background: Rectangle { color: Theme.surface; radius: 6; border.color: Theme.accent }
                }
                RowLayout {
                    Layout.alignment: Qt.AlignRight
                    PrimaryButton {
                        accent: false
                        text: qsTr("Cancel")
                        onClicked: root.editing = false
                    }
                    PrimaryButton {
                        objectName: "saveEditButton"
                        text: qsTr("Send")
                        enabled: editArea.text.trim().length > 0 && !root.busy
                        onClicked: {
                            root.editing = false
                            root.editRequested(editArea.text)
                        }
                    }
                }
            }

            Text {
                objectName: "failureReason"
                Layout.fillWidth: true
                Layout.preferredWidth: 0  // wrapped text: its width comes from the layout, not its length
                visible: root.status === "failed" && root.detail.length > 0
                text: root.detail
                wrapMode: Text.Wrap
                color: Theme.warning
                font.pixelSize: 12
            }

            Text {
                objectName: "stateLabel"
                visible: root.status === "interrupted" || root.status === "stopped" || root.status === "failed"
                text: root.status === "interrupted" ? qsTr("\u26a0 Interrupted: the app closed before this reply finished")
                    : root.status === "stopped" ? qsTr("Stopped")
                    : qsTr("\u26a0 Generation failed")
                color: root.status === "stopped" ? Theme.mutedText : Theme.warning
                font.pixelSize: 12
                font.italic: true
            }

            RowLayout {
                id: actions
                spacing: 2
                Layout.alignment: root.isUser ? Qt.AlignRight : Qt.AlignLeft
                visible: !root.editing && root.status !== "streaming"

                IconButton {
                    objectName: "previousBranch"
                    visible: root.siblingCount > 1
                    text: "\u2039"
                    font.pixelSize: 16
                    enabled: root.siblingIndex > 0 && !root.busy
                    onClicked: root.branchRequested(-1)
                }
                Text {
                    objectName: "branchLabel"
                    visible: root.siblingCount > 1
                    text: (root.siblingIndex + 1) + "/" + root.siblingCount
                    color: Theme.mutedText
                    font.pixelSize: 12
                }
                IconButton {
                    objectName: "nextBranch"
                    visible: root.siblingCount > 1
                    text: "\u203a"
                    font.pixelSize: 16
                    enabled: root.siblingIndex < root.siblingCount - 1 && !root.busy
                    onClicked: root.branchRequested(1)
                }
                IconButton {
                    objectName: "copyMessageButton"
                    text: qsTr("Copy")
                    tip: root.isUser ? qsTr("Copy the message") : qsTr("Copy the answer (without its reasoning)")
                    onClicked: root.copyMessageRequested(root.model.text, !root.isUser)
                }
                IconButton {
                    objectName: "editButton"
                    visible: root.isUser
                    enabled: !root.busy
                    text: qsTr("Edit")
                    tip: qsTr("Edit and resend (keeps the original as a branch)")
                    onClicked: {
                        editArea.text = root.model.text
                        root.editing = true
                        editArea.forceActiveFocus()
                    }
                }
                IconButton {
                    objectName: "regenerateButton"
                    visible: !root.isUser
                    enabled: !root.busy
                    text: qsTr("Regenerate")
                    tip: qsTr("Write another reply (keeps this one as a branch)")
                    onClicked: root.regenerateRequested()
                }
                IconButton {
                    objectName: "attentionButton"
                    visible: root.canInspect
                    enabled: !root.busy && blockRepeater.count > 0
                    text: qsTr("Attention")
                    tip: qsTr("See which earlier tokens each token of this message attended to, layer by layer and head by head")
                    onClicked: root.attentionRequested()
                }
                IconButton {
                    objectName: "deleteButton"
                    enabled: !root.busy
                    text: qsTr("Delete")
                    tip: qsTr("Delete this message and everything below it")
                    onClicked: root.deleteRequested()
                }
                Text {
                    objectName: "replyDetail"
                    visible: !root.isUser && root.status !== "failed" && root.detail.length > 0
                    Layout.leftMargin: 8
                    text: root.detail
                    color: Theme.mutedText
                    font.pixelSize: 11
                }
            }
        }
    }
}
