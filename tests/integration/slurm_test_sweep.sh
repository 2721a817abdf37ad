#!/usr/bin/env bash
# Sweeps on the Slurm test cluster (sobol, Katib's pbt, cmaes): each trial is a run whose task is a
# Slurm job, one of them a 2-node trial started through `slipway launch`; the objective comes back
# from the job's output.
source "$(dirname "$0")/lib.sh"
: "${SLURM_CONF:?run through ctest, which starts the test cluster}"
printf 'poll_interval: 200ms\n' > "$SLIPWAY_HOME/slurm.yaml"
cd "$WORK"
cat > sweep.yaml <<'YAML'
name: slurm-sweep
objective: {minimize: f}
algorithm: sobol
parallel: 2
max_trials: 3
parameters: {x: {type: double, min: 0, max: 1}}
trial:
  command: [sh, -c, "if [ \"$${RANK:-0}\" = 0 ]; then echo f=${x}; echo nodes=$${SLURM_JOB_NUM_NODES:-0}; fi"]
  resources: {nodes: 2, tasks_per_node: 1, cpus: 1}
YAML
"$SLIPWAY" sweep sweep.yaml --backend slurm -o json > sweep.json 2> sweep.err || fail "slurm sweep: $(cat sweep.err)"
expect_eq "$(json sweep.json "(d['state'], len(d['trials']), all(t['state'] == 'SUCCEEDED' for t in d['trials']), [t['metrics'] for t in d['trials']][0].keys() >= {'f'})")" \
  "('SUCCEEDED', 3, True, True)" "three trials on Slurm, objectives read from their jobs' output"
run=$(json sweep.json "d['trials'][0]['run']")
"$SLIPWAY" runs show "$run" -o json > run.json
expect_eq "$(json run.json "(d['backend'], [t['backend_id'] != '' for t in d['tasks']])")" "('slurm', [True])" "a trial's task is a Slurm job"
contains -r "nodes=2" "$SLIPWAY_HOME/runs/$run" || fail "the trial did not run on 2 nodes"
pass "a 2-node trial ran across the cluster's nodes"

# Katib's pbt as is, each trial a Slurm job: suggestion_trial_dir in the command is the trial's
# own checkpoint directory, generation 1 continuing generation 0's.
cat > pbt.yaml <<YAML
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: slurm-pbt}
spec:
  maxTrialCount: 10
  parallelTrialCount: 5
  objective: {type: maximize, objectiveMetricName: acc}
  algorithm:
    algorithmName: pbt
    algorithmSettings:
      - {name: suggestion_trial_dir, value: /var/log/katib/checkpoints/}
      - {name: n_population, value: "5"}
      - {name: truncation_threshold, value: "0.2"}
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.01", max: "0.3", step: "0.01"}}
  trialTemplate:
    trialParameters: [{name: learningRate, reference: lr}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: training-container
                command: [python3, $SLIPWAY_SOURCE_DIR/tests/integration/programs/pbt_toy.py, "--lr=\${trialParameters.learningRate}", "--checkpoint=/var/log/katib/checkpoints/"]
YAML
"$SLIPWAY" sweep pbt.yaml --backend slurm -o json > pbt.json 2> pbt.err || fail "slurm pbt sweep: $(cat pbt.err)"
expect_eq "$(json pbt.json "(d['state'], len(d['trials']), sorted({t['generation'] for t in d['trials']}), all(t['parent'] is not None for t in d['trials'] if t['generation'] == 1))")" \
  "('SUCCEEDED', 10, [0, 1], True)" "pbt on Slurm: two generations of five"
gen1_run=$(json pbt.json "[t['run'] for t in d['trials'] if t['generation'] == 1][0]")
contains -r "resumed at step 5" "$SLIPWAY_HOME/runs/$gen1_run" || fail "a generation-1 trial on Slurm did not continue its parent's checkpoint"
pass "a generation-1 Slurm trial continued its parent's checkpoint"

# CMA-ES on Slurm: two generations of six.
cat > cmaes.yaml <<'YAML'
name: slurm-cmaes
objective: {minimize: f}
algorithm: cmaes
parallel: 3
max_trials: 12
parameters: {x: {type: double, min: -1, max: 1}, y: {type: double, min: -1, max: 1}}
trial:
  command: [python3, -c, "print('f=%g' % ((${x} - 0.3) ** 2 + (${y} - 0.1) ** 2))"]
YAML
"$SLIPWAY" sweep cmaes.yaml --backend slurm -o json > cmaes.json 2> cmaes.err || fail "slurm cmaes sweep: $(cat cmaes.err)"
expect_eq "$(json cmaes.json "(d['state'], len(d['trials']), all(t['state'] == 'SUCCEEDED' for t in d['trials']))")" \
  "('SUCCEEDED', 12, True)" "cmaes on Slurm: two generations of six"
