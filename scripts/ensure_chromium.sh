#!/usr/bin/env bash
# Make sure Debian's chromium is at /usr/bin/chromium for the browser tests.
# Playwright's own browser download is never used (and is blocked where CI runs).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

echo ">>> /usr/bin/chromium is missing: installing Debian's chromium with apt-get"
$sudo_cmd apt-get update
# fonts-liberation: readable text in screenshots on a minimal system.
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y chromium fonts-liberation
test -x /usr/bin/chromium
