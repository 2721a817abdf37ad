#!/usr/bin/env bash
# `slipway models deploy -f FILE --backend slurm`: an InferenceService file served by a Slurm job
# on the test cluster, its address recorded; the predictions are XGBoost's own.
source "$(dirname "$0")/lib.sh"
: "${SLURM_CONF:?run through ctest, which starts the test cluster}"
export SLIPWAY_PYENVS=${SLIPWAY_PYENVS:-/tmp/slipway-pyenvs-$(id -u)}
cd "$WORK"
CLIENTS=$(serve_client_env)
mkdir -p models/xgb
"$CLIENTS/bin/python" - <<'PY'
import xgboost as xgb
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True)
b = xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(X, y).get_booster()
b.save_model("models/xgb/model.json")
open("expected.txt", "w").write(str(int(b.predict(xgb.DMatrix(X[[120]])).argmax())))
PY
cat > isvc.yaml <<YAML
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: iris-xgb}
spec:
  predictor:
    xgboost:
      storageUri: file://$WORK/models/xgb
      resources: {limits: {cpu: "1", memory: 512Mi}}
YAML
"$SLIPWAY" models deploy -f isvc.yaml --backend slurm --wait 120 -o json > deploy.json 2> deploy.err ||
  fail "models deploy --backend slurm: $(cat deploy.err)"
job=$(json deploy.json "d['job']")
trap 'scancel "$job" 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
url=$(json deploy.json "d.get('url', '')")
[ -n "$url" ] || fail "the deployment did not record where it listens: $(cat deploy.json deploy.err)"
pass "Slurm job $job serves iris-xgb at $url"
expect_eq "$(json "$(json deploy.json "d['dir']")/deployment.json" "d['url']")" "$url" "the address is recorded with the deployment"
expect_eq "$(squeue -h -j "$job" -o %j)" "slipway-serve-iris-xgb" "the job is named for the service"
pred=$(curl -s -X POST "$url/v1/models/iris-xgb:predict" -d '{"instances": [[7.7, 2.6, 6.9, 2.3]]}' |
  python3 -c "import json,sys; p=json.load(sys.stdin)['predictions'][0]; print(p.index(max(p)))")
expect_eq "$pred" "$(cat expected.txt)" "the Slurm-served model answers with XGBoost's own class"
scancel "$job"
