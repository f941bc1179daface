import QtQuick
import QtQuick.Layouts
import Glasswing

// A reasoning model's thinking (<think>…</think>), folded under a header line so the answer stays in front.
// While the model thinks it is unfolded and says so; once the answer starts it folds, unless the user has
// opened or closed it by hand.
Rectangle {
    id: root
    property alias blockText: body.text  // an alias holds no copy of the text on the JS heap
    required property int words      // counted by the block model, not split here every frame
    required property bool thinking  // no </think> yet
    property int userChoice: -1      // -1: follow `thinking`; 0: folded; 1: unfolded
    readonly property bool unfolded: userChoice < 0 ? thinking : userChoice === 1

    implicitHeight: column.implicitHeight
    radius: 6
    color: "transparent"
    border.color: Theme.border

    ColumnLayout {
        id: column
        width: parent.width
        spacing: 0
        Text {
            id: header
            objectName: "reasoningHeader"
            Layout.fillWidth: true
            Layout.margins: 8
            text: (root.unfolded ? "\u25be " : "\u25b8 ")
                  + (root.thinking ? qsTr("Thinking\u2026")
                                   : root.words === 1 ? qsTr("Reasoning (1 word)")
                                   : root.words > 1 ? qsTr("Reasoning (%1 words)").arg(root.words)
                                                    : qsTr("No reasoning"))
            color: Theme.mutedText
            font.pixelSize: 12
            font.italic: root.thinking
            MouseArea {
                anchors.fill: parent
                cursorShape: Qt.PointingHandCursor
                enabled: body.length > 0
                onClicked: root.userChoice = root.unfolded ? 0 : 1
            }
        }
        TextEdit {
            id: body
            objectName: "reasoningText"
            visible: root.unfolded && body.length > 0
            Layout.fillWidth: true
            Layout.leftMargin: 10
            Layout.rightMargin: 10
            Layout.bottomMargin: 8
            textFormat: TextEdit.PlainText
            readOnly: true
            selectByMouse: true
            wrapMode: TextEdit.Wrap
            color: Theme.mutedText
            selectionColor: Theme.selection
            font.pixelSize: 13
        }
    }
}
