#!/usr/bin/env bash
# Renders a CohortLens HTML report with headless Chromium into PNG screenshots, at a desktop width
# (1280 px) and a phone width (400 px), so a person can check the layout.
#
#   Scripts/screenshot-report.sh REPORT.html [OUTDIR]
#
# Writes OUTDIR/<name>-1280.png and OUTDIR/<name>-400.png (OUTDIR defaults to the report's folder).
# Installs the Debian package `chromium` when no chromium is on PATH (apt-get, non-interactive;
# sudo when not root). Environment:
#   HEIGHT_1280, HEIGHT_400   viewport heights in px (default 12000 and 20000: tall enough for a
#                             full report; the page below the content is white)
#   CHROMIUM                  browser binary (default: chromium, chromium-browser or google-chrome)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 REPORT.html [OUTDIR]" >&2
  exit 64
fi
html=$1
if [ ! -f "$html" ]; then
  echo "$0: $html: no such file; render a report first (e.g. cohortlens audit --out report)" >&2
  exit 66
fi
outdir=${2:-$(dirname "$html")}
mkdir -p "$outdir"
name=$(basename "$html" .html)
abs_html=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" > /dev/null 2>&1; then browser=$candidate; break; fi
  done
fi
if [ -z "$browser" ]; then
  echo "Installing chromium (Debian package) ..." >&2
  sudo=""
  if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
  browser=chromium
fi

flags=(--headless --disable-gpu --hide-scrollbars --no-first-run --no-default-browser-check
       --disable-extensions --disable-background-networking --force-device-scale-factor=1
       --run-all-compositor-stages-before-draw --virtual-time-budget=5000)
if [ "$(id -u)" = "0" ]; then flags+=(--no-sandbox); fi

# A throw-away profile so runs do not depend on (or write to) the user's browser profile.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

shoot() {
  local width=$1 height=$2 png=$3
  "$browser" "${flags[@]}" --user-data-dir="$profile" --window-size="$width,$height" \
    --screenshot="$png" "file://$abs_html" > /dev/null 2>&1
  if [ ! -s "$png" ]; then
    echo "$0: chromium wrote no screenshot for width $width" >&2
    exit 70
  fi
  echo "$png"
}

shoot 1280 "${HEIGHT_1280:-12000}" "$outdir/$name-1280.png"
shoot 400 "${HEIGHT_400:-20000}" "$outdir/$name-400.png"
