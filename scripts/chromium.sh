#!/usr/bin/env bash
# The browser tests (tests/e2e) drive a system Chromium through Playwright; this makes sure there is one.
#
#   scripts/chromium.sh          print the Chromium to use; install Debian's/Ubuntu's package if missing
#
# Called by `make test` before any test runs. It finds `chromium` or `chromium-browser` on PATH, or the
# binary named by $CHROMIUM. Missing on Debian/Ubuntu, as root or with password-less sudo, it installs the
# system package (`apt-get install chromium`); anywhere else it stops with one message saying what to
# install and how. It never downloads a browser build of its own (no `playwright install`).
set -euo pipefail

find_chromium() {
  if [ -n "${CHROMIUM:-}" ]; then
    [ -x "$CHROMIUM" ] && { echo "$CHROMIUM"; return 0; }
    command -v "$CHROMIUM" 2>/dev/null && return 0
    return 1
  fi
  command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null
}

works() { "$1" --version >/dev/null 2>&1; }

give_up() {
  cat >&2 <<MSG
make test: the browser tests need Chromium, and it could not be installed here ($1).
Install it, then run make test again:
  Debian, Ubuntu:  sudo apt-get install chromium   (Ubuntu without that package: sudo snap install chromium)
  Fedora:          sudo dnf install chromium
  Arch:            sudo pacman -S chromium
  macOS:           brew install --cask chromium, then
                   make test CHROMIUM=/Applications/Chromium.app/Contents/MacOS/Chromium
Any Chromium or Chrome works: put it on PATH as chromium, or name it with CHROMIUM=/path/to/it.
make test-fast runs every other test without a browser.
MSG
  exit 1
}

if found=$(find_chromium) && works "$found"; then
  echo "$found"
  exit 0
fi
[ -n "${CHROMIUM:-}" ] && give_up "CHROMIUM=$CHROMIUM is not a working browser"

[ -r /etc/os-release ] && . /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
  *" debian "* | *" ubuntu "*) ;;
  *) give_up "not a Debian or Ubuntu system, so its package manager is not known here" ;;
esac
command -v apt-get >/dev/null 2>&1 || give_up "apt-get is missing"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  give_up "installing a system package needs root or password-less sudo"
fi

echo "make test: installing the system's Chromium for the browser tests (apt-get install chromium)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 || give_up "apt-get update failed"
"${sudo[@]}" apt-get install -y -qq chromium >/dev/null || give_up "apt-get install chromium failed"
if found=$(find_chromium) && works "$found"; then
  echo "$found"
  exit 0
fi
give_up "apt-get installed a chromium package, but no working chromium is on PATH"
