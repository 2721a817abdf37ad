#!/usr/bin/env bash
# Kubeflow Pipelines' own client (kfp from PyPI) and its CLI against `slipway server`: the seeds'
# flows unchanged (programs/kfp_client_flows.py), then tokens and namespaces the KFP way.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
# Python environments shared with the other KFP tests (the seed's scikit-learn steps).
export SLIPWAY_PYENVS=${SLIPWAY_PYENVS:-/tmp/slipway-pyenvs-$(id -u)}
mkdir -p "$SLIPWAY_PYENVS"
client_env=$(kfp_client_env)
PY="$client_env/bin/python"
KFP="$client_env/bin/kfp"
pass "kfp $("$PY" -c 'import kfp; print(kfp.__version__)') from PyPI"

start_server() {  # start_server LOG ARGS...: sets PID and BASE
  local log=$1
  shift
  rm -f port
  "$SLIPWAY" server --port 0 --port-file port --tick-ms 200 "$@" > "$log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
  [ -s port ] || fail "the server did not start: $(cat "$log")"
  BASE="http://127.0.0.1:$(cat port)"
}

start_server server.log --no-auth
trap 'kill $PID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
"$PY" -W ignore "$SLIPWAY_SOURCE_DIR/tests/integration/programs/kfp_client_flows.py" "$BASE" \
  "$SLIPWAY_SOURCE_DIR" "$WORK" || fail "a kfp.Client flow failed; server log: $(tail -20 server.log)"

# The links kfp.Client prints lead to the dashboard, which serves the page for every path.
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/")" 200 "HOST/ (where the client's #/runs/details/ID links go) is the dashboard"

# kfp's command-line tool speaks the same API.
cat > adder.py << 'EOF'
import sys
from kfp import compiler, dsl

@dsl.component
def add(a: int, b: int) -> int:
    return a + b

@dsl.pipeline(name="adder")
def adder(x: int = 1, y: int = 2):
    add(a=x, b=y)

compiler.Compiler().compile(adder, sys.argv[1])
EOF
"$PY" -W ignore adder.py adder.yaml
"$KFP" --endpoint "$BASE" run create -e cli-experiment -r cli-run -f adder.yaml -w -t 300 x=40 > create.txt 2>&1 ||
  fail "kfp run create failed: $(cat create.txt)"
contains "state SUCCEEDED" create.txt && pass "kfp run create --watch: the run SUCCEEDED"
"$KFP" --endpoint "$BASE" --output json run list -m 100 > list.json 2> list.err || fail "kfp run list: $(cat list.err)"
expect_eq "$(json list.json "[(r['state'], r['runtime_config']['parameters']['x']) for r in d if r['display_name'] == 'cli-run']")" \
  "[('SUCCEEDED', 40)]" "kfp run list shows it, with its parameters"
kill $PID
wait $PID 2> /dev/null || true

# Tokens and namespaces: Client(existing_token=T) sends "Authorization: Bearer T".
a=$("$SLIPWAY" server token create --namespace team-a 2> /dev/null)
b=$("$SLIPWAY" server token create --namespace team-b 2> /dev/null)
start_server server-auth.log
"$PY" -W ignore - "$BASE" "$a" "$b" adder.yaml << 'EOF' || fail "namespaces: $(tail -20 server-auth.log)"
import json, sys
import kfp_server_api
from kfp.client import Client
host, token_a, token_b, package = sys.argv[1:5]

def status_of(call):
    try:
        call()
    except kfp_server_api.ApiException as e:
        return e.status
    return 200

a = Client(host=host, existing_token=token_a)
b = Client(host=host, existing_token=token_b)
assert a.get_kfp_healthz().multi_user is True
exp = a.create_experiment(name="a-experiment", namespace="team-a")
assert exp.namespace == "team-a", exp
run = a.run_pipeline(experiment_id=exp.experiment_id, job_name="a-run", pipeline_package_path=package)
assert a.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.5).state == "SUCCEEDED"
print("ok: a token of team-a runs a pipeline in its namespace")
assert status_of(lambda: b.get_experiment(experiment_id=exp.experiment_id)) == 404
assert status_of(lambda: b.get_run(run.run_id)) == 404
assert status_of(lambda: b.create_experiment(name="sneaky", namespace="team-a")) == 404
assert not b.list_runs().runs and b.list_runs(namespace="team-b").total_size == 0
assert status_of(lambda: b.list_runs(namespace="team-a")) == 404
print("ok: team-b's token finds nothing of team-a (404) and lists nothing of it")
assert [r.run_id for r in a.list_runs().runs] == [run.run_id]
assert status_of(lambda: Client(host=host).list_runs()) == 401
print("ok: without a token: 401")
EOF
pass "namespaces: isolated the KFP way"
