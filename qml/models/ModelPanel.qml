pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Glasswing

// The loaded model, "Open GGUF…", and the GGUF files found in LM Studio, GPT4All, Hugging Face, Ollama
// and ~/models folders.
ColumnLayout {
    id: root
    required property ChatController controller

    function openFileDialog() { fileDialog.open() }
    spacing: 10

    Rectangle {
        Layout.fillWidth: true
        implicitHeight: current.implicitHeight + 20
        radius: Theme.radius
        color: Theme.surface
        border.color: Theme.border
        ColumnLayout {
            id: current
            x: 10; y: 10
            width: parent.width - 20
            spacing: 4
            Text {
                text: qsTr("Model")
                font.pixelSize: 11
                color: Theme.mutedText
            }
            Text {
                Layout.fillWidth: true
                text: root.controller.modelLoaded ? root.controller.modelFileName
                      : root.controller.modelLoading ? qsTr("Loading\u2026") : qsTr("No model loaded")
                elide: Text.ElideMiddle
                font.pixelSize: 15
                font.weight: Font.DemiBold
                color: Theme.text
            }
            ProgressBar {
                objectName: "loadProgress"
                Layout.fillWidth: true
                visible: root.controller.modelLoading
                from: 0; to: 1
                value: root.controller.loadProgress
                indeterminate: root.controller.loadProgress <= 0
            }
            Text {
                Layout.fillWidth: true
                visible: root.controller.modelLoaded
                text: root.controller.modelName + " \u00b7 " + root.controller.deviceName
                elide: Text.ElideRight
                font.pixelSize: 12
                color: Theme.mutedText
            }
            Text {
                Layout.fillWidth: true
                visible: root.controller.modelError.length > 0
                text: root.controller.modelError
                wrapMode: Text.Wrap
                font.pixelSize: 12
                color: Theme.error
            }
            PrimaryButton {
                objectName: "openModelButton"
                Layout.topMargin: 4
                text: qsTr("Open GGUF\u2026")
                enabled: !root.controller.modelLoading
                onClicked: fileDialog.open()
            }
        }
    }

    RowLayout {
        Layout.fillWidth: true
        Text {
            Layout.fillWidth: true
            text: qsTr("Models on this computer")
            font.pixelSize: 12
            font.bold: true
            color: Theme.text
        }
        BusyIndicator {
            visible: root.controller.modelFiles.scanning
            running: visible
            implicitWidth: 20; implicitHeight: 20
        }
        IconButton {
            text: qsTr("Rescan")
            enabled: !root.controller.modelFiles.scanning
            onClicked: root.controller.rescanModels()
        }
    }
    ListView {
        id: files
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        spacing: 2
        model: root.controller.modelFiles
        ScrollBar.vertical: ScrollBar {}
        delegate: ModelFileDelegate {
            current: path === root.controller.modelPath
            onClicked: root.controller.loadModel(path)
        }
        Text {
            anchors.fill: parent
            anchors.margins: 8
            visible: files.count === 0 && !root.controller.modelFiles.scanning
            text: qsTr("No GGUF files found in ~/.lmstudio, ~/.cache/lm-studio, GPT4All, the Hugging Face cache, Ollama or ~/models. Open one, or drop it onto the window.")
            wrapMode: Text.Wrap
            color: Theme.mutedText
            font.pixelSize: 12
        }
    }

    FileDialog {
        id: fileDialog
        title: qsTr("Open a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: root.controller.loadModel(selectedFile.toString())
    }
}
