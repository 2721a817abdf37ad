#!/usr/bin/env bash
# Kill -9 anywhere, many times. While a 200-task pipeline (fan-outs, retries, a finally step)
# runs, its driver is killed with -9 at CHAOS_KILLS (30) random moments and resumed each time;
# then the same for a sweep controller (`sweep resume`) and for `slipway server` while it fires a
# schedule every second. In the end every run succeeded, every task succeeded exactly once (the
# attempts running at a kill are recorded LOST and ran again), no schedule tick fired twice, and
# no process is left behind. Prints the figures.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export SLIPWAY_LOCAL_CPUS=4
KILLS=${CHAOS_KILLS:-30}
DB="$SLIPWAY_HOME/slipway.db"
random_pause() { sleep "0.$((RANDOM % 7 + 2))"; }  # 0.2 to 0.8 s
q() { sqlite3 "$DB" "$1"; }

# survive_kills NAME ID_SQL RESUME...: kills process $pid with -9 at up to KILLS random moments,
# each time starting `RESUME... ID` in its place (ID read with ID_SQL once it is in the store).
# Stops early when the process ended by itself. Sets kills, id and pid (the last one started).
survive_kills() {
  local name=$1 id_sql=$2
  shift 2
  kills=0
  id=""
  while [ $kills -lt "$KILLS" ]; do
    random_pause
    kill -9 "$pid" 2> /dev/null || break  # it finished first
    wait "$pid" 2> /dev/null || true
    kills=$((kills + 1))
    [ -n "$id" ] || id=$(q "$id_sql")
    [ -n "$id" ] || fail "$name: nothing in the store after the first kill"
    "$@" "$id" > "$name-resume-$kills.out" 2>&1 &
    pid=$!
  done
  wait "$pid" || fail "$name: the last process for $id failed: $(tail -5 "$name-resume-$kills.out")"
}

# --- a pipeline's driver ---------------------------------------------------------------------------
start=$(date +%s)
wide=$(python3 -c "print(list(range(100, 250)))")
narrow=$(python3 -c "print(list(range(300, 345)))")
"$SLIPWAY" run "$PIPELINES/chaos.yaml" -p "wide=$wide" -p "narrow=$narrow" -p "log=$WORK/log.txt" \
  > first.out 2>&1 &
pid=$!
survive_kills pipeline "SELECT id FROM runs ORDER BY created_ms DESC LIMIT 1" "$SLIPWAY" runs resume
run=$id
[ "$kills" -ge $((KILLS * 2 / 3)) ] || fail "the run finished after $kills kills; the test needs a longer pipeline"
expect_eq "$(q "SELECT state FROM runs WHERE id = '$run'")" SUCCEEDED "the run succeeded after $kills kills"
expect_eq "$(q "SELECT COUNT(DISTINCT task) FROM attempts WHERE run_id = '$run'")" 198 "all 198 tasks ran"
expect_eq "$(q "SELECT COUNT(*) FROM (SELECT task FROM attempts WHERE run_id = '$run' GROUP BY task
                HAVING SUM(state = 'SUCCEEDED') != 1)")" 0 "every task succeeded exactly once"
expect_eq "$(q "SELECT COUNT(*) FROM attempts WHERE run_id = '$run'
                AND state NOT IN ('SUCCEEDED', 'FAILED', 'LOST')")" 0 "every other attempt is FAILED (on purpose) or LOST"
lost=$(q "SELECT COUNT(*) FROM attempts WHERE run_id = '$run' AND state = 'LOST'")
# A task's process may have finished just before a kill, unrecorded: it is then LOST and runs
# again. So the times a task's process completed are at most 1 + its LOST attempts.
q "SELECT task, SUM(state = 'LOST') FROM attempts WHERE run_id = '$run' GROUP BY task" > lost.txt
python3 - "$WORK/log.txt" lost.txt <<'PY' || fail "a task completed more often than its LOST attempts explain"
import collections, sys
done = collections.Counter(l.split()[0] for l in open(sys.argv[1]) if l.split()[-1] == "done")
lost = {t: int(n) for t, n in (l.strip().split("|") for l in open(sys.argv[2]))}
bad = {t: (n, lost.get(t, 0)) for t, n in done.items() if n > 1 + lost.get(t, 0)}
if bad:
    print("task: (completions, LOST attempts):", bad)
    sys.exit(1)
PY
pass "no task completed more often than 1 + its LOST attempts"
expect_eq "$(run_processes "$run")" 0 "no process of the run is left"
echo "chaos: pipeline of 200 tasks: $kills kills -9 survived, $lost attempts LOST and run again, $(($(date +%s) - start)) s"

# --- a sweep's controller --------------------------------------------------------------------------
start=$(date +%s)
cat > sweep.yaml <<'YAML'
name: chaos-sweep
objective: {minimize: f}
algorithm: random
parallel: 3
max_trials: 30
seed: 7
parameters: {x: {type: double, min: 0, max: 1}}
trial: {command: [sh, -c, "sleep 2; echo f=${x}"]}
YAML
"$SLIPWAY" sweep sweep.yaml > sweep-first.out 2>&1 &
pid=$!
survive_kills sweep "SELECT id FROM sweeps WHERE name = 'chaos-sweep'" "$SLIPWAY" sweep resume
sweep=$id
skills=$kills
[ "$skills" -ge $((KILLS * 2 / 3)) ] || fail "the sweep finished after $skills kills; the test needs a longer sweep"
expect_eq "$(q "SELECT state FROM sweeps WHERE id = '$sweep'")" SUCCEEDED "the sweep succeeded after $skills kills"
expect_eq "$(q "SELECT COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number), COUNT(DISTINCT run_id),
                SUM(state = 'SUCCEEDED') FROM trials WHERE sweep_id = '$sweep'")" "30|30|0|29|30|30" \
  "30 trials, numbered 0-29, one run each, all succeeded"
expect_eq "$(q "SELECT COUNT(*) FROM runs WHERE json_extract(options, '\$.sweep') = '$sweep'")" 30 \
  "no trial was started twice: 30 runs in all"
expect_eq "$(q "SELECT COUNT(*) FROM attempts a JOIN trials t ON a.run_id = t.run_id
                WHERE t.sweep_id = '$sweep' AND a.state = 'SUCCEEDED'")" 30 "each trial's task succeeded exactly once"
for r in $(q "SELECT run_id FROM trials WHERE sweep_id = '$sweep'"); do
  [ "$(run_processes "$r")" -eq 0 ] || fail "a process of trial run $r is left"
done
pass "no process of any trial is left"
echo "chaos: sweep of 30 trials: $skills kills -9 of the controller survived, $(($(date +%s) - start)) s"

# --- the server firing a schedule ------------------------------------------------------------------
start=$(date +%s)
printf 'name: tick\ncomponents:\n  hi: {command: [echo, hi]}\ntasks:\n  hi: {component: hi}\n' > tick.yaml
"$SLIPWAY" schedules create tick.yaml --every 1s --max-concurrency 5 --catch-up > /dev/null
serve() { "$SLIPWAY" server --no-auth --port 0 --tick-ms 100 > "server-$1.log" 2>&1 & }
kkills=0
while [ $kkills -lt "$KILLS" ]; do
  serve "$kkills"
  pid=$!
  sleep "$((RANDOM % 2)).$((RANDOM % 10))"  # 0 to 1.9 s: at start-up, firing, or idle
  kill -9 "$pid"
  wait "$pid" 2> /dev/null || true
  kkills=$((kkills + 1))
done
serve last
pid=$!
sleep 2
kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly: $(tail -3 server-last.log)"
q "UPDATE schedules SET enabled = 0"
for _ in $(seq 300); do
  [ "$(q "SELECT COUNT(*) FROM runs WHERE schedule_id != '' AND state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')")" -eq 0 ] && break
  sleep 0.1
done
expect_eq "$(q "SELECT COUNT(*) FROM (SELECT json_extract(options, '\$.scheduled_ms') AS t FROM runs
                WHERE schedule_id != '' GROUP BY t HAVING COUNT(*) > 1)")" 0 "no schedule tick fired twice"
ticks=$(q "SELECT COUNT(*) FROM runs WHERE schedule_id != ''")
expect_eq "$(q "SELECT (MAX(json_extract(options, '\$.scheduled_ms')) - MIN(json_extract(options, '\$.scheduled_ms'))) / 1000 + 1
                FROM runs WHERE schedule_id != ''")" "$ticks" "no tick was lost: $ticks consecutive seconds, one run each"
expect_eq "$(q "SELECT COUNT(*) FROM runs WHERE schedule_id != '' AND state != 'SUCCEEDED'")" 0 "every scheduled run succeeded"
for p in $(q "SELECT driver_pid FROM runs WHERE schedule_id != '' AND driver_pid > 0"); do
  ! kill -0 "$p" 2> /dev/null || fail "driver $p is left running"
done
pass "no driver is left"
echo "chaos: server with a 1 s schedule: $kkills kills -9 survived, $ticks ticks fired once each, $(($(date +%s) - start)) s"
