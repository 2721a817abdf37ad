"""Tables for bench/serve_models.sh: requests/s and latency per model, protocol and concurrency
for slipway, KServe and MLServer, slipway's ratios to each, and the time slipway's calls spent in
the hop to their Python worker.

    serve_models_report.py RESULTS.jsonl HOPS.jsonl FLOOR_MICROSECONDS
"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
snapshots = [json.loads(line) for line in open(sys.argv[2])]
floor = sys.argv[3]


def peer(name):
    return next((r["server"] for r in rows if r["server"].startswith(name)), name)


kserve, mlserver = peer("KServe"), peer("MLServer")
by = {(r["server"], r["model"], r["protocol"], r["c"]): r for r in rows}
names = {"lr": "LogisticRegression", "rf": "RandomForest (100 trees)", "xgb": "XGBoost (100 rounds)"}

worker = "slipway (Python worker)"
print("| model | protocol | conns | slipway req/s | p50 ms | p99 ms | through its worker req/s | p99 ms | %s req/s | p99 ms | %s req/s | p99 ms | ÷ KServe | ÷ MLServer | worker ÷ KServe | worker ÷ MLServer |" % (kserve, mlserver))
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
errors = []
for model in ("lr", "rf", "xgb"):
    for protocol in ("v1", "v2"):
        for c in (1, 16, 64):
            s = by.get(("slipway", model, protocol, c))
            if not s:
                continue
            k, m = by.get((kserve, model, protocol, c)), by.get((mlserver, model, protocol, c))
            w = by.get((worker, model, protocol, c))
            def cell(r):
                return ("%.0f" % r["rps"], "%.3g" % r["p99_ms"]) if r else ("—", "—")
            def ratio(a, b):
                return "%.1f×" % (a["rps"] / b["rps"]) if a and b else "—"
            print("| %s | %s | %d | %.0f | %.3g | %.3g | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                names[model], protocol, c, s["rps"], s["p50_ms"], s["p99_ms"], *cell(w), *cell(k), *cell(m),
                ratio(s, k), ratio(s, m), ratio(w, k), ratio(w, m)))
            errors += [f"{r['server']} {model} {protocol} c={c}: {r['errors']} non-2xx" for r in (s, w, k, m) if r and r["errors"]]

print()
print("slipway's hop to its Python worker, per model call, every call through the worker (the round")
print("trip less the model's own time; means over each run):")
print()
print("| model | protocol | conns | calls | rows per call | hop µs | model µs |")
print("|---|---|---:|---:|---:|---:|---:|")
for before, after in zip(snapshots[0::2], snapshots[1::2]):
    def delta(key):
        return after.get(key, 0.0) - before.get(key, 0.0)
    calls = delta("slipway_worker_hop_seconds_count")
    if not calls:
        continue
    print("| %s | %s | %d | %d | %.1f | %.0f | %.0f |" % (
        names[after["model"]], after["protocol"], after["c"], calls,
        delta("slipway_inference_batch_size_sum") / delta("slipway_inference_batch_size_count"),
        1e6 * delta("slipway_worker_hop_seconds_sum") / calls,
        1e6 * delta("slipway_worker_model_seconds_sum") / calls))
print()
print("The floor: two processes passing a message over a socket pair, the second busy for the")
print("LogisticRegression's model time before it answers, take %s µs beyond that time." % floor)
if errors:
    print()
    print("Non-2xx answers: " + "; ".join(errors))
