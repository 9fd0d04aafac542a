#!/usr/bin/env bash
# The browser tests drive the distribution's Chromium (never a Playwright browser download):
# install it with apt if it is missing. Needs root (CI and the dev containers run as root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
