#!/usr/bin/env bash
# The robustness soak (programs/serve_soak.py) against a model served by a Python worker: a
# scikit-learn RandomForest from an InferenceService file, in two worker processes (both started
# before it: a worker starting mid-soak would read as memory growth). For
# 20 seconds, random bytes, truncated bodies, huge headers, slow and idle clients hit the daemon,
# and requests the model cannot take reach its worker; every valid request is answered with
# scikit-learn's own predictions, every unfit one gets a 4xx with the model's reason, and the
# memory of the daemon and its workers stays flat.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export SLIPWAY_PYENVS=${SLIPWAY_PYENVS:-/tmp/slipway-pyenvs-$(id -u)}
CLIENTS=$(serve_client_env)
mkdir -p models/forest
expected=$("$CLIENTS/bin/python" - <<'PY'
import joblib
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
X, y = load_iris(return_X_y=True)
model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
joblib.dump(model, "models/forest/model.joblib")
print(model.predict([[5.1, 3.5, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]]).tolist())
PY
)
cat > forest.yaml <<YAML
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: forest}
spec:
  predictor:
    minReplicas: 2
    maxReplicas: 2
    sklearn: {storageUri: "file://$WORK/models/forest"}
YAML
# The worker runs under the clients' interpreter: the same scikit-learn that wrote the model.
# Every request through the workers (sklearn_native: false): the path with a process on either
# side of it.
printf 'request_timeout_ms: 2000\nmax_header_bytes: 8192\nio_threads: 2\npython: {sklearn: %s}\nsklearn_native: false\n' "$CLIENTS/bin/python" > serve.yaml
"$SLIPWAY" serve -f forest.yaml --port 0 --port-file port --config serve.yaml > serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
PORT=$(wait_for_port_file port $PID 120)
count_workers() { pgrep -f "model_worker.*--format sklearn --model-dir $WORK/models/forest" | wc -l; }
for _ in $(seq 300); do [ "$(count_workers)" == 2 ] && break; sleep 0.1; done
expect_eq "$(count_workers)" 2 "minReplicas 2: two workers before the soak"
python3 "$SLIPWAY_SOURCE_DIR/tests/integration/programs/serve_soak.py" "$PORT" "$PID" 20 forest "$expected"
kill -0 $PID || fail "the daemon died during the soak: $(tail serve.log)"
expect_eq "$(curl -s -X POST "http://127.0.0.1:$PORT/v1/models/forest:predict" -d '{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]]}')" \
  "{\"predictions\":$(echo "$expected" | tr -d ' ')}" "the model answers after the soak"
expect_eq "$(count_workers)" 2 "both workers still serve after the soak"
kill -TERM $PID
wait $PID
expect_eq "$?" 0 "and exits 0 on SIGTERM"
[ -z "$(pgrep -f "model_worker.*--model-dir $WORK/models/forest")" ] || fail "a worker outlived the daemon"
pass "no worker outlives the daemon"
