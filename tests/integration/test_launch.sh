#!/usr/bin/env bash
# `slipway topo` and `slipway launch` from the command line, and a multi-rank task on the local
# backend: its ranks start through the launcher, bound one per core, and train data-parallel.
source "$(dirname "$0")/lib.sh"
TOPO="$SLIPWAY_SOURCE_DIR/tests/fixtures/topo"

"$SLIPWAY" topo --output json > "$WORK/here.json"
expect_eq "$(json "$WORK/here.json" "(type(d['gpus']), type(d['nics']), d['cores'] >= 1)")" "(<class 'list'>, <class 'list'>, True)" "topo --output json of this machine"
"$SLIPWAY" topo --xml "$TOPO/dgx_a100_like.xml" --output json > "$WORK/dgx.json"
expect_eq "$(json "$WORK/dgx.json" "[(g['name'], g['pci_busid'], g['numa']) for g in d['gpus'] if g['name'] == 'cuda6']")" \
  "[('cuda6', '0000:b7:00.0', [3])]" "a GPU's name, PCI bus id and NUMA node"
"$SLIPWAY" topo --xml "$TOPO/dgx_a100_like.xml" --plan --ranks 8 --gpus-per-rank 1 --output svg > "$WORK/plan.svg"
python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$WORK/plan.svg" || fail "the SVG is not well-formed XML"
contains "GPU 7 cuda7/nvml7  → rank 7" "$WORK/plan.svg" || fail "the SVG does not show rank 7 on GPU 7"
pass "topo --plan --output svg draws the plan"
set +e
"$SLIPWAY" topo --xml "$TOPO/two_socket_smt4_4gpu.xml" --plan --ranks 8 --gpus-per-rank 1 2> "$WORK/short.err"; rc=$?
set -e
expect_eq "$rc" 2 "an impossible plan exits 2"
contains "needs 8 ranks × 1 GPUs = 8 GPUs, but" "$WORK/short.err" || fail "message: $(cat "$WORK/short.err")"

# The launcher alone: two local ranks (started through mpirun, which is installed), each bound
# to its own core where there are two.
"$SLIPWAY" launch --nproc 2 -- sh -c 'echo "$RANK $WORLD_SIZE $LOCAL_RANK $(grep Cpus_allowed_list /proc/self/status | cut -f2)" > "$0/rank-$RANK"' "$WORK"
expect_eq "$(cut -d' ' -f1-3 "$WORK/rank-0") / $(cut -d' ' -f1-3 "$WORK/rank-1")" "0 2 0 / 1 2 1" "launch --nproc 2 sets RANK, WORLD_SIZE, LOCAL_RANK"
if [ "$(nproc)" -ge 2 ]; then
  [ "$(cut -d' ' -f4 "$WORK/rank-0")" != "$(cut -d' ' -f4 "$WORK/rank-1")" ] || fail "both ranks bound to the same CPUs"
  pass "the ranks are bound to different CPUs ($(cut -d' ' -f4 "$WORK/rank-0"), $(cut -d' ' -f4 "$WORK/rank-1"))"
fi
set +e
"$SLIPWAY" launch --nproc 2 --spawner fork -- sh -c '[ "$RANK" = 1 ] && exit 7; sleep 30' 2> "$WORK/fail.err"; rc=$?
set -e
expect_eq "$rc" 7 "one failing rank fails the launch with its exit code"
contains "stopping the other ranks" "$WORK/fail.err" || fail "message: $(cat "$WORK/fail.err")"

# A 2-rank task of a pipeline on the local backend: PyTorch gloo through the launcher.
ddp_pipeline "$WORK/ddp.yaml" ddp-local "  train: {component: ddp, resources: {tasks_per_node: 2, cpus: 1}}"
run_json "$WORK/ddp.json" "$WORK/ddp.yaml"
expect_eq "$rc" 0 "a 2-rank local task succeeds $(tail -3 "$WORK/ddp.json.err")"
dir=$(json "$WORK/ddp.json" "d['tasks'][0]['outputs']['ranks']['uri']")
expect_eq "$(python3 -c "
import json, glob
rs = [json.load(open(f)) for f in sorted(glob.glob('$dir/rank-*.json'))]
print(len(rs), sorted(set(r['sum'] for r in rs)), all(r['params_equal'] for r in rs))")" "2 [3.0] True" "the two ranks all-reduced and stayed in step"
