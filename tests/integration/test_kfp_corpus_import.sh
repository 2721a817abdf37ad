#!/usr/bin/env bash
# The real KFP corpus (shared/corpora/kfp-ir: 192 files from the Kubeflow Pipelines repository)
# through `slipway validate --report`. The set of files that do not import is pinned, each with
# the reason it is refused, so a regression fails here and so does an improvement that forgets
# to update docs/kfp.md.
source "$(dirname "$0")/lib.sh"
CORPUS="${SLIPWAY_CORPORA:-$SLIPWAY_SOURCE_DIR/../shared/corpora}/kfp-ir"
if [ ! -d "$CORPUS" ]; then
  echo "skipped: no corpus at $CORPUS (set SLIPWAY_CORPORA)"
  exit 77
fi

"$SLIPWAY" validate --report "$CORPUS" --output json > "$WORK/report.json"
expect_eq "$(json "$WORK/report.json" "d['totals']['files']")" 192 "every corpus file is read (YAML and JSON)"
expect_eq "$(json "$WORK/report.json" "d['totals']['import']")" 187 "files that import: every valid one"

# file -> a phrase of the reason it is refused
cat > "$WORK/expected.py" <<'EOF'
refused = {
  # invalid on purpose, or refused by KFP's own API server
  "test_data__sdk_compiled_pipelines__invalid__empty_file.yaml": "is a mapping",
  "test_data__sdk_compiled_pipelines__invalid__invalid_yaml.yaml": "which is not defined",
  "test_data__sdk_compiled_pipelines__invalid__no_name.yaml": "name is empty",
  "backend__test__proto_tests__testdata__generated-1791485__pipeline_spec.json": "schemaVersion ''",
  "backend__test__proto_tests__testdata__generated-1791485__platform_spec.json": "platform spec without a pipeline spec",
}
EOF
python3 - "$WORK/report.json" "$WORK/expected.py" <<'EOF' || fail "the refused files and their reasons changed"
import json, sys
d = json.load(open(sys.argv[1]))
exec(open(sys.argv[2]).read())
got = {r["file"]: r["errors"] for r in d["files"] if not r["imports"]}
ok = True
for f in sorted(set(got) | set(refused)):
    if f not in got:
        print(f"now imports (update the test and docs/kfp.md): {f}"); ok = False
    elif f not in refused:
        print(f"no longer imports: {f}: {got[f][:1]}"); ok = False
    elif not any(refused[f] in e for e in got[f]):
        print(f"refused for another reason: {f}: {got[f][:1]}"); ok = False
sys.exit(0 if ok else 1)
EOF
pass "the 5 refused files, each for its stated reason"

# Every valid file that imports has no error; the features table counts what the corpus uses.
expect_eq "$(json "$WORK/report.json" "all(not r['errors'] for r in d['files'] if r['imports'])")" True "imported files carry no errors"
