#!/usr/bin/env bash
# The dashboard in a real browser: headless Chromium driven by Selenium (Debian's chromium,
# chromium-driver and python3-selenium) against `slipway server` over a store with two finished
# iris runs, a sweep and a schedule. Screenshots of each step are kept in
# $SLIPWAY_TEST_ARTIFACTS/dashboard (default: build/test-artifacts/dashboard).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

for need in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$need" ] || { echo "SKIP: $need is missing (apt-get install chromium chromium-driver)"; exit 77; }
done
/usr/bin/python3 -c "import selenium" 2>/dev/null || { echo "SKIP: python3-selenium is missing (apt-get install python3-selenium)"; exit 77; }
SHOTS=${SLIPWAY_TEST_ARTIFACTS:-$SLIPWAY_SOURCE_DIR/build/test-artifacts}/dashboard
rm -rf "$SHOTS"

for i in 1 2; do
  run_json "iris$i.json" "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" -p data="$SLIPWAY_SOURCE_DIR/data/iris.csv" --no-cache
  expect_eq "$rc" 0 "iris run $i succeeds"
done
cat > quad.yaml <<'YAML'
name: quad
objective: {minimize: f}
algorithm: {name: random}
parallel: 2
max_trials: 6
seed: 3
parameters:
  x: {type: double, min: -2, max: 2}
  opt: {type: categorical, values: [adam, sgd]}
trial:
  command: [python3, -c, "print('f=%g' % ((${x} - 0.5) ** 2 + (0.1 if '${opt}' == 'sgd' else 0)))"]
YAML
"$SLIPWAY" sweep quad.yaml -o json > quad.json 2> quad.err || fail "the sweep failed: $(cat quad.err)"
"$SLIPWAY" schedules create "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" --cron "0 3 * * *" --name nightly \
  -p data="$SLIPWAY_SOURCE_DIR/data/iris.csv" > /dev/null
token=$("$SLIPWAY" server token create --namespace default --admin 2>/dev/null)

"$SLIPWAY" server --port 0 --port-file port > server.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "the server did not start: $(cat server.log)"
BASE="http://127.0.0.1:$(cat port)"
expect_eq "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$BASE/")" "200 text/html; charset=utf-8" "GET / serves the dashboard"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/vendor/chart.min.js")" 200 "Chart.js comes from Debian's libjs-chart.js"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/vendor/bootstrap.min.css")" 200 "Bootstrap comes from Debian's libjs-bootstrap5"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/..%2f..%2fetc%2fpasswd")" 404 "no path climbs out of web/"

# A pipeline uploaded as kfp.Client uploads one (multipart, field uploadfile): its link's page.
pipeline_id=$(curl -s -H "Authorization: Bearer $token" -F "uploadfile=@$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" \
  "$BASE/apis/v2beta1/pipelines/upload?name=iris-upload" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pipeline_id"])')

# A run still going when the browser opens it (its page must follow it to the end by itself).
sleepy=$("$SLIPWAY" run "$PIPELINES/sleepy.yaml" -p seconds=12 --detach)
/usr/bin/python3 "$SLIPWAY_SOURCE_DIR/tests/integration/programs/dashboard_browser.py" "$BASE" "$token" "$SHOTS" "$sleepy" "$pipeline_id" \
  || fail "the browser checks failed (screenshots in $SHOTS); server log: $(tail -20 server.log)"
expect_eq "$(ls "$SHOTS"/*.png | wc -l)" 16 "sixteen screenshots were written to $SHOTS"
