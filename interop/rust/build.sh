#!/usr/bin/env bash
# Builds the Rust reference peer in release mode:
#   interop/rust/target/release/yamux-rust-peer
set -euo pipefail
cd "$(dirname "$0")"
exec cargo build --release --locked "$@"
