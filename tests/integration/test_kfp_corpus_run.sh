#!/usr/bin/env bash
# Pipelines of the real KFP corpus (shared/corpora/kfp-ir) run as they are, their outputs checked
# against what their source computes: dsl.OneOf, ignore_upstream_failure(), and kfp-kubernetes
# volumes and secrets with and without them (kfp_corpus_runs.py runs many more).
source "$(dirname "$0")/lib.sh"
CORPUS="${SLIPWAY_CORPORA:-$SLIPWAY_SOURCE_DIR/../shared/corpora}/kfp-ir"
if [ ! -d "$CORPUS" ]; then
  echo "skipped: no corpus at $CORPUS (set SLIPWAY_CORPORA)"
  exit 77
fi
V=test_data__sdk_compiled_pipelines__valid

# if/else over a coin flip; the branch that ran returns "Got heads!" or "Got tails!", and the
# task after the branches reads it through the dsl.OneOf.
run_json "$WORK/oneof.json" "$CORPUS/${V}__if_else_with_oneof_parameters.yaml"
expect_eq "$rc" 0 "if_else_with_oneof_parameters succeeds"
states=$(json "$WORK/oneof.json" "sorted(t['state'] for t in d['tasks'] if t['name'] in ('print-and-return', 'print-and-return-2'))")
expect_eq "$states" "['SKIPPED', 'SUCCEEDED']" "exactly one branch ran"
coin=$(json "$WORK/oneof.json" "[t['outputs']['Output'] for t in d['tasks'] if t['name']=='flip-coin'][0]")
expect_eq "$(json "$WORK/oneof.json" "[t['outputs']['Output'] for t in d['tasks'] if t['name']=='print-and-return-3'][0]")" \
  "Got $coin!" "the reader got the output of the branch that ran"

# fail_op exits 1; print_op(message=fail_op.output).ignore_upstream_failure() still runs, with
# its default 'default'.
run_json "$WORK/ignore.json" "$CORPUS/${V}__pipeline_with_task_using_ignore_upstream_failure.yaml"
expect_eq "$rc" 1 "the failed task fails the run"
expect_eq "$(json "$WORK/ignore.json" "{t['name']: t['state'] for t in d['tasks']}")" \
  "{'fail-op': 'FAILED', 'print-op': 'SUCCEEDED'}" "the task after the failure ran"
log=$("$SLIPWAY" runs logs "$(json "$WORK/ignore.json" "d['id']")" print-op 2>&1)
echo "$log" | contains -x default || fail "print-op did not print its default: $log"
pass "its input took the default"

# CreatePVC makes a named volume that outlives the run until DeletePVC; steps that mount it
# see it at their mountPath, and nothing changes outside them.
mkdir -p "$SLIPWAY_HOME/volumes/my-existing-pvc"
run_json "$WORK/pvc.json" "$CORPUS/backend__src__apiserver__template__testdata__pipeline_with_volume.yaml"
expect_eq "$rc" 0 "the pipeline with volumes succeeds"
expect_eq "$(json "$WORK/pvc.json" "{t['name']: t['state'] for t in d['tasks']}")" \
  "{'createpvc': 'SUCCEEDED', 'comp': 'SUCCEEDED', 'comp-2': 'SUCCEEDED', 'comp-3': 'SUCCEEDED', 'deletepvc': 'SUCCEEDED'}" \
  "CreatePVC, the mounting steps and DeletePVC ran"
claim=$(json "$WORK/pvc.json" "[t['outputs']['name'] for t in d['tasks'] if t['name']=='createpvc'][0]")
[ ! -e "$SLIPWAY_HOME/volumes/$claim" ] || fail "DeletePVC left $SLIPWAY_HOME/volumes/$claim"
pass "the claim '$claim' was a directory under \$SLIPWAY_HOME/volumes until DeletePVC removed it"
[ ! -e /data/file.txt ] || fail "a mount leaked to the host's /data"
pass "the mounts were the steps' own"

# A claim that does not exist is refused before the step starts, with the directory to create.
# (--no-cache: otherwise the step would be served from the first run's cache, as on KFP, whose
# cache key holds the names of the claims a step mounts but not what is in them.)
rm -rf "$SLIPWAY_HOME/volumes/my-existing-pvc"
run_json "$WORK/nopvc.json" "$CORPUS/backend__src__apiserver__template__testdata__pipeline_with_volume.yaml" --no-cache
expect_eq "$rc" 1 "without the existing claim the pipeline fails"
json "$WORK/nopvc.json" "[t['message'] for t in d['tasks'] if t['name']=='comp-3'][0]" |
  contains "$SLIPWAY_HOME/volumes/my-existing-pvc" || fail "the message does not say which directory to create"
pass "the message names the directory to create"

# use_secret_as_env inside a ParallelFor over ["a", "b", "c"]: each item returns the secret's
# value. A secret is a directory of key files under $SLIPWAY_HOME/secrets; without it the step
# is refused with the path to create.
SECRET="$CORPUS/${V}__parallel_and_nested__parallel_for_secret.yaml"
run_json "$WORK/nosecret.json" "$SECRET"
expect_eq "$rc" 1 "without the secret the pipeline fails"
json "$WORK/nosecret.json" "[t['message'] for t in d['tasks'] if t['name']=='example-component[0]'][0]" |
  contains "$SLIPWAY_HOME/secrets/test-secret-1/username" || fail "the message does not say where the secret goes"
pass "the message names the file to create"
mkdir -p "$SLIPWAY_HOME/secrets/test-secret-1"
echo alice > "$SLIPWAY_HOME/secrets/test-secret-1/username"
run_json "$WORK/secret.json" "$SECRET"
expect_eq "$rc" 0 "parallel_for_secret succeeds with the secret in place"
expect_eq "$(json "$WORK/secret.json" "[t['outputs']['Output'] for t in d['tasks'] if t['name']=='example-component'][0]")" \
  "['alice', 'alice', 'alice']" "every iteration read the secret from its environment"
