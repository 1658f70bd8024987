#!/usr/bin/env bash
# Runs the benchmarks in release mode. Usage: scripts/bench.sh [--messages N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p chatport-bench
exec ./target/release/chatport-bench validate "$@"
