import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// Model, device and backend (and why the CPU was used instead), context used/total, time to first token,
// prompt and generation speed; live while a reply streams.
Rectangle {
    id: root
    required property ChatController controller
    implicitHeight: 28
    color: Theme.sidebar
    Rectangle { width: parent.width; height: 1; color: Theme.border }

    component Item_: Text {
        color: Theme.mutedText
        font.pixelSize: 12
        elide: Text.ElideRight
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 12
        anchors.rightMargin: 12
        spacing: 18
        Item_ {
            objectName: "statusModel"
            text: root.controller.modelLoaded ? root.controller.modelFileName
                  : root.controller.modelLoading ? qsTr("Loading model\u2026") : qsTr("No model")
            color: Theme.text
        }
        ProgressBar {
            visible: root.controller.modelLoading
            from: 0; to: 1
            value: root.controller.loadProgress
            Layout.preferredWidth: 120
        }
        Item_ {
            visible: root.controller.modelLoaded
            text: root.controller.deviceName + " (" + root.controller.backendName + ")"
                  + (root.controller.fallbackReason.length > 0 ? " \u2014 " + root.controller.fallbackReason : "")
            color: root.controller.fallbackReason.length > 0 ? Theme.warning : Theme.mutedText
            Layout.maximumWidth: 380
        }
        Item_ {
            objectName: "statusContext"
            visible: root.controller.modelLoaded
            text: qsTr("context %1 / %2").arg(root.controller.contextUsed).arg(root.controller.contextTotal)
        }
        Item_ {
            objectName: "statusLeftOut"
            visible: root.controller.turnsLeftOut > 0
            text: root.controller.turnsLeftOut === 1 ? qsTr("1 early message left out")
                  : qsTr("%1 early messages left out").arg(root.controller.turnsLeftOut)
            color: Theme.warning
            ToolTip.visible: leftOutHover.hovered
            ToolTip.text: qsTr("The conversation is longer than the context: the model read the system prompt and the latest messages only. A larger context length (settings) keeps more.")
            HoverHandler { id: leftOutHover }
        }
        Item { Layout.fillWidth: true }
        Item_ {
            visible: root.controller.timeToFirstTokenMs > 0
            text: qsTr("first token %1 ms").arg(root.controller.timeToFirstTokenMs.toFixed(root.controller.timeToFirstTokenMs < 10 ? 1 : 0))
        }
        Item_ {
            visible: root.controller.promptTokensPerSecond > 0
            text: qsTr("prompt %1 tok/s").arg(root.controller.promptTokensPerSecond.toFixed(0))
        }
        Item_ {
            objectName: "statusSpeed"
            visible: root.controller.generationTokensPerSecond > 0
            text: qsTr("generation %1 tok/s").arg(root.controller.generationTokensPerSecond.toFixed(1))
            color: root.controller.generating ? Theme.accent : Theme.mutedText
        }
        Item_ {
            visible: root.controller.lastError.length > 0
            text: root.controller.lastError
            color: Theme.error
            Layout.maximumWidth: 300
        }
    }
}
