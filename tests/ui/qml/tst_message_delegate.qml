import QtQuick
import QtTest
import Glasswing

Item {
    width: 900
    height: 600

    ListModel {
        id: replyBlocks
        ListElement { kind: "prose"; text: "Here is **code**:"; language: ""; open: false; words: 3 }
        ListElement { kind: "code"; text: "x = 1"; language: "python"; open: false; words: 3 }
    }

    MessageDelegate {
        id: reply
        width: 900
        index: 1
        author: "assistant"
        model: ({ text: "Here is **code**:\n\n```python\nx = 1\n```" })
        status: "complete"
        siblingIndex: 1
        siblingCount: 3
        blocks: replyBlocks
        detail: "42 tokens \u00b7 35.1 tok/s \u00b7 CPU, 2 threads"
    }
    MessageDelegate {
        id: question
        y: 300
        width: 900
        index: 0
        author: "user"
        model: ({ text: "Write code" })
        status: "complete"
        siblingIndex: 0
        siblingCount: 1
        blocks: ListModel { ListElement { kind: "prose"; text: "Write code"; language: ""; open: false; words: 2 } }
        detail: ""
    }
    ListModel {
        id: thinkingBlocks
        ListElement { kind: "reasoning"; text: "Two plus two."; language: ""; open: false; words: 3 }
        ListElement { kind: "prose"; text: "Four."; language: ""; open: false; words: 1 }
    }
    MessageDelegate {
        id: thoughtReply
        y: 400
        width: 900
        index: 3
        author: "assistant"
        model: ({ text: "<think>\nTwo plus two.\n</think>\n\nFour." })
        status: "complete"
        siblingIndex: 0
        siblingCount: 1
        blocks: thinkingBlocks
        detail: ""
    }
    SignalSpy { id: branch; target: reply; signalName: "branchRequested" }
    SignalSpy { id: copied; target: reply; signalName: "copyRequested" }
    SignalSpy { id: copiedMessage; target: thoughtReply; signalName: "copyMessageRequested" }
    SignalSpy { id: regenerated; target: reply; signalName: "regenerateRequested" }
    SignalSpy { id: edited; target: question; signalName: "editRequested" }
    SignalSpy { id: inspectedReply; target: reply; signalName: "attentionRequested" }
    SignalSpy { id: inspectedQuestion; target: question; signalName: "attentionRequested" }

    TestCase {
        name: "MessageDelegate"
        when: windowShown

        function test_branch_arrows() {
            compare(findChild(reply, "branchLabel").text, "2/3")
            verify(findChild(reply, "branchLabel").visible)
            verify(!findChild(question, "branchLabel").visible)
            mouseClick(findChild(reply, "previousBranch"))
            compare(branch.count, 1)
            compare(branch.signalArguments[0][0], -1)
            mouseClick(findChild(reply, "nextBranch"))
            compare(branch.signalArguments[1][0], 1)
        }

        function test_reasoning_folds_once_the_answer_starts() {
            const header = findChild(thoughtReply, "reasoningHeader")
            const body = findChild(thoughtReply, "reasoningText")
            verify(header && body)
            compare(header.text, "\u25b8 Reasoning (3 words)")
            verify(!body.visible)
            mouseClick(header)
            verify(body.visible)
            compare(body.text, "Two plus two.")
            compare(header.text.substring(0, 1), "\u25be")
            mouseClick(header)
            verify(!body.visible)
            // while the model still thinks the block is open and unfolded
            thinkingBlocks.setProperty(0, "open", true)
            const header2 = findChild(thoughtReply, "reasoningHeader")
            verify(header2.text.indexOf("Thinking") >= 0)
        }

        function test_copy_a_reply_as_a_reply() {
            mouseClick(findChild(thoughtReply, "copyMessageButton"))
            compare(copiedMessage.count, 1)
            compare(copiedMessage.signalArguments[0][0], "<think>\nTwo plus two.\n</think>\n\nFour.")
            compare(copiedMessage.signalArguments[0][1], true)  // the controller leaves its reasoning out
        }

        function test_code_block_copy_button() {
            const button = findChild(reply, "copyCodeButton")
            verify(button)
            mouseClick(button)
            compare(copied.count, 1)
            compare(copied.signalArguments[0][0], "x = 1")
        }

        function test_regenerate_only_on_replies() {
            verify(findChild(reply, "regenerateButton").visible)
            verify(!findChild(question, "regenerateButton").visible)
            mouseClick(findChild(reply, "regenerateButton"))
            compare(regenerated.count, 1)
        }

        function test_attention_on_every_message_when_a_model_is_loaded() {
            mouseClick(findChild(reply, "attentionButton"))
            compare(inspectedReply.count, 1)
            mouseClick(findChild(question, "attentionButton"))
            compare(inspectedQuestion.count, 1)
            reply.busy = true  // not while a reply is being written: the caches are in use
            verify(!findChild(reply, "attentionButton").enabled)
            reply.busy = false
            reply.canInspect = false  // no model loaded
            verify(!findChild(reply, "attentionButton").visible)
            reply.canInspect = true
        }

        function test_user_bubble_holds_its_actions() {
            // A short question's bubble is still wide enough for Copy, Edit, Attention and Delete.
            const button = findChild(question, "deleteButton")  // the last of them
            let bubble = button.parent
            while (bubble && bubble.radius !== 12) bubble = bubble.parent
            verify(bubble, "no bubble")
            const right = button.mapToItem(bubble, button.width, 0).x
            verify(right <= bubble.width, "actions end at " + right + " in a bubble of " + bubble.width)
        }

        function test_reply_detail_and_failure_reason() {
            verify(findChild(reply, "replyDetail").visible)
            compare(findChild(reply, "replyDetail").text, "42 tokens \u00b7 35.1 tok/s \u00b7 CPU, 2 threads")
            verify(!findChild(question, "replyDetail").visible)
            verify(!findChild(reply, "failureReason").visible)
            reply.status = "failed"
            reply.detail = "VK_ERROR_DEVICE_LOST: the GPU was lost"
            verify(findChild(reply, "failureReason").visible)
            verify(!findChild(reply, "replyDetail").visible)
            reply.status = "complete"
            reply.detail = "42 tokens \u00b7 35.1 tok/s \u00b7 CPU, 2 threads"
        }

        function test_busy_disables_branch_actions() {
            reply.busy = true
            verify(!findChild(reply, "regenerateButton").enabled)
            verify(!findChild(reply, "previousBranch").enabled)
            reply.busy = false
        }

        function test_edit_sends_new_text() {
            mouseClick(findChild(question, "editButton"))
            verify(question.editing)
            const area = findChild(question, "editArea")
            compare(area.text, "Write code")
            area.text = "Write a poem"
            mouseClick(findChild(question, "saveEditButton"))
            compare(edited.count, 1)
            compare(edited.signalArguments[0][0], "Write a poem")
            verify(!question.editing)
        }

        function test_interrupted_state_is_shown() {
            const label = findChild(reply, "stateLabel")
            verify(!label.visible)
            reply.status = "interrupted"
            verify(label.visible)
            verify(label.text.indexOf("Interrupted") >= 0)
            reply.status = "complete"
        }
    }
}
