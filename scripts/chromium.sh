#!/usr/bin/env bash
# The console's browser tests drive Chromium. Install it with apt-get when
# it is missing and this runs as root (CI: a fresh Debian machine); else
# stop and say how: the browser tests are never skipped.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		exit 0
	fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "chromium is missing: installing it with apt-get for the console's browser tests" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	exit 0
fi
echo "error: the console's browser tests need Chromium, and none is on the PATH" >&2
echo "hint: run 'sudo apt-get install -y chromium' (Debian, Ubuntu), then 'make test' again" >&2
exit 1
