"""A scikit-learn model evaluated in the daemon (sklearn_native.h) answers exactly as scikit-learn
does: 800 rows (the iris rows, the same with noise, and uniform ones far outside the data) over v1
and over v2 as FP32 and FP64; the worker's hop is never taken for them; and an input the daemon
leaves to the worker (the wrong width) gets scikit-learn's own message.

    serve_native_check.py PORT MODEL_FILE NAME
"""
import re
import sys

import joblib
import numpy as np
import requests
from sklearn.datasets import load_iris

port, model_file, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
base = f"http://127.0.0.1:{port}"
model = joblib.load(model_file)
X, _ = load_iris(return_X_y=True)
rng = np.random.default_rng(1)
rows = np.vstack([X, X + rng.normal(0, 0.3, X.shape), rng.uniform(-1, 9, (500, 4))])

got = requests.post(f"{base}/v1/models/{name}:predict", json={"instances": rows.tolist()}).json()
assert got["predictions"] == model.predict(rows).tolist(), "v1 differs from scikit-learn's predict"
for dtype, datatype in ((np.float32, "FP32"), (np.float64, "FP64")):
    x = rows.astype(dtype)
    body = {"inputs": [{"name": "input-0", "shape": list(x.shape), "datatype": datatype, "data": x.ravel().tolist()}]}
    got = requests.post(f"{base}/v2/models/{name}/infer", json=body).json()
    assert got["outputs"][0]["data"] == model.predict(x).tolist(), f"v2 {datatype} differs from scikit-learn's predict"
print(f"ok: {name} ({type(model).__name__}) evaluated in the daemon equals scikit-learn's predict on {len(rows)} rows, v1 and v2 FP32/FP64")

metrics = requests.get(f"{base}/metrics").text
hops = re.findall(r'^slipway_worker_hop_seconds_count\{model="%s",[^}]*\} (\S+)$' % re.escape(name), metrics, re.M)
assert not hops or float(hops[0]) == 0, f"{name} took the worker hop: {hops}"
print("ok: no call took the hop to the Python worker")

r = requests.post(f"{base}/v1/models/{name}:predict", json={"instances": [[1.0, 2.0]]})
assert r.status_code == 400 and "X has 2 features, but" in r.json()["error"], (r.status_code, r.text)
print("ok: the wrong width goes to the worker and gets scikit-learn's own message: " + r.json()["error"])
