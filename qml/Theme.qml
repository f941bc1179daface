pragma Singleton
import QtQuick
import Glasswing

// Colours, sizes and fonts. Light or dark follows the system (see SystemTheme).
QtObject {
    readonly property SystemTheme system: SystemTheme {}
    readonly property bool dark: system.dark

    readonly property color window: dark ? "#17181c" : "#f6f7f9"
    readonly property color sidebar: dark ? "#1e2026" : "#eceef2"
    readonly property color panel: dark ? "#1e2026" : "#ffffff"
    readonly property color surface: dark ? "#25282f" : "#ffffff"
    readonly property color surfaceHover: dark ? "#2d3039" : "#f0f2f5"
    readonly property color selection: dark ? "#323a4f" : "#dfe6f7"
    readonly property color border: dark ? "#30333b" : "#dcdfe5"
    readonly property color text: dark ? "#e6e7ea" : "#1c1e23"
    readonly property color mutedText: dark ? "#9a9ea8" : "#666b76"
    readonly property color accent: dark ? "#7aa2ff" : "#3461d1"
    readonly property color accentText: dark ? "#10131c" : "#ffffff"
    readonly property color userBubble: dark ? "#2b3550" : "#e4ebfb"
    readonly property color codeBackground: dark ? "#111216" : "#f3f4f7"
    readonly property color warning: dark ? "#f0b35a" : "#b26a00"
    readonly property color error: dark ? "#ff7b7b" : "#c62828"
    readonly property color attentionHighlight: dark ? "#b07a1c" : "#ffc94d"  // text shaded by attention

    readonly property int radius: 8
    readonly property int spacing: 8
    readonly property int sidebarWidth: 264
    readonly property int panelWidth: 330
    readonly property int maxMessageWidth: 820
    readonly property string monoFont: "monospace"
}
