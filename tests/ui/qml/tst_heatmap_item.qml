import QtQuick
import QtTest
import Glasswing

Item {
    width: 300
    height: 200

    HeatmapMatrix { id: matrix }
    HeatmapItem {
        id: heatmap
        x: 10
        y: 10
        width: 160
        height: 80
        matrix: matrix
    }
    SignalSpy { id: clicks; target: heatmap; signalName: "clicked" }

    TestCase {
        name: "HeatmapItem"
        when: windowShown

        // 4 x 8 zeros with 0.5 at (2, 5) and the maximum, 1, at (0, 7); each cell is 20 x 20 px.
        function init() {
            var values = []
            for (var i = 0; i < 32; ++i)
                values.push(i === 2 * 8 + 5 ? 0.5 : i === 7 ? 1.0 : 0.0)
            matrix.setValues(4, 8, values, 0, 1)
            clicks.clear()
            mouseMove(heatmap, 250, 150)  // start outside
        }

        function luma(c) { return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b }

        function test_matrix_filled_from_qml() {
            compare(matrix.rows, 4)
            compare(matrix.columns, 8)
            compare(matrix.value(2, 5), 0.5)
            verify(isNaN(matrix.value(4, 0)))
            compare(heatmap.rowAt(45), 2)
            compare(heatmap.columnAt(105), 5)
        }

        function test_hover_reports_the_cell() {
            mouseMove(heatmap, 5 * 20 + 10, 2 * 20 + 10)
            tryCompare(heatmap, "hoveredRow", 2)
            compare(heatmap.hoveredColumn, 5)
            compare(heatmap.hoveredValue, 0.5)
            mouseMove(heatmap, 0 * 20 + 5, 3 * 20 + 5)
            tryCompare(heatmap, "hoveredRow", 3)
            compare(heatmap.hoveredColumn, 0)
            compare(heatmap.hoveredValue, 0)
        }

        function test_leaving_resets_the_hover() {
            mouseMove(heatmap, 110, 50)
            tryCompare(heatmap, "hoveredRow", 2)
            mouseMove(heatmap, 200, 50)  // right of the item
            tryCompare(heatmap, "hoveredRow", -1)
            compare(heatmap.hoveredColumn, -1)
            verify(isNaN(heatmap.hoveredValue))
        }

        function test_click_emits_the_cell() {
            mouseClick(heatmap, 5 * 20 + 10, 2 * 20 + 10)
            compare(clicks.count, 1)
            compare(clicks.signalArguments[0][0], 2)
            compare(clicks.signalArguments[0][1], 5)
        }

        function test_brightest_cell_is_brightest_pixel() {
            waitForRendering(heatmap)
            var image = grabImage(heatmap)
            var peak = image.pixel(7 * 20 + 10, 10)
            var half = image.pixel(5 * 20 + 10, 2 * 20 + 10)
            var zero = image.pixel(10, 10)
            verify(luma(peak) > luma(half), "peak " + peak + " half " + half)
            verify(luma(half) > luma(zero), "half " + half + " zero " + zero)
        }

        function test_wheel_zooms_only_when_zoomable() {
            mouseWheel(heatmap, 5 * 20 + 10, 10, 0, 120)
            compare(heatmap.viewColumnEnd - heatmap.viewColumnBegin, 8)  // not zoomable: unchanged
            heatmap.zoomable = true
            heatmap.resetZoom()
            // 8 columns are already the fewest shown; a notch out keeps all 8, Shift+wheel has nothing to pan.
            mouseWheel(heatmap, 5 * 20 + 10, 10, 0, 120)
            compare(heatmap.viewColumnEnd - heatmap.viewColumnBegin, 8)
            mouseWheel(heatmap, 5 * 20 + 10, 10, 0, 120, Qt.NoButton, Qt.ShiftModifier)
            compare(heatmap.viewColumnBegin, 0)
            // A wider matrix: a notch in shows fewer columns, the one under the mouse stays under it.
            var values = []
            for (var i = 0; i < 4 * 80; ++i) values.push(0)
            matrix.setValues(4, 80, values, 0, 1)
            compare(heatmap.viewColumnEnd, 80)
            compare(heatmap.columnAt(130), 65)
            mouseWheel(heatmap, 130, 10, 0, 120)
            verify(heatmap.viewColumnEnd - heatmap.viewColumnBegin < 80)
            compare(heatmap.columnAt(130), 65)
            mouseMove(heatmap, 130, 10)
            compare(heatmap.hoveredColumn, 65)  // hover keeps matrix indices
            mouseDoubleClickSequence(heatmap, 130, 10)
            compare(heatmap.viewColumnBegin, 0)
            compare(heatmap.viewColumnEnd, 80)
            heatmap.zoomable = false
        }

        function test_selection_outline_is_drawn() {
            heatmap.selectionColor = "red"
            heatmap.selectedRow = 1
            heatmap.selectedColumn = 2
            waitForRendering(heatmap)
            var image = grabImage(heatmap)
            // The 2 px outline lies inside the cell's edge; the cell's centre keeps its colour.
            var edge = image.pixel(2 * 20 + 1, 1 * 20 + 10)
            verify(edge.r > 0.9 && edge.g < 0.1 && edge.b < 0.1, "edge " + edge)
            var centre = image.pixel(2 * 20 + 10, 1 * 20 + 10)
            verify(centre.r < 0.9 || centre.g > 0.1, "centre " + centre)
            heatmap.selectedRow = -1
            heatmap.selectedColumn = -1
        }
    }
}
