#!/usr/bin/env bash
# The quick set of real KFP corpus pipelines, run end to end with their outputs checked
# (tests/integration/kfp_corpus_runs.py; `make test-corpus` runs all of them), each with the warm
# Python executors and without them, to the same states and outputs.
source "$(dirname "$0")/lib.sh"
CORPUS="${SLIPWAY_CORPORA:-$SLIPWAY_SOURCE_DIR/../shared/corpora}/kfp-ir"
if [ ! -d "$CORPUS" ]; then
  echo "skipped: no corpus at $CORPUS (set SLIPWAY_CORPORA)"
  exit 77
fi
python3 "$SLIPWAY_SOURCE_DIR/tests/integration/kfp_corpus_runs.py" "$SLIPWAY" "$CORPUS" --warm-and-cold
