#!/usr/bin/env bash
# A robustness soak of the serving daemon (tests/integration/programs/serve_soak.py): random bytes,
# truncated bodies, huge headers, slow clients and 300 idle connections for 20 seconds on
# loopback; every valid request is answered and the daemon's memory stays flat. A short request
# timeout makes the slow and idle clients' connections expire during the soak.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
run_json r1.json "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" -p data="$SLIPWAY_SOURCE_DIR/data/iris.csv"
expect_eq "$rc" 0 "the iris pipeline registers a model to serve"
printf 'request_timeout_ms: 2000\nmax_header_bytes: 8192\nio_threads: 2\n' > serve.yaml
"$SLIPWAY" serve --port 0 --port-file port --config serve.yaml > serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "the daemon did not start: $(cat serve.log)"
python3 "$SLIPWAY_SOURCE_DIR/tests/integration/programs/serve_soak.py" "$(cat port)" "$PID" 20
kill -0 $PID || fail "the daemon died during the soak: $(tail serve.log)"
expect_eq "$(curl -s -X POST "http://127.0.0.1:$(cat port)/v1/models/iris:predict" -d '{"instances": [[5.1, 3.5, 1.4, 0.2]]}')" \
  '{"predictions":[0]}' "the daemon answers after the soak"
kill -TERM $PID
wait $PID
expect_eq "$?" 0 "and exits 0 on SIGTERM"
