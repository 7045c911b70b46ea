#!/usr/bin/env bash
# Installs the JS reference peer's pinned dependencies (package-lock.json) into
# interop/js/node_modules. Idempotent: skips `npm ci` while node_modules matches the lock
# file; FORCE=1 reinstalls. Run the peer with: node interop/js/yamux-js-peer.mjs ...
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.package-lock.json # written by npm ci
if [[ "${FORCE:-0}" != 1 && -f $stamp && $stamp -nt package-lock.json && $stamp -nt package.json ]]; then
  echo "interop/js: node_modules up to date"
  exit 0
fi
npm ci --no-audit --no-fund
