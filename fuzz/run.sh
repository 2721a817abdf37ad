#!/usr/bin/env bash
# Runs a fuzzer for a bounded time, seeded with the files it reads: every pipeline in configs/ and
# tests/ for spec_fuzzer, the OIP request bodies in tests/fixtures/oip for oip_fuzzer, two
# scikit-learn exports (a forest, a linear model) for sklearn_native_fuzzer.
set -euo pipefail
fuzzer=$1
seconds=${2:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
case "$(basename "$fuzzer")" in
  oip_fuzzer) cp "$here"/tests/fixtures/oip/*.json "$corpus/" ;;
  sklearn_native_fuzzer) cp "$here"/tests/fixtures/sklearn-export/*.bin "$corpus/" ;;
  *) find "$here/configs" "$here/tests" -name '*.yaml' -exec cp {} "$corpus/" \; 2>/dev/null || true ;;
esac
# -timeout: a single input taking over 10 s is a hang; -rss_limit_mb bounds memory.
"$fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 2>&1 | tail -n 25
echo "fuzz: $(basename "$fuzzer") ran ${seconds}s without a crash, hang or leak"
