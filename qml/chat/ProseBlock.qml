import QtQuick
import Glasswing

// One Markdown paragraph (or list, heading, quote) of a message. While a reply streams only the last block
// of the message changes, so only its layout is redone. Its text is set straight on the TextEdit: no QML
// string property in between to copy it onto the JS heap every frame.
TextEdit {
    textFormat: TextEdit.MarkdownText
    readOnly: true
    selectByMouse: true
    wrapMode: TextEdit.Wrap
    color: Theme.text
    selectionColor: Theme.selection
    selectedTextColor: Theme.text
    font.pixelSize: 14
}
