#!/usr/bin/env bash
# Verifies deploy/edge-agent.service with systemd-analyze, pointing ExecStart at a
# built binary (systemd checks that it exists). Usage: deploy/verify.sh BINARY
set -euo pipefail
bin=$(realpath "$1")
here=$(dirname "$0")
if ! command -v systemd-analyze >/dev/null; then
    # A check that cannot run fails: it never passes unrun.
    echo "deploy/verify.sh: systemd-analyze is not installed, so the unit cannot be verified; install it (Debian: apt-get install systemd)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/local/bin/edge-agent|$bin|" "$here/edge-agent.service" > "$tmp/edge-agent.service"
out=$(systemd-analyze verify "$tmp/edge-agent.service" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then
    echo "$out"
    echo "systemd-analyze reported problems with edge-agent.service"
    exit 1
fi
echo "deploy/edge-agent.service: systemd-analyze verify OK"
