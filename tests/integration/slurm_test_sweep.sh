#!/usr/bin/env bash
# A sweep on the Slurm test cluster: each trial is a run whose task is a Slurm job, one of them a
# 2-node trial started through `slipway launch`; the objective comes back from the job's output.
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
