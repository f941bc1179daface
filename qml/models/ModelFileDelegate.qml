import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// A GGUF file found on disk: what its header says, and why it cannot run when it cannot.
ItemDelegate {
    id: root
    required property string path
    required property string name
    required property string fileName
    required property string source
    required property string architecture
    required property string size
    required property string quantization
    required property var contextLength
    required property string parameters
    required property bool runnable
    required property string problem
    property bool current: false

    width: ListView.view ? ListView.view.width : implicitWidth
    enabled: runnable
    padding: 8
    background: Rectangle {
        radius: 6
        color: root.current ? Theme.selection : (root.hovered ? Theme.surfaceHover : "transparent")
        border.color: root.current ? Theme.accent : "transparent"
    }
    contentItem: ColumnLayout {
        spacing: 2
        Text {
            Layout.fillWidth: true
            text: root.fileName
            elide: Text.ElideMiddle
            font.pixelSize: 13
            font.bold: root.current
            color: root.runnable ? Theme.text : Theme.mutedText
        }
        Text {
            Layout.fillWidth: true
            text: [root.name !== root.fileName && root.name !== root.architecture ? root.name : "", root.architecture, root.parameters, root.quantization, root.size,
                   root.contextLength > 0 ? qsTr("ctx %1").arg(root.contextLength) : "", root.source]
                  .filter(s => s.length > 0).join(" \u00b7 ")
            elide: Text.ElideRight
            font.pixelSize: 11
            color: Theme.mutedText
        }
        Text {
            Layout.fillWidth: true
            visible: !root.runnable
            text: root.problem
            wrapMode: Text.Wrap
            font.pixelSize: 11
            color: Theme.warning
        }
    }
    ToolTip.visible: hovered
    ToolTip.delay: 800
    ToolTip.text: path
}
