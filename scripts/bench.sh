#!/usr/bin/env bash
# Runs the benchmarks in release mode.
#   scripts/bench.sh [--messages N]          the validator against serde_json skimming the same bytes
#   scripts/bench.sh import [--messages N]   the WhatsApp and Telegram importers against their baselines
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p chatport-bench
if [ "${1:-}" = "import" ]; then
  shift
  exec ./target/release/chatport-bench import "$@"
fi
exec ./target/release/chatport-bench validate "$@"
