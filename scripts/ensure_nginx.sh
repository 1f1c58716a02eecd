#!/usr/bin/env bash
# Make sure Debian's nginx is at /usr/sbin/nginx for the hosting tests (tests/deploy/test_nginx.py
# starts its own nginx on loopback ports with a private prefix; the system service is not used).
set -euo pipefail

if [ -x /usr/sbin/nginx ]; then
    exit 0
fi

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

echo ">>> /usr/sbin/nginx is missing: installing Debian's nginx with apt-get"
$sudo_cmd apt-get update
# nginx-light would do, but Debian 12's plain nginx package is the one deploy/nginx.conf is
# tested against; policy-rc.d keeps apt from starting the system service on port 80.
printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee /usr/sbin/policy-rc.d > /dev/null
$sudo_cmd chmod +x /usr/sbin/policy-rc.d
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y nginx
$sudo_cmd rm -f /usr/sbin/policy-rc.d
test -x /usr/sbin/nginx
