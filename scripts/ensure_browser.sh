#!/usr/bin/env bash
# CI's browser tests drive Debian's Chromium through Playwright (no browser download). Install
# Chromium and a CJK font (so Chinese pages render in screenshots) when they are missing and this
# machine can install Debian packages; the tests fail (not skip) under CI=true otherwise.
set -uo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || missing+=(fonts-noto-cjk)
if ((${#missing[@]})) && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  echo "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null || echo "Chromium: not installed"
exit 0
