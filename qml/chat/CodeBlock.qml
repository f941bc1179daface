import QtQuick
import QtQuick.Layouts
import Glasswing

// A fenced code block: monospace, its language, and a copy button.
Rectangle {
    id: root
    property alias blockText: code.text  // an alias holds no copy of the text on the JS heap
    required property string language
    signal copyRequested(string text)

    implicitHeight: column.implicitHeight
    radius: 6
    color: Theme.codeBackground
    border.color: Theme.border

    ColumnLayout {
        id: column
        width: parent.width
        spacing: 0
        RowLayout {
            Layout.fillWidth: true
            Layout.leftMargin: 10
            Layout.rightMargin: 4
            Text {
                text: root.language.length > 0 ? root.language : qsTr("code")
                color: Theme.mutedText
                font.pixelSize: 11
                Layout.fillWidth: true
            }
            IconButton {
                objectName: "copyCodeButton"
                text: qsTr("Copy")
                tip: qsTr("Copy this code")
                onClicked: root.copyRequested(root.blockText)
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
        TextEdit {
            id: code
            Layout.fillWidth: true
            Layout.margins: 10
            textFormat: TextEdit.PlainText
            readOnly: true
            selectByMouse: true
            wrapMode: TextEdit.WrapAnywhere
            font.family: Theme.monoFont
            font.pixelSize: 13
            color: Theme.text
            selectionColor: Theme.selection
        }
    }
}
