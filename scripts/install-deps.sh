#!/usr/bin/env bash
# Installs every Debian (bookworm) package Glasswing needs to build, test and run.
# Idempotent: packages already present are skipped and apt-get update runs at most once.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev git ccache
  nlohmann-json3-dev
  # engine
  libvulkan-dev vulkan-tools mesa-vulkan-drivers vulkan-validationlayers glslang-tools spirv-tools
  libpcre2-dev
  # storage
  libsqlite3-dev sqlite3
  # tests
  catch2 xvfb xauth x11-utils imagemagick
  # app (Qt 6.4)
  qt6-base-dev qt6-base-dev-tools qt6-declarative-dev qt6-declarative-dev-tools qt6-tools-dev
  qt6-tools-dev-tools libgl-dev libglx-dev libxkbcommon-dev
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-dialogs qml6-module-qtqml-workerscript
  qml6-module-qtquick-templates qml6-module-qttest qml6-module-qtquick-shapes
  qml6-module-qt-labs-platform qml6-module-qt-labs-settings qml6-module-qt-labs-folderlistmodel
  qml6-module-qtqml-models qml6-module-qtcore qt6-qpa-plugins fonts-dejavu-core
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: not root and sudo is missing; run as root" >&2; exit 1; fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
