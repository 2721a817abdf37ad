#!/usr/bin/env bash
# Multi-rank tasks on the Slurm test cluster go through `slipway launch`: two PyTorch (gloo)
# data-parallel jobs of 2 nodes x 2 ranks each, at the same time on the same nodes, form their
# process groups, all-reduce correctly and do not collide on their rendezvous ports. (Every node
# of the test cluster is this one host, so the two jobs share one network stack wherever Slurm
# puts them: a port collision would show.)
source "$(dirname "$0")/lib.sh"
: "${SLURM_CONF:?run through ctest, which starts the test cluster}"
printf 'poll_interval: 200ms\n' > "$SLIPWAY_HOME/slurm.yaml"
ddp_pipeline "$WORK/ddp.yaml" ddp "  first: {component: ddp, resources: {nodes: 2, tasks_per_node: 2, cpus: 1}, cache: false}
  second: {component: ddp, resources: {nodes: 2, tasks_per_node: 2, cpus: 1}, cache: false}"
run_json "$WORK/ddp.json" "$WORK/ddp.yaml" --backend slurm
expect_eq "$rc" 0 "two 2x2 PyTorch jobs at once on Slurm succeed $(cat "$WORK/ddp.json.err" | tail -3)"
for task in first second; do
  dir=$(json "$WORK/ddp.json" "[t['outputs']['ranks']['uri'] for t in d['tasks'] if t['name'] == '$task'][0]")
  expect_eq "$(ls "$dir" | sort | tr '\n' ' ')" "rank-0.json rank-1.json rank-2.json rank-3.json " "$task: four ranks reported"
  expect_eq "$(python3 -c "
import json, glob
rs = [json.load(open(f)) for f in sorted(glob.glob('$dir/rank-*.json'))]
print(sorted(set(r['sum'] for r in rs)), all(r['params_equal'] for r in rs), sorted((r['group_rank'], r['local_rank']) for r in rs),
      len(set(r['node'] for r in rs)), len(set(r['master'] for r in rs)))")" \
    "[10.0] True [(0, 0), (0, 1), (1, 0), (1, 1)] 2 1" "$task: all-reduce sum, equal parameters, 2 nodes x 2 local ranks, one rendezvous"
done
m1=$(python3 -c "import json; print(json.load(open('$(json "$WORK/ddp.json" "[t['outputs']['ranks']['uri'] for t in d['tasks'] if t['name'] == 'first'][0]")/rank-0.json'))['master'])")
m2=$(python3 -c "import json; print(json.load(open('$(json "$WORK/ddp.json" "[t['outputs']['ranks']['uri'] for t in d['tasks'] if t['name'] == 'second'][0]")/rank-0.json'))['master'])")
nodes_of() { python3 -c "import json, glob; print(sorted(set(json.load(open(f))['node'] for f in glob.glob('$1/rank-*.json'))))"; }
n1=$(nodes_of "$(json "$WORK/ddp.json" "[t['outputs']['ranks']['uri'] for t in d['tasks'] if t['name'] == 'first'][0]")")
n2=$(nodes_of "$(json "$WORK/ddp.json" "[t['outputs']['ranks']['uri'] for t in d['tasks'] if t['name'] == 'second'][0]")")
echo "first ran on $n1, second on $n2"
[ "$m1" != "$m2" ] || fail "the two jobs used the same rendezvous $m1"
pass "the two jobs rendezvoused on different ports ($m1, $m2)"
