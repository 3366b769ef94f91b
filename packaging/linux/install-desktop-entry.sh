#!/bin/sh
# Adds DigitPad to your desktop's application menu (for you alone). Run it once from
# the unpacked DigitPad folder, and again if you move the folder; `--remove` takes the
# entry away again. The program itself needs no installing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data/applications"
icons="$data/icons/hicolor/512x512/apps"

if [ "${1:-}" = "--remove" ]; then
  rm -f "$apps/digitpad.desktop" "$icons/digitpad.png"
  echo "DigitPad is no longer in the menu."
  exit 0
fi
if [ ! -x "$here/DigitPad" ]; then
  echo "install-desktop-entry.sh: run it from the DigitPad folder (no DigitPad beside it)" >&2
  exit 1
fi

mkdir -p "$apps" "$icons"
cp "$here/_internal/resources/icons/digitpad.png" "$icons/digitpad.png"
tmp="$apps/.digitpad.desktop.$$"
cat > "$tmp" <<ENTRY
[Desktop Entry]
Type=Application
Name=DigitPad
GenericName=Handwritten digit recogniser
Comment=Draw or scan handwritten digits and read them
Exec="$here/DigitPad"
Icon=digitpad
Terminal=false
Categories=Graphics;Education;
StartupWMClass=DigitPad
ENTRY
mv "$tmp" "$apps/digitpad.desktop"  # whole or not at all
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
echo "DigitPad is in the menu now ($apps/digitpad.desktop)."
