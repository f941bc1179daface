import QtQuick
import QtTest
import Glasswing

Item {
    width: 600
    height: 200

    Composer {
        id: composer
        width: 500
    }
    SignalSpy { id: sent; target: composer; signalName: "sendRequested" }
    SignalSpy { id: stopped; target: composer; signalName: "stopRequested" }

    TestCase {
        name: "Composer"
        when: windowShown

        function input() { return findChild(composer, "composerInput") }
        function button() { return findChild(composer, "sendButton") }

        function init() {
            composer.modelLoaded = true
            composer.generating = false
            composer.text = ""
            sent.clear()
            stopped.clear()
        }

        function test_disabled_without_model() {
            composer.modelLoaded = false
            verify(!input().enabled)
            composer.text = "hello"
            verify(!composer.canSend)
            verify(!button().enabled)
            verify(!composer.submit())
            compare(sent.count, 0)
        }

        function test_enter_sends_and_clears() {
            input().forceActiveFocus()
            keyClick(Qt.Key_H)
            keyClick(Qt.Key_I)
            keyClick(Qt.Key_Return)
            compare(sent.count, 1)
            compare(sent.signalArguments[0][0], "hi")
            compare(composer.text, "")
        }

        function test_shift_enter_inserts_newline() {
            input().forceActiveFocus()
            keyClick(Qt.Key_A)
            keyClick(Qt.Key_Return, Qt.ShiftModifier)
            keyClick(Qt.Key_B)
            compare(sent.count, 0)
            compare(composer.text, "a\nb")
        }

        function test_blank_text_is_not_sent() {
            input().forceActiveFocus()
            keyClick(Qt.Key_Space)
            keyClick(Qt.Key_Return)
            compare(sent.count, 0)
        }

        function test_button_stops_while_generating() {
            composer.generating = true
            compare(button().text, "Stop")
            verify(button().enabled)
            mouseClick(button())
            compare(stopped.count, 1)
            compare(sent.count, 0)
        }
    }
}
