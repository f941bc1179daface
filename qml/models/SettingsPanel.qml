pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// Generation settings of the open conversation; saved with it.
ScrollView {
    id: root
    required property ChatController controller
    readonly property ConversationSettings settings: controller.settings
    contentWidth: availableWidth

    component Label_: Text {
        color: Theme.mutedText
        font.pixelSize: 12
    }
    component NumberField: TextField {
        id: field
        property real value
        property real minimum: 0
        property real maximum: 1e9
        property int decimals: 2
        signal edited(real value)
        text: decimals > 0 ? value.toFixed(decimals) : String(value)
        color: Theme.text
        font.pixelSize: 13
        horizontalAlignment: TextInput.AlignRight
        validator: DoubleValidator { bottom: field.minimum; top: field.maximum; decimals: field.decimals }
        background: Rectangle { radius: 5; color: Theme.surface; border.color: field.activeFocus ? Theme.accent : Theme.border }
        onEditingFinished: if (acceptableInput) edited(Number(text))
        Layout.preferredWidth: 110
    }

    ColumnLayout {
        width: root.availableWidth
        spacing: 8

        Label_ { text: qsTr("System prompt") }
        TextArea {
            objectName: "systemPrompt"
            Layout.fillWidth: true
            Layout.preferredHeight: 80
            wrapMode: TextEdit.Wrap
            text: root.settings.systemPrompt
            color: Theme.text
            font.pixelSize: 13
            placeholderText: qsTr("You are a helpful assistant.")
            placeholderTextColor: Theme.mutedText
            background: Rectangle { radius: 5; color: Theme.surface; border.color: Theme.border }
            onEditingFinished: root.settings.systemPrompt = text
        }
        GridLayout {
            Layout.fillWidth: true
            columns: 2
            columnSpacing: 10
            rowSpacing: 6

            Label_ { text: qsTr("Temperature"); Layout.fillWidth: true }
            NumberField { value: root.settings.temperature; maximum: 5; onEdited: (v) => root.settings.temperature = v }
            Label_ { text: qsTr("Top-k"); Layout.fillWidth: true }
            NumberField { value: root.settings.topK; decimals: 0; maximum: 100000; onEdited: (v) => root.settings.topK = v }
            Label_ { text: qsTr("Top-p"); Layout.fillWidth: true }
            NumberField { value: root.settings.topP; maximum: 1; onEdited: (v) => root.settings.topP = v }
            Label_ { text: qsTr("Min-p"); Layout.fillWidth: true }
            NumberField { value: root.settings.minP; maximum: 1; onEdited: (v) => root.settings.minP = v }
            Label_ { text: qsTr("Repetition penalty"); Layout.fillWidth: true }
            NumberField { value: root.settings.repetitionPenalty; minimum: 0.5; maximum: 3; onEdited: (v) => root.settings.repetitionPenalty = v }
            Label_ { text: qsTr("Seed (0 = random)"); Layout.fillWidth: true }
            NumberField { value: root.settings.seed; decimals: 0; maximum: 4294967295; onEdited: (v) => root.settings.seed = v }
            Label_ { text: qsTr("Max tokens"); Layout.fillWidth: true }
            NumberField { value: root.settings.maxTokens; decimals: 0; minimum: 1; maximum: 1000000; onEdited: (v) => root.settings.maxTokens = v }
            Label_ { text: qsTr("Context length (0 = model's)"); Layout.fillWidth: true }
            NumberField { value: root.settings.contextLength; decimals: 0; maximum: 1048576; onEdited: (v) => root.settings.contextLength = v }
            // Only where the model's chat template has the switch (Qwen3's enable_thinking).
            Label_ {
                visible: root.controller.modelHasThinkingSwitch
                text: qsTr("Think before answering")
                Layout.fillWidth: true
            }
            Switch {
                objectName: "thinkingSwitch"
                visible: root.controller.modelHasThinkingSwitch
                checked: root.settings.thinking
                onToggled: root.settings.thinking = checked
            }
            // Only where the template takes a reasoning effort (gpt-oss's reasoning_effort).
            Label_ {
                visible: root.controller.modelHasReasoningEffort
                text: qsTr("Reasoning effort")
                Layout.fillWidth: true
            }
            ComboBox {
                objectName: "reasoningEffort"
                visible: root.controller.modelHasReasoningEffort
                Layout.preferredWidth: 160
                model: ["low", "medium", "high"]
                currentIndex: Math.max(0, model.indexOf(root.settings.reasoningEffort))
                onActivated: (i) => root.settings.reasoningEffort = model[i]
            }
            Label_ { text: qsTr("Device"); Layout.fillWidth: true }
            ComboBox {
                Layout.preferredWidth: 160
                model: root.controller.devices
                currentIndex: Math.max(0, root.controller.devices.indexOf(root.settings.device))
                onActivated: (i) => root.settings.device = root.controller.devices[i]
            }
        }
        Label_ {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: qsTr("A device change takes effect when the model is loaded next.")
        }
    }
}
