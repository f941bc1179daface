import QtQuick
import Glasswing

// One Markdown paragraph (or list, heading, quote) of a message. While a reply streams only the last block
// of the message changes, so only its layout is redone.
TextEdit {
    required property string blockText
    text: blockText
    textFormat: TextEdit.MarkdownText
    readOnly: true
    selectByMouse: true
    wrapMode: TextEdit.Wrap
    color: Theme.text
    selectionColor: Theme.selection
    selectedTextColor: Theme.text
    font.pixelSize: 14
}
