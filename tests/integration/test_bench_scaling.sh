#!/usr/bin/env bash
# `slipway bench scaling` on the local backend: the iris MLP at 1 and 2 ranks, run as a pipeline;
# the report has a row per scale, the all-reduce measured at 2 ranks, and a plot.
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$WORK"
"$SLIPWAY" data import table "$SLIPWAY_SOURCE_DIR/data/iris.csv" --label species -o iris.h5 > /dev/null
printf 'model: {kind: mlp, hidden: [32]}\ndata: iris.h5\nbatch_size: 24\nsteps: 100\n' > iris.yaml
"$SLIPWAY" bench scaling iris.yaml --ranks 1,2 --steps 40 -o report --output json > report.json 2> report.err || fail "bench scaling: $(tail -5 report.err)"
expect_eq "$(json report.json "[r['ranks'] for r in d['rows']]")" "[1, 2]" "a row per scale"
expect_eq "$(json report.json "(d['rows'][0]['speedup'], d['rows'][1]['throughput'] > 0, d['mode'], d['unit'])")" "(1.0, True, 'strong', 'samples')" "speedup against one rank"
expect_eq "$(json report.json "d['allreduce']['ranks'] == 2 and d['allreduce']['bandwidth_bytes_per_second'] > 0 and d['rows'][1]['model_comm_seconds'] > 0")" True \
  "the all-reduce was measured at 2 ranks and fed the ring model"
python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" report/scaling.svg || fail "the plot is not well-formed SVG"
contains "ring model" report/scaling.svg || fail "the plot has no model line"
pass "scaling.svg plots measured, ideal and model"
expect_eq "$(json report/run.json "[t['name'] for t in d['tasks']]")" "['ranks-1', 'ranks-2']" "one pipeline task per scale"
set +e
"$SLIPWAY" bench scaling iris.yaml --ranks 1,5 -o bad 2> bad.err; rc=$?
set -e
expect_eq "$rc" 2 "a rank count that does not divide the batch is refused"
contains "does not divide among 5 ranks" bad.err || fail "message: $(cat bad.err)"
