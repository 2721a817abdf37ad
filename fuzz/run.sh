#!/usr/bin/env bash
# Runs the spec fuzzer for a bounded time, seeded with every pipeline in configs/ and tests/.
set -euo pipefail
fuzzer=$1
seconds=${2:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
find "$here/configs" "$here/tests" -name '*.yaml' -exec cp {} "$corpus/" \; 2>/dev/null || true
# -timeout: a single input taking over 10 s is a hang; -rss_limit_mb bounds memory.
"$fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 2>&1 | tail -n 25
echo "fuzz: spec_fuzzer ran ${seconds}s without a crash, hang or leak"
