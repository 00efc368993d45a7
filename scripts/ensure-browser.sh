#!/usr/bin/env bash
# Installs what the browser and OCR tests need from Debian when it is missing (needs root).
# Without root the browser tests are skipped with a message, except under CI=true where they fail.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-fra)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${need[*]} from Debian…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
    echo "apt-get install ${need[*]} failed" >&2; exit 1; }
else
  echo "Cannot install ${need[*]} (not root or no apt-get): the tests that need them will be skipped." >&2
  [ "${CI:-}" = "true" ] && { echo "CI=true: a missing browser is a failure." >&2; exit 1; }
fi
exit 0
