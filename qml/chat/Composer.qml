import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// Multi-line input: Enter sends, Shift+Enter starts a new line. Disabled while no model is loaded; while a
// reply streams the send button becomes Stop.
Rectangle {
    id: root
    property bool modelLoaded: false
    property bool generating: false
    property alias text: input.text
    signal sendRequested(string text)
    signal stopRequested()

    readonly property bool canSend: modelLoaded && !generating && input.text.trim().length > 0

    function focusInput() { input.forceActiveFocus() }

    function submit() {
        if (!canSend) return false
        const t = input.text
        input.text = ""
        sendRequested(t)
        return true
    }

    implicitHeight: Math.min(row.implicitHeight + 20, 220)
    color: Theme.surface
    radius: 12
    border.color: input.activeFocus ? Theme.accent : Theme.border

    RowLayout {
        id: row
        anchors.fill: parent
        anchors.margins: 10
        spacing: 8
        ScrollView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.minimumHeight: 24
            TextArea {
                id: input
                objectName: "composerInput"
                enabled: root.modelLoaded
                wrapMode: TextEdit.Wrap
                font.pixelSize: 14
                color: Theme.text
                placeholderText: root.modelLoaded ? qsTr("Message (Enter to send, Shift+Enter for a new line)")
                                                  : qsTr("Load a model to start chatting")
                placeholderTextColor: Theme.mutedText
                background: null
                Keys.onPressed: (event) => {
                    if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                            && !(event.modifiers & Qt.ShiftModifier)) {
                        root.submit()
                        event.accepted = true
                    }
                }
            }
        }
        PrimaryButton {
            objectName: "sendButton"
            Layout.alignment: Qt.AlignBottom
            text: root.generating ? qsTr("Stop") : qsTr("Send")
            enabled: root.generating || root.canSend
            onClicked: root.generating ? root.stopRequested() : root.submit()
        }
    }
}
