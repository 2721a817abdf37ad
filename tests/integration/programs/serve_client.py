"""Checks a running `slipway serve` with Python requests, the way its users' clients call it.

    serve_client.py BASE_URL STEP [ARGS...]

Each step asserts what a user would see and exits non-zero with the reason otherwise.
"""
import csv
import json
import sys

import requests

base = sys.argv[1]
step = sys.argv[2]
args = sys.argv[3:]
session = requests.Session()


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok: " + what)


def infer(model, rows, version=None, shape=None, **extra):
    path = f"/v2/models/{model}" + (f"/versions/{version}" if version else "") + "/infer"
    body = {"inputs": [{"name": "input-0", "shape": shape or [len(rows), 4], "datatype": "FP32", "data": rows}], **extra}
    return session.post(base + path, json=body, timeout=30)


if step == "protocols":
    r = session.post(base + "/v1/models/iris:predict", json={"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]]})
    check(r.status_code == 200 and r.json() == {"predictions": [0, 2]}, f"v1 predict classifies setosa and virginica: {r.text}")
    r = session.post(base + "/v1/models/iris:predict",
                     json={"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}]})
    check(r.status_code == 200 and r.json()["predictions"] == [0], f"v1 instances may name their features: {r.text}")
    r = infer("iris", [[5.1, 3.5, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]], id="req-7", outputs=[{"name": "label"}])
    d = r.json()
    check(r.status_code == 200 and d["id"] == "req-7" and d["model_name"] == "iris", f"v2 infer echoes id and model: {r.text}")
    check([o["name"] for o in d["outputs"]] == ["label"] and d["outputs"][0]["data"] == ["setosa", "virginica"],
          "v2 returns only the requested output, the class names")
    r = infer("iris", [5.1, 3.5, 1.4, 0.2], version=1, shape=[1, 4])
    probs = [o for o in r.json()["outputs"] if o["name"] == "probabilities"][0]
    check(probs["shape"] == [1, 3] and abs(sum(probs["data"]) - 1) < 1e-6, "flat data is accepted; probabilities sum to 1")
    meta = session.get(base + "/v2/models/iris").json()
    check(meta["inputs"] == [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}] and meta["platform"] == "slipway_mlp",
          "v2 model metadata names the input tensor")
    check(session.get(base + "/v2/health/live").status_code == 200 and session.get(base + "/v2/models/iris/ready").status_code == 200,
          "health and readiness")
    server = session.get(base + "/v2").json()
    check(server["name"] == "slipway" and "model_repository" in server["extensions"], "server metadata lists the repository extension")

elif step == "invalid":
    good = {"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}
    cases = [
        ("not JSON", "{\"inputs\": [", 400, "not valid JSON"),
        ("no inputs", {}, 400, "no inputs"),
        ("wrong datatype", {"inputs": [dict(good, datatype="INT32", data=[5, 3, 1, 0])]}, 400, "must be FP32"),
        ("unknown datatype", {"inputs": [dict(good, datatype="FLOAT")]}, 400, "is not one of"),
        ("shape and data disagree", {"inputs": [dict(good, shape=[2, 4])]}, 400, "needs 8 elements, data has 4"),
        ("wrong shape", {"inputs": [dict(good, shape=[1, 3], data=[1, 2, 3])]}, 400, "this model takes [-1, 4]"),
        ("negative shape", {"inputs": [dict(good, shape=[-1, 4])]}, 400, "negative size"),
        ("a string in FP32 data", {"inputs": [dict(good, data=[5.1, "x", 1.4, 0.2])]}, 400, "must be numbers"),
        ("unknown input", {"inputs": [dict(good, name="x")]}, 400, "not one of this model's inputs"),
        ("unknown output", {"inputs": [good], "outputs": [{"name": "nope"}]}, 400, "not one of this model's outputs"),
        ("input twice", {"inputs": [good, good]}, 400, "given twice"),
    ]
    for what, body, status, message in cases:
        r = session.post(base + "/v2/models/iris/infer", data=body if isinstance(body, str) else json.dumps(body))
        check(r.status_code == status and message in r.json().get("error", ""), f"{what}: {r.status_code} {r.text}")
    r = session.post(base + "/v2/models/nope/infer", json={"inputs": [good]})
    check(r.status_code == 404 and "not in the repository" in r.json()["error"], "unknown model: 404")
    r = session.post(base + "/v2/models/iris/versions/9/infer", json={"inputs": [good]})
    check(r.status_code == 404 and "no ready version 9" in r.json()["error"], "unknown version: 404")
    r = session.post(base + "/v1/models/iris:predict", json={"instances": [[1, 2, 3]]})
    check(r.status_code == 400 and "list of 4 numbers" in r.json()["error"], "v1 row of the wrong width: 400")
    r = session.get(base + "/v2/models/iris/infer")
    check(r.status_code == 405, "GET on infer: 405")
    r = session.get(base + "/nope")
    check(r.status_code == 404 and "error" in r.json(), "unknown endpoint: 404 with an error object")
    r = session.get(base + "/v2/models/" + "a" * 12000 + "/versions/" + "1" * 40 + "/ready")
    check(r.status_code in (404, 431), f"a 12,000-character path: {r.status_code}")
    r = session.post(base + "/v1/models/iris:predict", json={"instances": [[5.1, 3.5, 1.4, 0.2]]})
    check(r.status_code == 200, "the daemon still answers after every bad request")

elif step == "drift":
    # Training-like rows leave the PSI low; rows far outside the training data raise it.
    rows = [[float(r[k]) for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")] for r in csv.DictReader(open(args[0]))]
    for _ in range(4):
        for i in range(0, len(rows), 30):
            check_status = infer("iris", rows[i:i + 30], version=1).status_code
            assert check_status == 200, check_status
    status = session.get(base + "/slipway/v1/models/iris").json()
    v1 = [v for v in status["versions"] if v["version"] == 1][0]
    psi = {f["name"]: f["psi"] for f in v1["drift"]["features"]}
    check(v1["drift"]["rows"] >= 600 and max(psi.values()) < 0.1, f"training-like inputs: every feature's PSI under 0.1 ({psi})")
    for _ in range(20):
        infer("iris", [[7.9, 4.4, 6.9, 2.5]] * 50, version=1)
    status = session.get(base + "/slipway/v1/models/iris").json()
    v1 = [v for v in status["versions"] if v["version"] == 1][0]
    psi = {f["name"]: f["psi"] for f in v1["drift"]["features"]}
    check(min(psi.values()) > 0.25, f"inputs outside the training data: every feature's PSI over 0.25 ({psi})")
    metrics = session.get(base + "/metrics").text
    check('slipway_model_feature_psi{model="iris",version="1",feature="petal_length"}' in metrics, "/metrics exposes the PSI per feature")

elif step == "canary":
    want = int(args[0])  # percent to version 2
    r = session.put(base + "/slipway/v1/models/iris/traffic", json={"traffic": {"1": 100 - want, "2": want}})
    check(r.status_code == 200 and r.json()["traffic"] == {"1": 100 - want, "2": want}, f"traffic split set to {100 - want}/{want}")
    counts = {"1": 0, "2": 0}
    for _ in range(1000):
        counts[infer("iris", [[5.1, 3.5, 1.4, 0.2]]).json()["model_version"]] += 1
    share = counts["2"] / 10.0
    check(abs(share - want) <= 4, f"version 2 answered {share}% of 1,000 requests (setting {want}%)")
    metrics = session.get(base + "/metrics").text
    per_version = [line for line in metrics.splitlines() if line.startswith("slipway_inference_requests_total") and 'model="iris"' in line]
    check(any('version="2"' in line for line in per_version) and any('version="1"' in line for line in per_version),
          "request counters are per version, so the two can be compared")
    check("slipway_inference_request_duration_seconds_bucket" in metrics and "slipway_inference_batch_size_bucket" in metrics
          and "slipway_inference_queue_duration_seconds_count" in metrics, "latency, queue time and batch size histograms")
    r = session.put(base + "/slipway/v1/models/iris/traffic", json={"traffic": {"1": 50, "2": 40}})
    check(r.status_code == 400 and "sums to 90%" in r.json()["error"], "a split that does not sum to 100 is refused")
    session.put(base + "/slipway/v1/models/iris/traffic", json={"traffic": {}})

elif step == "version":  # which version an unversioned request reaches
    print(infer("iris", [[5.1, 3.5, 1.4, 0.2]]).json()["model_version"])

elif step == "generate":
    body = {"inputs": [{"name": "text_input", "shape": [2], "datatype": "BYTES", "data": ["ROMEO:", "First Citizen:"]}],
            "parameters": {"max_tokens": 12, "seed": 3}}
    r = session.post(base + "/v2/models/chars/infer", json=body)
    out = r.json()["outputs"][0]
    check(r.status_code == 200 and out["shape"] == [2] and all(len(s.encode("latin-1", "replace")) == 12 for s in out["data"]),
          f"the char model continues each prompt by max_tokens bytes: {out['data']}")
    again = session.post(base + "/v2/models/chars/infer", json=body).json()["outputs"][0]["data"]
    check(again == out["data"], "the same seed generates the same text")
    r = session.post(base + "/v1/models/chars:predict", json={"instances": [{"prompt": "KING:", "max_tokens": 5, "temperature": 0}]})
    check(r.status_code == 200 and len(r.json()["predictions"][0].encode("latin-1", "replace")) == 5, f"v1 prompt objects: {r.text}")
    body["parameters"]["max_tokens"] = 100000
    r = session.post(base + "/v2/models/chars/infer", json=body)
    check(r.status_code == 400 and "limit" in r.json()["error"], "max_tokens beyond the model's limit is refused")

else:
    sys.exit("unknown step " + step)
