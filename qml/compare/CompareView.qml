pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// Side-by-side comparison: two prompts (or the same prompt with another system prompt or temperature) answered
// by the loaded model with the same seed, a token of each in turn, and where the replies first part. The
// other sampling settings are the conversation's. Where they part, the view shows what the model rated most
// likely at that step on each side. Everything it shows comes from CompareController.
Popup {
    id: root
    required property ChatController controller
    readonly property CompareController compare: controller.compare

    parent: Overlay.overlay
    anchors.centerIn: parent
    width: parent ? parent.width - 48 : 900
    height: parent ? parent.height - 48 : 640
    modal: true
    focus: true
    padding: 16
    onClosed: compare.stop()
    // Opened from the chat: empty prompts start from the conversation's last question and system prompt.
    function openFromChat() {
        if (inputA.prompt.length === 0) {
            inputA.prompt = controller.lastUserText()
            inputA.system = controller.settings.systemPrompt
        }
        if (inputB.prompt.length === 0) {
            inputB.prompt = inputA.prompt
            inputB.system = inputA.system
        }
        open()
    }

    background: Rectangle {
        color: Theme.panel
        radius: 10
        border.color: Theme.border
    }

    // One side's inputs: prompt, system prompt and temperature.
    component SideInputs: ColumnLayout {
        id: side
        property string label
        property alias prompt: promptArea.text
        property alias system: systemField.text
        property alias temperature: temperatureField.text
        spacing: 6
        Text {
            text: side.label
            font.pixelSize: 14
            font.weight: Font.DemiBold
            color: Theme.accent
        }
        ScrollView {
            Layout.fillWidth: true
            Layout.preferredHeight: 84
            TextArea {
                id: promptArea
                objectName: "prompt" + side.label
                placeholderText: qsTr("Prompt")
                placeholderTextColor: Theme.mutedText
                wrapMode: TextEdit.Wrap
                color: Theme.text
                background: Rectangle { color: Theme.surface; radius: 6; border.color: Theme.border }
            }
        }
        RowLayout {
            Layout.fillWidth: true
            TextField {
                id: systemField
                Layout.fillWidth: true
                placeholderText: qsTr("System prompt (optional)")
                placeholderTextColor: Theme.mutedText
                color: Theme.text
            }
            Text {
                text: qsTr("Temperature")
                color: Theme.mutedText
                font.pixelSize: 12
            }
            TextField {
                id: temperatureField
                objectName: "temperature" + side.label
                implicitWidth: 64
                text: root.controller.settings.temperature.toFixed(2)
                validator: DoubleValidator { bottom: 0; top: 5; decimals: 2; notation: DoubleValidator.StandardNotation }
                color: Theme.text
            }
        }
    }

    // One side's reply: the shared part muted, the first different token marked.
    component SideOutput: ColumnLayout {
        id: out
        property int side
        property string status
        spacing: 4
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: Theme.surface
            radius: 6
            border.color: Theme.border
            ScrollView {
                id: replyScroll
                anchors.fill: parent
                anchors.margins: 8
                clip: true
                TextEdit {
                    id: reply
                    objectName: "reply" + out.side
                    width: replyScroll.availableWidth
                    readOnly: true
                    selectByMouse: true
                    wrapMode: TextEdit.Wrap
                    textFormat: TextEdit.RichText
                    color: Theme.text
                    font.pixelSize: 14
                    function refresh() {
                        text = root.compare.richText(out.side, Theme.mutedText, Theme.attentionHighlight)
                    }
                    Component.onCompleted: refresh()
                    // textChanged comes at most once per frame while tokens stream.
                    Connections {
                        target: root.compare
                        function onTextChanged() { reply.refresh() }
                    }
                }
            }
        }
        Text {
            Layout.fillWidth: true
            text: out.status
            color: Theme.mutedText
            font.pixelSize: 12
            elide: Text.ElideRight
        }
    }

    contentItem: ColumnLayout {
        spacing: 10

        RowLayout {
            Layout.fillWidth: true
            Text {
                text: qsTr("Compare")
                font.pixelSize: 17
                font.weight: Font.DemiBold
                color: Theme.text
            }
            Text {
                Layout.fillWidth: true
                text: qsTr("Same model, same seed: two prompts, system prompts or temperatures, answered a token of each in turn.")
                elide: Text.ElideRight
                color: Theme.mutedText
                font.pixelSize: 13
            }
            IconButton {
                objectName: "closeCompare"
                text: qsTr("Close")
                onClicked: root.close()
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 20
            SideInputs {
                id: inputA
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                label: "A"
            }
            SideInputs {
                id: inputB
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                label: "B"
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            IconButton {
                text: qsTr("Copy A to B")
                tip: qsTr("Start B from A's prompt and system prompt, then change one thing")
                onClicked: {
                    inputB.prompt = inputA.prompt
                    inputB.system = inputA.system
                }
            }
            Item { Layout.fillWidth: true }
            Text { text: qsTr("Seed"); color: Theme.mutedText; font.pixelSize: 12 }
            TextField {
                id: seedField
                objectName: "compareSeed"
                implicitWidth: 90
                text: "42"
                validator: IntValidator { bottom: 0 }
                color: Theme.text
            }
            Text { text: qsTr("Max tokens"); color: Theme.mutedText; font.pixelSize: 12 }
            TextField {
                id: maxTokensField
                objectName: "compareMaxTokens"
                implicitWidth: 70
                text: "200"
                validator: IntValidator { bottom: 1; top: 8192 }
                color: Theme.text
            }
            PrimaryButton {
                objectName: "runCompare"
                text: root.compare.running ? qsTr("Stop") : qsTr("Run")
                enabled: root.compare.running || (root.controller.modelLoaded && !root.controller.generating
                                                  && inputA.prompt.trim().length > 0 && inputB.prompt.trim().length > 0)
                onClicked: {
                    if (root.compare.running)
                        root.compare.stop()
                    else
                        root.compare.run(inputA.prompt, inputB.prompt, inputA.system, inputB.system,
                                         Number(inputA.temperature), Number(inputB.temperature),
                                         parseInt(seedField.text), parseInt(maxTokensField.text))
                }
            }
        }

        Text {
            objectName: "compareError"
            Layout.fillWidth: true
            Layout.preferredWidth: 0  // wrapped text: its width comes from the layout, not its length
            visible: root.compare.error.length > 0
            text: qsTr("Cannot compare: %1").arg(root.compare.error)
            wrapMode: Text.Wrap
            color: Theme.error
            font.pixelSize: 13
        }
        Text {
            objectName: "compareSummary"
            Layout.fillWidth: true
            Layout.preferredWidth: 0  // wrapped text: its width comes from the layout, not its length
            text: root.compare.summary
            wrapMode: Text.Wrap
            color: Theme.text
            font.pixelSize: 13
            font.weight: Font.DemiBold
        }
        Text {
            objectName: "divergenceDetail"
            Layout.fillWidth: true
            Layout.preferredWidth: 0  // wrapped text: its width comes from the layout, not its length
            visible: text.length > 0
            text: root.compare.divergenceDetail
            wrapMode: Text.Wrap
            color: Theme.mutedText
            font.pixelSize: 12
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 20
            SideOutput {
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredWidth: 1
                side: 0
                status: root.compare.statusA
            }
            SideOutput {
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredWidth: 1
                side: 1
                status: root.compare.statusB
            }
        }
    }
}
