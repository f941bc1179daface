pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Glasswing

// The attention view of one message: every (layer, head) of the model summarised over the message's tokens
// (left; a click picks a head), and the chosen head's map (right): one row per token of the message, one
// column per token it can see, brighter where it looks more. Hovering names the tokens and the probability;
// clicking a row keeps its strongest keys listed below. Everything it shows comes from AttentionInspector.
Popup {
    id: root
    required property AttentionInspector inspector
    property int pinnedRow: -1  // a clicked row of the map; its strongest keys stay listed

    readonly property int hoverRow: mapItem.hoveredRow
    readonly property int listedRow: hoverRow >= 0 ? hoverRow : pinnedRow
    readonly property var metricNames: [qsTr("entropy (nats)"), qsTr("largest probability"),
                                        qsTr("attention to the first token")]

    parent: Overlay.overlay
    anchors.centerIn: parent
    width: parent ? parent.width - 48 : 800
    height: parent ? parent.height - 48 : 600
    modal: true
    focus: true
    padding: 16
    visible: inspector.active
    onClosed: inspector.close()
    Connections {
        target: root.inspector
        function onSelectionChanged() { root.pinnedRow = -1 }
    }

    FileDialog {
        id: saveDialog
        title: qsTr("Save the attention map")
        fileMode: FileDialog.SaveFile
        defaultSuffix: "csv"
        nameFilters: [qsTr("CSV files (*.csv)"), qsTr("All files (*)")]
        onAccepted: root.inspector.saveMap(selectedFile)
    }

    background: Rectangle {
        color: Theme.panel
        radius: 10
        border.color: Theme.border
    }

    contentItem: ColumnLayout {
        spacing: 10

        RowLayout {
            Layout.fillWidth: true
            spacing: 12
            Text {
                text: qsTr("Attention")
                font.pixelSize: 17
                font.weight: Font.DemiBold
                color: Theme.text
            }
            Text {
                objectName: "attentionSummary"
                Layout.fillWidth: true
                visible: root.inspector.layers > 0
                elide: Text.ElideRight
                text: qsTr("%1: %2 tokens, after %3 tokens of conversation \u00b7 %4 layers \u00d7 %5 heads (%6 KV heads)")
                      .arg(root.inspector.messageRole === "user" ? qsTr("Your message") : qsTr("Reply"))
                      .arg(root.inspector.messageEnd - root.inspector.messageBegin)
                      .arg(root.inspector.messageBegin)
                      .arg(root.inspector.layers).arg(root.inspector.heads).arg(root.inspector.kvHeads)
                      + (root.inspector.turnsLeftOut > 0
                         ? qsTr(" \u00b7 the %1 earliest messages did not fit the context").arg(root.inspector.turnsLeftOut) : "")
                color: Theme.mutedText
                font.pixelSize: 13
            }
            Item {  // keeps the controls on the right while there is no summary yet
                Layout.fillWidth: true
                visible: root.inspector.layers === 0
            }
            Text {
                text: qsTr("Colour heads by")
                color: Theme.mutedText
                font.pixelSize: 12
            }
            ComboBox {
                objectName: "metricBox"
                implicitWidth: 210
                model: root.metricNames
                currentIndex: root.inspector.metric
                onActivated: (index) => root.inspector.metric = index
            }
            IconButton {
                objectName: "closeAttention"
                text: qsTr("Close")
                onClicked: root.close()
            }
        }

        Text {
            objectName: "attentionError"
            Layout.fillWidth: true
            Layout.preferredWidth: 0  // wrapped text: its width comes from the layout, not its length
            visible: root.inspector.error.length > 0
            text: qsTr("Cannot show attention: %1").arg(root.inspector.error)
            wrapMode: Text.Wrap
            color: Theme.error
            font.pixelSize: 13
        }

        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            visible: root.inspector.busy
            BusyIndicator { running: root.inspector.busy }
            Text {
                text: qsTr("Reading the conversation up to this message\u2026")
                color: Theme.mutedText
                font.pixelSize: 13
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: !root.inspector.busy && root.inspector.layers > 0
            spacing: 20

            // Overview: rows are layers (0 at the top), columns heads.
            ColumnLayout {
                id: overviewColumn
                Layout.preferredWidth: 300
                Layout.maximumWidth: 300
                Layout.fillHeight: true
                spacing: 6
                readonly property real cell: Math.max(4, Math.min(28, 300 / Math.max(1, root.inspector.heads)))

                Text {
                    text: qsTr("Heads")
                    font.pixelSize: 14
                    font.weight: Font.DemiBold
                    color: Theme.text
                }
                Text {
                    Layout.fillWidth: true
                    text: qsTr("Rows: layers 0\u2013%1 (top to bottom). Columns: heads 0\u2013%2. Over the message's first %3 tokens.")
                          .arg(root.inspector.layers - 1).arg(root.inspector.heads - 1)
                          .arg(root.inspector.overviewEnd - root.inspector.messageBegin)
                    wrapMode: Text.Wrap
                    color: Theme.mutedText
                    font.pixelSize: 12
                }
                HeatmapItem {
                    id: overviewItem
                    objectName: "overviewHeatmap"
                    // Square cells from the width; very deep models get flatter ones.
                    Layout.preferredWidth: overviewColumn.cell * root.inspector.heads
                    Layout.preferredHeight: overviewColumn.cell * root.inspector.layers
                    Layout.maximumHeight: 420
                    matrix: root.inspector.overview
                    selectedRow: root.inspector.selectedLayer
                    selectedColumn: root.inspector.selectedHead
                    selectionColor: Theme.accent
                    onClicked: (row, column) => root.inspector.selectHead(row, column)
                }
                Text {
                    objectName: "headDescription"
                    Layout.fillWidth: true
                    readonly property bool hovering: overviewItem.hoveredRow >= 0
                    text: root.inspector.headDescription(hovering ? overviewItem.hoveredRow : root.inspector.selectedLayer,
                                                         hovering ? overviewItem.hoveredColumn : root.inspector.selectedHead)
                    wrapMode: Text.Wrap
                    color: hovering ? Theme.text : Theme.mutedText
                    font.pixelSize: 12
                }
                Text {
                    Layout.fillWidth: true
                    text: qsTr("Colour: %1, dark %2 to bright %3")
                          .arg(root.metricNames[root.inspector.metric])
                          .arg(root.inspector.overview.low.toFixed(2)).arg(root.inspector.overview.high.toFixed(2))
                    wrapMode: Text.Wrap
                    color: Theme.mutedText
                    font.pixelSize: 12
                }
                Item { Layout.fillHeight: true }
            }

            // The chosen head's map.
            ColumnLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: 6

                RowLayout {
                    Text {
                        objectName: "mapTitle"
                        text: qsTr("Layer %1, head %2").arg(root.inspector.selectedLayer).arg(root.inspector.selectedHead)
                        font.pixelSize: 14
                        font.weight: Font.DemiBold
                        color: Theme.text
                    }
                    BusyIndicator {  // always laid out (it draws nothing when not running): no re-layout per head
                        Layout.preferredWidth: 22
                        Layout.preferredHeight: 22
                        running: root.inspector.mapBusy
                    }
                    Item { Layout.fillWidth: true }
                    // A message longer than a map's rows (512) is shown a page at a time.
                    IconButton {
                        objectName: "earlierRows"
                        visible: root.inspector.messageEnd - root.inspector.messageBegin > 512
                        enabled: !root.inspector.mapBusy && root.inspector.mapQueryBegin > root.inspector.messageBegin
                        text: qsTr("\u2039 Earlier tokens")
                        onClicked: root.inspector.showRows(root.inspector.mapQueryBegin - root.inspector.messageBegin - 512)
                    }
                    IconButton {
                        objectName: "laterRows"
                        visible: root.inspector.messageEnd - root.inspector.messageBegin > 512
                        enabled: !root.inspector.mapBusy && root.inspector.mapQueryEnd < root.inspector.messageEnd
                        text: qsTr("Later tokens \u203a")
                        onClicked: root.inspector.showRows(root.inspector.mapQueryEnd - root.inspector.messageBegin)
                    }
                    Text {
                        id: saveStatus
                        objectName: "saveStatus"
                        Layout.maximumWidth: 420
                        elide: Text.ElideMiddle
                        color: Theme.mutedText
                        font.pixelSize: 12
                        Connections {
                            target: root.inspector
                            function onMapSaved(path) { saveStatus.text = qsTr("Saved %1").arg(path) }
                            function onMapSaveFailed(message) { saveStatus.text = qsTr("Not saved: %1").arg(message) }
                            function onSelectionChanged() { saveStatus.text = "" }
                        }
                    }
                    IconButton {
                        objectName: "saveMap"
                        text: qsTr("Save as CSV\u2026")
                        tip: qsTr("This head's map as CSV: a row per token of the message, a column per key (the format of glasswing-cli attention)")
                        enabled: !root.inspector.mapBusy && root.inspector.map.rows > 0
                        onClicked: saveDialog.open()
                    }
                }
                Text {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 0  // wrapped text: its width comes from the layout, not its length
                    text: qsTr("Rows: the message's tokens %1\u2013%2 (queries). Columns: the tokens each can see, from the start of the conversation (keys). Brighter means more attention (square-root scale, brightest %3).")
                          .arg(root.inspector.mapQueryBegin).arg(root.inspector.mapQueryEnd - 1)
                          .arg(root.inspector.map.high.toFixed(3))
                    wrapMode: Text.Wrap
                    color: Theme.mutedText
                    font.pixelSize: 12
                }
                Rectangle {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    color: Theme.codeBackground
                    border.color: Theme.border
                    HeatmapItem {
                        id: mapItem
                        objectName: "mapHeatmap"
                        anchors.fill: parent
                        anchors.margins: 1
                        matrix: root.inspector.map
                        gamma: 0.5
                        zoomable: true
                        selectedRow: root.pinnedRow
                        selectionColor: Theme.accent
                        onClicked: (row, column) => root.pinnedRow = (root.pinnedRow === row ? -1 : row)
                    }
                }
                CheckBox {
                    objectName: "scaleWithoutFirst"
                    text: qsTr("Colour scale without the first token (where many heads park their attention)")
                    checked: root.inspector.scaleWithoutFirstToken
                    onToggled: root.inspector.scaleWithoutFirstToken = checked
                    font.pixelSize: 12
                    padding: 0
                }
                Text {
                    objectName: "mapKeys"
                    Layout.fillWidth: true
                    text: qsTr("Keys %1\u2013%2 of %3 \u00b7 the wheel zooms, Shift+wheel pans, a double click shows all")
                          .arg(root.inspector.mapKeyBegin + mapItem.viewColumnBegin)
                          .arg(root.inspector.mapKeyBegin + mapItem.viewColumnEnd - 1)
                          .arg(root.inspector.mapKeyEnd - root.inspector.mapKeyBegin)
                    elide: Text.ElideRight
                    color: Theme.mutedText
                    font.pixelSize: 12
                }
                Text {
                    objectName: "mapHover"
                    Layout.fillWidth: true
                    text: mapItem.hoveredRow < 0 ? qsTr("Hover over the map to read it; click a row to keep its strongest keys listed.")
                          : isNaN(mapItem.hoveredValue)
                            ? qsTr("\u201c%1\u201d (position %2) cannot see position %3: it comes later")
                              .arg(root.inspector.tokenText(root.inspector.mapQueryBegin + mapItem.hoveredRow))
                              .arg(root.inspector.mapQueryBegin + mapItem.hoveredRow)
                              .arg(root.inspector.mapKeyBegin + mapItem.hoveredColumn)
                            : qsTr("\u201c%1\u201d (position %2) \u2192 \u201c%3\u201d (position %4): %5")
                              .arg(root.inspector.tokenText(root.inspector.mapQueryBegin + mapItem.hoveredRow))
                              .arg(root.inspector.mapQueryBegin + mapItem.hoveredRow)
                              .arg(root.inspector.tokenText(root.inspector.mapKeyBegin + mapItem.hoveredColumn))
                              .arg(root.inspector.mapKeyBegin + mapItem.hoveredColumn)
                              .arg(mapItem.hoveredValue.toFixed(4))
                    elide: Text.ElideRight
                    color: mapItem.hoveredRow < 0 ? Theme.mutedText : Theme.text
                    font.pixelSize: 12
                }
                // The conversation shaded by where the row looks (updated a moment after the mouse rests, so
                // that sweeping over the map does not re-lay out thousands of tokens per pixel).
                Timer {
                    id: textDelay
                    interval: 80
                    onTriggered: attendedText.row = root.listedRow
                }
                Connections {
                    target: root
                    function onListedRowChanged() { textDelay.restart() }
                }
                Flickable {
                    id: attendedView
                    Layout.fillWidth: true
                    Layout.preferredWidth: 0
                    Layout.preferredHeight: 130
                    clip: true
                    contentWidth: width
                    contentHeight: attendedText.height
                    boundsBehavior: Flickable.StopAtBounds
                    ScrollBar.vertical: ScrollBar {}
                    TextEdit {
                        id: attendedText
                        objectName: "attendedText"
                        property int row: -1
                        width: attendedView.width - 12
                        readOnly: true
                        selectByMouse: false
                        textFormat: TextEdit.RichText
                        wrapMode: TextEdit.Wrap
                        text: row < 0 || root.listedRow < 0 ? ""
                              : root.inspector.attendedText(row, Theme.attentionHighlight, Theme.panel)
                        color: Theme.text
                        font.pixelSize: 13
                        // Bring the row's own token into sight, a third of the way down.
                        // (after the new text is laid out and the view knows its height).
                        onTextChanged: Qt.callLater(scrollToRow)
                        function scrollToRow() {
                            const offset = root.inspector.attendedTextOffset(row)
                            if (offset < 0) return
                            const r = positionToRectangle(offset)
                            attendedView.contentY = Math.max(0, Math.min(r.y - attendedView.height / 3,
                                                                         attendedView.contentHeight - attendedView.height))
                        }
                    }
                }
                // Below the map, everything keeps its size whatever is hovered: the map's size decides which
                // cell is under a resting mouse, so a size that followed the hovered cell could oscillate.
                Text {
                    objectName: "topKeys"
                    Layout.fillWidth: true
                    Layout.preferredWidth: 0  // wrapped text: its width comes from the layout, not its length
                    Layout.preferredHeight: 2 * fontMetrics.lineSpacing
                    maximumLineCount: 2
                    elide: Text.ElideRight
                    FontMetrics {
                        id: fontMetrics
                        font.pixelSize: 12
                        font.family: Theme.monoFont
                    }
                    text: {
                        if (root.listedRow < 0) return ""
                        const keys = root.inspector.topKeys(root.listedRow, 8)
                        let parts = []
                        for (const k of keys)
                            parts.push("\u201c" + k.token + "\u201d\u00a0" + k.probability.toFixed(3))
                        return qsTr("\u201c%1\u201d looks most at: %2")
                               .arg(root.inspector.tokenText(root.inspector.mapQueryBegin + root.listedRow))
                               .arg(parts.join(",  "))
                    }
                    wrapMode: Text.Wrap
                    color: Theme.text
                    font.pixelSize: 12
                    font.family: Theme.monoFont
                }
            }
        }
    }
}
