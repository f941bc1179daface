pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Glasswing

// The main window: conversations on the left, the chat in the middle, model and settings on the right,
// the status bar below. Dropping a .gguf file anywhere loads it.
ApplicationWindow {
    id: window
    required property ChatController controller

    width: 1280
    height: 800
    minimumWidth: 820
    minimumHeight: 520
    visible: true
    title: controller.currentTitle.length > 0 ? controller.currentTitle + " \u2014 Glasswing" : "Glasswing"
    color: Theme.window

    palette.window: Theme.window
    palette.base: Theme.surface
    palette.text: Theme.text
    palette.windowText: Theme.text
    palette.button: Theme.surface
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.highlightedText: Theme.accentText
    palette.mid: Theme.border
    palette.light: Theme.surfaceHover
    palette.dark: Theme.border

    footer: StatusBar { controller: window.controller }

    // Keyboard: the usual desktop keys for a new chat, search, opening a model and stopping a reply.
    Shortcut {
        sequences: [StandardKey.New]
        onActivated: {
            window.controller.newConversation()
            composer.focusInput()
        }
    }
    Shortcut {
        sequences: [StandardKey.Find]
        onActivated: sidebar.focusSearch()
    }
    Shortcut {
        sequences: [StandardKey.Open]
        onActivated: {
            panel.visible = true
            tabs.currentIndex = 0
            modelPanel.openFileDialog()
        }
    }
    Shortcut {
        sequence: "Ctrl+L"
        onActivated: composer.focusInput()
    }
    Shortcut {
        sequence: "Esc"
        enabled: window.controller.generating
        onActivated: window.controller.stop()
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        Sidebar {
            id: sidebar
            Layout.preferredWidth: Theme.sidebarWidth
            Layout.fillHeight: true
            controller: window.controller
        }
        Rectangle { Layout.fillHeight: true; width: 1; color: Theme.border }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            RowLayout {
                Layout.fillWidth: true
                Layout.preferredHeight: 48
                Layout.leftMargin: 18
                Layout.rightMargin: 10
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 0
                    Text {
                        Layout.fillWidth: true
                        text: window.controller.currentTitle.length > 0 ? window.controller.currentTitle : qsTr("New chat")
                        elide: Text.ElideRight
                        font.pixelSize: 15
                        font.weight: Font.DemiBold
                        color: Theme.text
                    }
                    // The model this conversation last used; when it is not the loaded one, say so (the
                    // user decides whether to load it).
                    Text {
                        objectName: "conversationModel"
                        Layout.fillWidth: true
                        visible: window.controller.conversationModelName.length > 0
                        text: window.controller.conversationModelDiffers
                              ? qsTr("last used: %1").arg(window.controller.conversationModelName)
                              : window.controller.conversationModelName
                        elide: Text.ElideRight
                        font.pixelSize: 12
                        color: window.controller.conversationModelDiffers ? Theme.warning : Theme.mutedText
                    }
                }
                IconButton {
                    objectName: "openCompare"
                    text: qsTr("Compare")
                    tip: qsTr("Two prompts or settings side by side on the same model and seed")
                    enabled: window.controller.modelLoaded
                    onClicked: compareView.openFromChat()
                }
                IconButton {
                    objectName: "togglePanel"
                    text: panel.visible ? qsTr("Hide panel") : qsTr("Model & settings")
                    onClicked: panel.visible = !panel.visible
                }
            }
            Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }

            ChatView {
                Layout.fillWidth: true
                Layout.fillHeight: true
                controller: window.controller
            }

            Composer {
                id: composer
                Layout.fillWidth: true
                Layout.maximumWidth: Theme.maxMessageWidth
                Layout.alignment: Qt.AlignHCenter
                Layout.margins: 14
                modelLoaded: window.controller.modelLoaded
                generating: window.controller.generating
                onSendRequested: (text) => window.controller.send(text)
                onStopRequested: window.controller.stop()
            }
        }

        Rectangle { Layout.fillHeight: true; width: 1; color: Theme.border; visible: panel.visible }
        Rectangle {
            id: panel
            Layout.preferredWidth: Theme.panelWidth
            Layout.fillHeight: true
            color: Theme.panel
            ColumnLayout {
                anchors.fill: parent
                anchors.margins: 12
                spacing: 10
                TabBar {
                    id: tabs
                    objectName: "panelTabs"
                    Layout.fillWidth: true
                    background: null
                    PanelTab { text: qsTr("Model") }
                    PanelTab { text: qsTr("Settings") }
                }
                StackLayout {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    currentIndex: tabs.currentIndex
                    ModelPanel {
                        id: modelPanel
                        controller: window.controller
                    }
                    SettingsPanel { controller: window.controller }
                }
            }
        }
    }

    AttentionView {
        inspector: window.controller.attention
    }
    CompareView {
        id: compareView
        objectName: "compareView"
        controller: window.controller
    }

    DropArea {
        id: drop
        anchors.fill: parent
        keys: ["text/uri-list"]
        onDropped: (event) => {
            if (event.hasUrls && event.urls.length > 0) window.controller.loadModel(event.urls[0].toString())
        }
        Rectangle {
            anchors.fill: parent
            visible: drop.containsDrag
            color: Qt.rgba(Theme.accent.r, Theme.accent.g, Theme.accent.b, 0.12)
            border.color: Theme.accent
            border.width: 2
            Text {
                anchors.centerIn: parent
                text: qsTr("Drop a GGUF model to load it")
                color: Theme.accent
                font.pixelSize: 18
            }
        }
    }
}
