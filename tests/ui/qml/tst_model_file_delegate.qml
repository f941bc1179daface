import QtQuick
import QtTest
import Glasswing

Item {
    width: 400
    height: 300

    ModelFileDelegate {
        id: runnable
        width: 380
        path: "/models/stories260K.gguf"
        name: "llama"
        fileName: "stories260K.gguf"
        source: "~/models"
        architecture: "llama"
        size: "1 MiB"
        quantization: "F32"
        contextLength: 2048
        parameters: "293 K"
        runnable: true
        problem: ""
    }
    ModelFileDelegate {
        id: refused
        y: 120
        width: 380
        path: "/models/phi.gguf"
        name: "Phi"
        fileName: "phi.gguf"
        source: "LM Studio"
        architecture: "phi2"
        size: "1.6 GiB"
        quantization: "Q4_K_M"
        contextLength: 2048
        parameters: "2.8 B"
        runnable: false
        problem: "architecture 'phi2' is not supported"
    }
    SignalSpy { id: clicks; target: refused; signalName: "clicked" }

    TestCase {
        name: "ModelFileDelegate"
        when: windowShown

        function texts(item) {
            let out = []
            for (let i = 0; i < item.contentItem.children.length; ++i) {
                const child = item.contentItem.children[i]
                if (child.visible && child.text !== undefined) out.push(child.text)
            }
            return out
        }

        function test_runnable_model_shows_its_header_facts() {
            const t = texts(runnable)
            compare(t[0], "stories260K.gguf")
            compare(t[1], "llama \u00b7 293 K \u00b7 F32 \u00b7 1 MiB \u00b7 ctx 2048 \u00b7 ~/models")
            compare(t.length, 2)  // no problem line
            verify(runnable.enabled)
        }

        function test_model_that_cannot_run_says_why_and_cannot_be_picked() {
            const t = texts(refused)
            compare(t[2], "architecture 'phi2' is not supported")
            verify(t[1].indexOf("Phi \u00b7 phi2") === 0)
            verify(!refused.enabled)
            mouseClick(refused)
            compare(clicks.count, 0)
        }
    }
}
