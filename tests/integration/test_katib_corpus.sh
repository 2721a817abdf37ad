#!/usr/bin/env bash
# The real Katib corpus (shared/corpora/katib: Experiments from Katib's repository) through
# `slipway sweep validate`. Every file's verdict is pinned, each refusal with its reason, so a
# regression fails here and so does an improvement that forgets docs/sweeps.md. Then the
# examples that need something beside them, each run end to end: the ConfigMap-sourced trial
# template (with a ConfigMap manifest of our own in its folder), the Custom collector, and the
# Argo Workflow trial (its training step's image replaced by a command that prints the loss).
source "$(dirname "$0")/lib.sh"
CORPUS="${SLIPWAY_CORPORA:-$SLIPWAY_SOURCE_DIR/../shared/corpora}/katib"
if [ ! -d "$CORPUS" ]; then
  echo "skipped: no corpus at $CORPUS (set SLIPWAY_CORPORA)"
  exit 77
fi

set +e
"$SLIPWAY" sweep validate "$CORPUS" -o json > "$WORK/report.json"
set -e
cat > "$WORK/expected.py" <<'EOF'
refused = {
  # deliberate: neural architecture search
  "examples__v1beta1__nas__darts-cpu.yaml": "neural architecture search",
  "examples__v1beta1__nas__darts-gpu.yaml": "neural architecture search",
  "examples__v1beta1__nas__enas-gpu.yaml": "neural architecture search",
  # its trial template is in a ConfigMap of the cluster, which the corpus does not hold
  "examples__v1beta1__trial-template__trial-configmap-source.yaml": "put the ConfigMap's manifest",
  # Katib's own configuration, not an Experiment
  "manifests__v1beta1__installs__katib-standalone__katib-config.yaml": "not an Experiment",
}
EOF
python3 - "$WORK/report.json" "$WORK/expected.py" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
exec(open(sys.argv[2]).read())
by = {r["file"].split("/")[-1]: r for r in rows}
bad = []
for name, r in sorted(by.items()):
    if name in refused:
        if r["accepted"] or refused[name] not in r.get("reason", ""):
            bad.append("%s: expected refused with '%s', got %s" % (name, refused[name], r))
    elif not r["accepted"]:
        bad.append("%s: refused: %s" % (name, r.get("reason")))
missing = set(refused) - set(by)
if missing:
    bad.append("not in the corpus any more: %s" % sorted(missing))
accepted = sum(r["accepted"] for r in rows)
algorithms = sorted({r["algorithm"] for r in rows if r["accepted"]})
print("files %d accepted %d refused %d algorithms %s" % (len(rows), accepted, len(rows) - accepted, algorithms))
for b in bad:
    print("MISMATCH " + b)
sys.exit(1 if bad else 0)
PY
expect_eq "$(python3 -c "import json; d=json.load(open('$WORK/report.json')); print(len(d), sum(r['accepted'] for r in d))")" "21 16" \
  "the Katib corpus: 21 files, 16 accepted; refused: 3 NAS, the ConfigMap template without its ConfigMap, and KatibConfig"
expect_eq "$(json "$WORK/report.json" "sorted({r['algorithm'] for r in d if r['accepted']})")" \
  "['cmaes', 'grid', 'hyperband', 'pbt', 'random', 'tpe']" "every Katib algorithm of the corpus but NAS is accepted"

# The ConfigMap-sourced template, with the ConfigMap beside it as kubectl writes it: the trial
# spec comes from the map's key, its command runs.
mkdir -p "$WORK/cm"
cp "$CORPUS/examples__v1beta1__trial-template__trial-configmap-source.yaml" "$WORK/cm/experiment.yaml"
cat > "$WORK/cm/trial-templates.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: trial-templates
  namespace: kubeflow
data:
  defaultTrialTemplate.yaml: |-
    apiVersion: batch/v1
    kind: Job
    spec:
      template:
        spec:
          containers:
            - name: training-container
              image: python:3.11
              command:
                - "python3"
                - "-c"
                - "import sys; lr=float(sys.argv[1]); n=int(sys.argv[2]); print('Validation-accuracy=%g' % (0.9 - abs(lr - 0.02) - 0.01 * n)); print('Train-accuracy=0.9', sys.argv[3])"
                - "${trialParameters.learningRate}"
                - "${trialParameters.numberLayers}"
                - "${trialParameters.optimizer}"
          restartPolicy: Never
YAML
"$SLIPWAY" sweep "$WORK/cm/experiment.yaml" -o json > "$WORK/cm.json" 2> "$WORK/cm.err" || fail "the ConfigMap template's sweep: $(tail -3 "$WORK/cm.err")"
expect_eq "$(json "$WORK/cm.json" "(d['state'], d['algorithm'], len(d['trials']), all(t['state'] == 'SUCCEEDED' for t in d['trials']), sorted(d['trials'][0]['metrics']))")" \
  "('SUCCEEDED', 'cmaes', 10, True, ['Train-accuracy', 'Validation-accuracy'])" \
  "trial-configmap-source: the trial spec from the ConfigMap beside it, 10 cmaes trials"

# The Custom collector: its image is not run; the file it names is read as a File collector.
mkdir -p "$WORK/custom"
python3 - "$CORPUS/examples__v1beta1__metrics-collector__custom-metrics-collector.yaml" "$WORK/custom/experiment.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
spec = doc["spec"]
spec["maxTrialCount"], spec["parallelTrialCount"] = 3, 3
# The trial's container writes what the example's image would: accuracy lines in the file the
# collector names.
c = spec["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
c["command"] = ["sh", "-c", "echo accuracy=$(python3 -c 'print(0.5 + ${trialParameters.learningRate})') > /katib/mnist.log"]
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
"$SLIPWAY" sweep "$WORK/custom/experiment.yaml" -o json > "$WORK/custom.json" 2> "$WORK/custom.err" || fail "the Custom collector's sweep: $(tail -3 "$WORK/custom.err")"
contains "Custom metrics collector's image ghcr.io/kubeflow/katib/custom-metrics-collector:latest is not run" "$WORK/custom.err" ||
  fail "the sweep did not say the Custom collector's image is not run: $(cat "$WORK/custom.err")"
expect_eq "$(json "$WORK/custom.json" "(d['state'], len(d['trials']), all(abs(t['objective'] - 0.5 - t['parameters']['lr']) < 1e-9 for t in d['trials']))")" \
  "('SUCCEEDED', 3, True)" "custom-metrics-collector: each trial's accuracy read from the file its collector names, a file of its own"
[ ! -e /katib/mnist.log ] || fail "a trial wrote Katib's container path itself"

# The Argo Workflow trial: its steps as a pipeline, the first step's standard output (a number of
# epochs) passed to the training step, whose output (primaryPodLabels) holds the metrics.
mkdir -p "$WORK/argo"
python3 - "$CORPUS/examples__v1beta1__argo__argo-workflow.yaml" "$WORK/argo/experiment.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
doc["spec"]["maxTrialCount"] = 3
for t in doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["templates"]:
    if t["name"] == "model-training":
        t["container"]["command"] = ["sh", "-c", "echo epochs={{inputs.parameters.epochs}}; python3 -c 'print(\"loss=%g\" % (1 - ${trialParameters.learningRate}))'"]
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
"$SLIPWAY" sweep "$WORK/argo/experiment.yaml" -o json > "$WORK/argo.json" 2> "$WORK/argo.err" || fail "the Argo Workflow sweep: $(tail -3 "$WORK/argo.err")"
expect_eq "$(json "$WORK/argo.json" "(d['state'], len(d['trials']), all(abs(t['objective'] - 1 + t['parameters']['lr']) < 1e-6 for t in d['trials']))")" \
  "('SUCCEEDED', 3, True)" "argo-workflow: 3 trials, each a two-step pipeline, the loss read from the training step"
run=$(json "$WORK/argo.json" "d['trials'][0]['run']")
"$SLIPWAY" runs logs "$run" data-preprocessing > "$WORK/pre.log" 2>&1
"$SLIPWAY" runs logs "$run" model-training > "$WORK/train.log" 2>&1
epochs=$(tr -d '[:space:]' < "$WORK/pre.log")
contains -x "epochs=$epochs" "$WORK/train.log" || fail "the training step did not get the first step's output ($epochs): $(cat "$WORK/train.log")"
pass "the first step's standard output ($epochs) is the training step's epochs"
