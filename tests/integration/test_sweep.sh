#!/usr/bin/env bash
# `slipway sweep`: trials as runs on the local backend, the best trial, Katib's Experiment as is,
# failure budgets, median stopping, the goal, kill -9 and resume, a sweep of the native trainer
# that beats its default hyperparameters, and clear errors.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# A quadratic with its minimum at x = 0.5, n = 2: TPE after 8 random trials.
cat > quad.yaml <<'YAML'
name: quad
objective: {minimize: f}
algorithm: {name: tpe, settings: {n_startup_trials: 8}}
parallel: 3
max_trials: 16
seed: 3
parameters:
  x: {type: double, min: -2, max: 2}
  n: {type: int, min: 1, max: 4}
trial:
  command: [python3, -c, "print('f=%g' % ((${x} - 0.5) ** 2 + (${n} - 2) ** 2))"]
YAML
"$SLIPWAY" sweep quad.yaml --output json > quad.json 2> quad.err || fail "quad sweep: $(cat quad.err)"
expect_eq "$(json quad.json "(d['state'], len(d['trials']), all(t['state'] == 'SUCCEEDED' for t in d['trials']))")" "('SUCCEEDED', 16, True)" "16 trials, all succeeded"
expect_eq "$(json quad.json "(d['best_trial']['parameters']['n'], d['best_trial']['objective'] < 0.1, d['best_trial']['objective'] == min(t['objective'] for t in d['trials']))")" \
  "(2, True, True)" "the best trial is the lowest f, near the minimum"
# Every trial is an ordinary run, its output kept.
run=$(json quad.json "d['trials'][0]['run']")
"$SLIPWAY" runs show "$run" --output json > run.json
expect_eq "$(json run.json "d['state']")" "SUCCEEDED" "a trial is a run"
contains "trial 15 SUCCEEDED f=" quad.err || fail "no per-trial lines: $(cat quad.err)"

# Katib's Experiment as is: trialParameters substituted into the container's command, grid search
# over every point, the objective picked by its metric strategy (latest) from a series.
cat > katib.yaml <<'YAML'
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: katib-grid
spec:
  objective:
    type: maximize
    objectiveMetricName: accuracy
    metricStrategies:
      - {name: accuracy, value: latest}
  algorithm:
    algorithmName: grid
  parallelTrialCount: 2
  maxTrialCount: 20
  maxFailedTrialCount: 0
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: "0.1", max: "0.3", step: "0.1"}
    - name: optimizer
      parameterType: categorical
      feasibleSpace:
        list: [sgd, adam]
  trialTemplate:
    primaryContainerName: training-container
    trialParameters:
      - {name: learningRate, reference: lr}
      - {name: opt, reference: optimizer}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: training-container
                image: docker.io/example/train:latest
                command:
                  - sh
                  - -c
                  - "echo accuracy=0.99; echo lr=${trialParameters.learningRate} opt=${trialParameters.opt}; echo accuracy=$(python3 -c 'print(${trialParameters.learningRate} + (0.5 if \"${trialParameters.opt}\" == \"adam\" else 0))')"
            restartPolicy: Never
YAML
"$SLIPWAY" sweep katib.yaml -o json > katib.json 2> katib.err || fail "katib sweep: $(cat katib.err)"
expect_eq "$(json katib.json "(d['state'], len(d['trials']), sorted((t['parameters']['optimizer'], round(t['parameters']['lr'], 6)) for t in d['trials']) == sorted((o, l) for o in ('sgd', 'adam') for l in (0.1, 0.2, 0.3)))")" \
  "('SUCCEEDED', 6, True)" "a Katib grid: all 6 points once, then done"
expect_eq "$(json katib.json "(d['best_trial']['parameters']['optimizer'], round(d['best_trial']['objective'], 6))")" "('adam', 0.8)" \
  "the latest accuracy counts, not the first (0.99)"

# Failures count against the budget: more than max_failed ends the sweep FAILED.
cat > failing.yaml <<'YAML'
objective: {maximize: score}
algorithm: random
parallel: 2
max_trials: 10
max_failed: 1
parameters: {x: {type: double, min: 0, max: 1}}
trial: {command: [sh, -c, "exit 3"]}
YAML
set +e
"$SLIPWAY" sweep failing.yaml -o json > failing.json 2> failing.err
code=$?
set -e
[ $code -eq 1 ] || fail "a failing sweep exited $code"
expect_eq "$(json failing.json "(d['state'], 'more than the 1 allowed' in d['message'], sum(t['state'] == 'FAILED' for t in d['trials']) >= 2)")" "('FAILED', True, True)" \
  "two failed trials end a sweep that allows one"
# A trial that succeeds without reporting the objective fails, and says what to print.
printf 'objective: {maximize: score}\nmax_trials: 1\nmax_failed: 0\nparameters: {x: {type: double, min: 0, max: 1}}\ntrial: {command: [echo, hello]}\n' > silent.yaml
set +e
"$SLIPWAY" sweep silent.yaml -o json > silent.json 2> /dev/null
set -e
expect_eq "$(json silent.json "d['trials'][0]['message']")" "the trial finished without reporting score; print 'score=VALUE' lines on standard output" \
  "a trial without its metric fails with the reason"
# A diverged trial that reports nan (here a JSON metrics file, as Katib's File collector reads it)
# fails with the reason; the sweep goes on and its other trials succeed (the first four points of
# the one-dimensional design fall on both sides of 0.5, whatever the seed).
cat > diverged.yaml <<'YAML'
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: diverged}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: bayesianoptimization}
  metricsCollectorSpec:
    collector: {kind: File}
    source: {fileSystemPath: {path: /var/log/metrics.json, kind: File, format: JSON}}
  maxTrialCount: 4
  maxFailedTrialCount: 3
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
  trialTemplate:
    trialParameters: [{name: x, reference: x}]
    trialSpec: {apiVersion: batch/v1, kind: Job, spec: {template: {spec: {containers: [{name: training-container, image: example,
      command: [sh, -c, "python3 -c 'import json,sys; x=float(sys.argv[1]); print(json.dumps({\"loss\": \"nan\" if x < 0.5 else (x - 0.3) ** 2}))' ${trialParameters.x} > /var/log/metrics.json"]}]}}}}
YAML
"$SLIPWAY" sweep diverged.yaml -o json > diverged.json 2> diverged.err || true
expect_eq "$(json diverged.json "sorted({t['state'] for t in d['trials']})")" "['FAILED', 'SUCCEEDED']" \
  "a trial that reports nan fails, the others succeed"
expect_eq "$(json diverged.json "[t['message'] for t in d['trials'] if t['state'] == 'FAILED'][0]")" \
  "the trial reported loss = nan, which no search can rank; it counts as a failed trial" \
  "the failed trial says it reported nan"

# Median stopping: trials report a curve; one far below the completed trials' median is stopped.
cat > median.yaml <<'YAML'
objective: {maximize: acc}
algorithm: grid
parallel: 1
max_trials: 10
parameters: {q: {type: discrete, values: [0.9, 0.8, 0.86, 0.1]}}
early_stopping: {algorithm: medianstop, min_trials_required: 2, start_step: 2}
trial:
  command: [sh, -c, "for i in 1 2 3 4 5 6 7 8; do echo acc=${q}; sleep 0.3; done"]
YAML
"$SLIPWAY" sweep median.yaml -o json > median.json 2> median.err || fail "median sweep: $(cat median.err)"
expect_eq "$(json median.json "[t['state'] for t in d['trials']]")" "['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'EARLY_STOPPED']" \
  "the trial far below the median is stopped early"
stopped_run=$(json median.json "d['trials'][3]['run']")
for _ in $(seq 50); do
  [ "$("$SLIPWAY" runs show "$stopped_run" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = CANCELLED ] && break
  sleep 0.2
done
expect_eq "$("$SLIPWAY" runs show "$stopped_run" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" "CANCELLED" "its run was cancelled"

# The goal: the sweep ends as soon as a trial reaches it.
cat > goal.yaml <<'YAML'
objective: {maximize: acc, goal: 0.5}
algorithm: grid
parallel: 1
max_trials: 50
parameters: {a: {type: int, min: 0, max: 9}}
trial: {command: [sh, -c, "echo acc=0.${a}"]}
YAML
"$SLIPWAY" sweep goal.yaml -o json > goal.json 2> /dev/null
expect_eq "$(json goal.json "(d['state'], len(d['trials']), d['best_trial']['objective'])")" "('SUCCEEDED', 6, 0.5)" "the sweep stops at the goal"

# kill -9 of the controller mid-sweep, then resume: no finished trial is lost or run again.
cat > slow.yaml <<'YAML'
name: slow
objective: {minimize: f}
algorithm: random
parallel: 2
max_trials: 8
parameters: {x: {type: double, min: 0, max: 1}}
trial: {command: [sh, -c, "sleep 1; echo f=${x}"]}
YAML
"$SLIPWAY" sweep slow.yaml -o json > /dev/null 2> slow.err &
pid=$!
for _ in $(seq 100); do
  done_count=$("$SLIPWAY" sweep ls -o json | python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin) if x["name"]=="slow"]; print(sum(t["state"]=="SUCCEEDED" for t in s[0]["trials"]) if s else 0)')
  [ "$done_count" -ge 3 ] && break
  sleep 0.2
done
kill -9 $pid
wait $pid 2> /dev/null || true
id=$("$SLIPWAY" sweep ls -o json | python3 -c 'import json,sys; print([x for x in json.load(sys.stdin) if x["name"]=="slow"][0]["id"])')
"$SLIPWAY" sweep show "$id" -o json > before.json
"$SLIPWAY" sweep resume "$id" -o json > after.json 2> resume.err || fail "resume: $(cat resume.err)"
expect_eq "$(python3 - <<'PY'
import json
b, a = json.load(open("before.json")), json.load(open("after.json"))
done_before = {t["number"]: t["objective"] for t in b["trials"] if t["state"] == "SUCCEEDED"}
kept = all(a["trials"][n]["objective"] == v and a["trials"][n]["state"] == "SUCCEEDED" for n, v in done_before.items())
runs = [t["run"] for t in a["trials"]]
print(a["state"], len(a["trials"]), len(done_before) >= 3, kept, len(set(runs)) == len(runs))
PY
)" "SUCCEEDED 8 True True True" "kill -9 and resume: finished trials kept, 8 trials in all, one run each"

# A sweep of the native trainer: the char transformer's validation loss after 60 steps, over the
# learning rate, beats the default (lr 1e-3).
"$SLIPWAY" data import text "$SLIPWAY_SOURCE_DIR/data/coriolanus.txt" -o text.h5 --valid-fraction 0.1 > /dev/null
cat > gpt.yaml <<'YAML'
model: {kind: gpt, layers: 1, width: 32, heads: 2, context: 32}
data: text.h5
batch_size: 8
steps: 60
threads: 1
log_every: 20
YAML
"$SLIPWAY" train gpt.yaml --no-progress > default.txt 2> /dev/null
default_loss=$(sed -n 's/^step=60 valid_loss=//p' default.txt)
cat > lr.yaml <<'YAML'
objective: {minimize: valid_loss}
algorithm: sobol
parallel: 2
max_trials: 6
parameters: {lr: {type: double, min: 1e-3, max: 3e-2, log: true}}
trial: {command: [slipway, train, gpt.yaml, --set, "optimizer.lr=${lr}", --no-progress]}
YAML
PATH="$(dirname "$SLIPWAY"):$PATH" "$SLIPWAY" sweep lr.yaml -o json > lr.json 2> lr.err || fail "trainer sweep: $(cat lr.err)"
best_loss=$(json lr.json "d['best_trial']['objective']")
python3 -c "import sys; sys.exit(0 if $best_loss < $default_loss - 0.05 else 1)" || fail "the sweep's best valid_loss $best_loss does not beat the default's $default_loss"
pass "a learning-rate sweep of the trainer beats the default: valid_loss $best_loss against $default_loss"

# ASHA with training steps as the budget: configurations start at 3 steps, the best third move up
# to 9 and 27, each promotion continuing its configuration's checkpoint (the trainer resumes).
cat > asha.yaml <<'YAML'
name: asha
objective: {minimize: valid_loss}
algorithm: asha
parallel: 2
max_trials: 14
seed: 5
parameters:
  lr: {type: double, min: 1e-4, max: 3e-2, log: true}
  steps: {type: int, min: 3, max: 27}
budget: {parameter: steps, min: 3, max: 27, eta: 3}
trial:
  command: [slipway, train, gpt.yaml, --set, "optimizer.lr=${lr}", --steps, "${steps}", --checkpoint-dir, "${checkpoint_dir}", --resume, --no-progress]
YAML
PATH="$(dirname "$SLIPWAY"):$PATH" "$SLIPWAY" sweep asha.yaml -o json > asha.json 2> asha.err || fail "asha sweep: $(cat asha.err)"
expect_eq "$(python3 - <<'PY'
import json
d = json.load(open("asha.json"))
t = d["trials"]
budgets = [x["parameters"]["steps"] for x in t]
by_config = {}
for x in t:
    by_config.setdefault(x["parameters"]["lr"], []).append(x["parameters"]["steps"])
promoted = [v for v in by_config.values() if len(v) > 1]
print(d["state"], set(budgets) <= {3, 9, 27}, budgets.count(3) > budgets.count(9) > 0,
      all(v == [3, 9, 27][:len(v)] for v in by_config.values()), len(promoted) >= 1)
PY
)" "SUCCEEDED True True True True" "ASHA: most configurations stop at 3 steps, the best move up 3 → 9 → 27"
promoted_run=$(json asha.json "[x['run'] for x in d['trials'] if x['parameters']['steps'] == 9][0]")
contains -r "resumed from .*step-00000003.h5 at step 3" "$SLIPWAY_HOME/runs/$promoted_run" || fail "a promoted trial did not resume its configuration's checkpoint"
pass "a promoted trial resumes from its configuration's checkpoint"

# Population-based training: 5 members over 3 generations, each trial continuing its parent's
# checkpoint (a copy), the bottom member taking the top member's checkpoint and learning rate.
cat > pbt.yaml <<YAML
name: pbt
objective: {maximize: acc}
algorithm: {name: pbt, settings: {n_population: 5, truncation_threshold: 0.2}}
parallel: 3
max_trials: 15
seed: 4
parameters:
  lr: {type: double, min: 0.01, max: 0.3}
trial:
  command: [python3, $SLIPWAY_SOURCE_DIR/tests/integration/programs/pbt_toy.py, --lr, "\${lr}", --checkpoint, "\${checkpoint_dir}", --name, "\${trial_name}"]
YAML
"$SLIPWAY" sweep pbt.yaml -o json > pbt.json 2> pbt.err || fail "pbt sweep: $(cat pbt.err)"
expect_eq "$(python3 - <<'PY'
import json
d = json.load(open("pbt.json"))
t = d["trials"]
by = {x["number"]: x for x in t}
gens = sorted({x["generation"] for x in t})
parents_ok = all((x["parent"] is None) == (x["generation"] == 0) for x in t)
continued = all(by[x["parent"]]["generation"] == x["generation"] - 1 for x in t if x["parent"] is not None)
exploited = [x for x in t if x["parent"] is not None and by[x["parent"]]["member"] != x["member"]]
best = lambda g: max(x["objective"] for x in t if x["generation"] == g)
print(d["state"], len(t), gens, parents_ok, continued, len(exploited) >= 1, best(2) > best(0))
PY
)" "SUCCEEDED 15 [0, 1, 2] True True True True" "pbt: 3 generations of 5, each trial from its parent's checkpoint, the bottom exploiting the top"
gen2_run=$(json pbt.json "[x['run'] for x in d['trials'] if x['generation'] == 2][0]")
contains -r "resumed at step 10 from " "$SLIPWAY_HOME/runs/$gen2_run" || fail "a generation-2 trial did not continue its lineage's checkpoint"
exploit_run=$(json pbt.json "[x['run'] for x in d['trials'] if x['parent'] is not None and d['trials'][x['parent']]['member'] != x['member']][0]")
exploit_parent=$(json pbt.json "[d['trials'][x['parent']]['run'] for x in d['trials'] if x['parent'] is not None and d['trials'][x['parent']]['member'] != x['member']][0]")
contains -r "resumed at step .* from .*$exploit_parent" "$SLIPWAY_HOME/runs/$exploit_run" || fail "the exploiting trial did not start from its parent's checkpoint"
pass "an exploiting trial continues the better member's checkpoint"

# CMA-ES: generations of 6 (two parameters), the next waiting for the last of the one before.
cat > cmaes.yaml <<'YAML'
name: cmaes
objective: {minimize: f}
algorithm: {name: cmaes, settings: {sigma: 0.3}}
parallel: 4
max_trials: 24
seed: 2
parameters:
  x: {type: double, min: -2, max: 2}
  y: {type: double, min: -2, max: 2}
trial:
  command: [python3, -c, "print('f=%g' % ((${x} - 0.7) ** 2 + 3 * (${y} + 0.4) ** 2))"]
YAML
"$SLIPWAY" sweep cmaes.yaml -o json > cmaes.json 2> cmaes.err || fail "cmaes sweep: $(cat cmaes.err)"
expect_eq "$(json cmaes.json "(d['state'], len(d['trials']), min(t['objective'] for t in d['trials'][:6]) > d['best_trial']['objective'], d['best_trial']['objective'] < 0.3)")" \
  "('SUCCEEDED', 24, True, True)" "cmaes: later generations find better points than the first"

# Katib's hyperband (resource_name, eta, r_l): brackets that start at 3 and 9 steps.
cat > hyperband.yaml <<'YAML'
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: hyperband}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm:
    algorithmName: hyperband
    algorithmSettings:
      - {name: resource_name, value: epochs}
      - {name: eta, value: "3"}
      - {name: r_l, value: "3"}
  parallelTrialCount: 2
  maxTrialCount: 12
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
    - {name: epochs, parameterType: int, feasibleSpace: {min: "3", max: "27"}}
  trialTemplate:
    trialParameters:
      - {name: x, reference: x}
      - {name: epochs, reference: epochs}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec: {template: {spec: {containers: [{name: training-container, command: [python3, -c, "print('loss=%g' % (1.0 / ${trialParameters.epochs} + (${trialParameters.x} - 0.5) ** 2))"]}]}}}
YAML
"$SLIPWAY" sweep hyperband.yaml -o json > hyperband.json 2> hyperband.err || fail "hyperband: $(cat hyperband.err)"
expect_eq "$(json hyperband.json "(d['state'], sorted(set(t['parameters']['epochs'] for t in d['trials'] if t['message'] == '' and t['parameters']['epochs'] in (3, 9)))[:2])")"   "('SUCCEEDED', [3, 9])" "hyperband: brackets starting at 3 and at 9 epochs"

# Two objectives: the sweep reports their Pareto front; plots as SVG.
cat > pareto.yaml <<'YAML'
name: pareto
objectives: [{maximize: acc}, {minimize: latency}]
algorithm: tpe
parallel: 2
max_trials: 10
parameters:
  width: {type: int, min: 1, max: 64}
  engine: {type: categorical, values: [fast, slow]}
trial:
  command: [python3, -c, "import math; w = ${width}; print('acc=%g' % (1 - math.exp(-w / 10))); print('latency=%g' % (w * (0.5 if '${engine}' == 'fast' else 2.0)))"]
YAML
"$SLIPWAY" sweep pareto.yaml -o json > pareto.json 2> /dev/null || fail "pareto sweep"
expect_eq "$(python3 - <<'PY'
import json
d = json.load(open("pareto.json"))
t = {x["number"]: x["metrics"] for x in d["trials"]}
def dominated(a):
    return any(b["acc"] >= t[a]["acc"] and b["latency"] <= t[a]["latency"] and (b["acc"] > t[a]["acc"] or b["latency"] < t[a]["latency"]) for b in t.values())
front = sorted(n for n in t if not dominated(n))
print(d["objectives"], sorted(d["pareto_front"]) == front, len(front) < len(t))
PY
)" "['acc', 'latency'] True True" "the Pareto front is exactly the non-dominated trials"
pareto_id=$(json pareto.json "d['id']")
"$SLIPWAY" sweep show "$pareto_id" --plot plots > pareto.txt 2> /dev/null
contains "Pareto front (acc, latency): trials" pareto.txt || fail "no front in the text output: $(cat pareto.txt)"
for f in best parallel pareto; do
  python3 -c "import xml.dom.minidom, sys; d = xml.dom.minidom.parse(sys.argv[1]); assert d.documentElement.tagName == 'svg' and d.getElementsByTagName('polyline')" "plots/$f.svg" ||
    fail "plots/$f.svg is not an SVG with lines"
done
pass "best-so-far, parallel-coordinates and Pareto plots are SVG"

# Katib's resumePolicy: a sweep that ran all its trials continues with a larger budget under
# LongRunning (and FromVolume); under Never, Katib's default, it is refused with the reason.
for policy in LongRunning Never; do
  cat > "resume-$policy.yaml" <<YAML
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: resume-$policy}
spec:
  maxTrialCount: 3
  parallelTrialCount: 2
  resumePolicy: $policy
  objective: {type: minimize, objectiveMetricName: f}
  algorithm: {algorithmName: random}
  parameters: [{name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}]
  trialTemplate:
    trialParameters: [{name: x, reference: x}]
    trialSpec: {apiVersion: batch/v1, kind: Job, spec: {template: {spec: {containers: [{name: t, command: [sh, -c, "echo f=\${trialParameters.x}"]}]}}}}
YAML
  "$SLIPWAY" sweep "resume-$policy.yaml" -o json > "resume-$policy.json" 2> /dev/null || fail "resume-$policy sweep"
done
long=$(json resume-LongRunning.json "d['id']")
"$SLIPWAY" sweep resume "$long" --max-trials 5 -o json > continued.json 2> continued.err || fail "continue: $(cat continued.err)"
expect_eq "$(json continued.json "(d['state'], len(d['trials']), [t['number'] for t in d['trials']])")" "('SUCCEEDED', 5, [0, 1, 2, 3, 4])" \
  "resumePolicy LongRunning: the finished sweep goes on to 5 trials, its first 3 kept"
set +e
"$SLIPWAY" sweep resume "$(json resume-Never.json "d['id']")" --max-trials 5 > never.out 2> never.err
code=$?
set -e
[ $code -eq 2 ] || fail "continuing a Never sweep exited $code"
contains "resumePolicy is Never" never.err || fail "no reason: $(cat never.err)"
pass "resumePolicy Never: continuing is refused with the reason"

# Bad input: exit 2 with the reason, nothing started.
expect_fail_sweep() {  # TEXT FILE
  set +e
  "$SLIPWAY" sweep "$2" > bad.out 2> bad.err
  local code=$?
  set -e
  [ $code -eq 2 ] || fail "sweep $2 exited $code, expected 2: $(cat bad.err)"
  contains -F -e "$1" bad.err || fail "expected '$1' in: $(cat bad.err)"
  pass "refused: $1"
}
expect_fail_sweep "neural architecture search" "$SLIPWAY_SOURCE_DIR/tests/fixtures/katib/enas.yaml"
printf 'objective: {minimize: f}\nparameters: {x: {type: double, min: 0, max: 1}}\ntrial: {command: [echo, "${y}"]}\n' > undefined.yaml
expect_fail_sweep '${y} in the trial command is not a search parameter' undefined.yaml
expect_fail_sweep "cannot read sweep" missing.yaml
printf 'objective: {minimize: f}\nparameters: {x: {type: double, min: 0, max: 1}}\ntrial: {command: [echo], resources: {nodes: 2}}\n' > big.yaml
expect_fail_sweep "the trial asks for 2 nodes (the local backend is one node; use --backend slurm)" big.yaml

# A folder of Katib Experiments: each accepted or refused with its reason.
set +e
"$SLIPWAY" sweep validate "$SLIPWAY_SOURCE_DIR/tests/fixtures/katib" -o json > report.json
code=$?
set -e
[ $code -eq 2 ] || fail "a folder with a refused experiment exited $code"
expect_eq "$(json report.json "[(r['file'].split('/')[-1], r['accepted'], r.get('algorithm', ''), 'neural architecture search' in r.get('reason', '')) for r in d]")" \
  "[('enas.yaml', False, '', True), ('median-stop-file.yaml', True, 'grid', False), ('pytorchjob-tpe.yaml', True, 'tpe', False), ('random.yaml', True, 'random', False)]" \
  "sweep validate reports every Katib file: accepted, or refused with the reason"
