# Shared by the serving benchmarks (serve.sh, serve_models.sh): wait for a server, and measure
# one endpoint with wrk at concurrency 1, 16 and 64, appending a JSON line per run to $out.
# The caller sets $seconds (each run's length), $work (a scratch directory) and $out, and may set
# $concurrencies (default "1 16 64").

wait_ready() {  # wait_ready URL [TRIES]: polls every 0.1 s
  for _ in $(seq "${2:-300}"); do curl -sf --max-time 2 "$1" > /dev/null && return 0; sleep 0.1; done
  echo "not ready: $1" >&2
  return 1
}

# measure SERVER PROTOCOL URL SCRIPT [MODEL]: SCRIPT is a wrk Lua file setting the request ("" for
# a GET); MODEL, when given, is recorded with each row.
measure() {
  for c in ${concurrencies:-1 16 64}; do
    wrk -t1 -c"$c" -d"${seconds}s" --latency ${4:+-s "$4"} "$3" > "$work/wrk.txt" 2>&1
    python3 - "$1" "$2" "$c" "$work/wrk.txt" "${5:-}" >> "$out" <<'PY'
import json, re, sys
server, protocol, c, path, model = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
text = open(path).read()
def ms(v, unit):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
lat = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
found = re.search(r"Requests/sec:\s+([\d.]+)", text)
if not found:
    sys.exit("wrk gave no figures for %s %s at %d connections:\n%s" % (server, protocol, c, text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
row = {"server": server, "protocol": protocol, "c": c, "rps": float(found.group(1)),
       "p50_ms": lat.get("50"), "p99_ms": lat.get("99"), "errors": int(non2xx.group(1)) if non2xx else 0}
if model:
    row["model"] = model
print(json.dumps(row))
PY
  done
}
