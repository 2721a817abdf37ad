"""The ecosystem's own clients against `slipway serve -f`: tritonclient.http (binary tensor data
on and off) and KServe's InferenceRESTClient (v1 and v2) against every runtime, with the answers
checked against the frameworks' own predictions on the same rows.

usage: serve_models_clients.py PORT MODELS_DIR SEED_MODEL_FILE"""
import asyncio
import json
import sys
import urllib.error
import urllib.request

import joblib
import numpy as np
import tritonclient.http as triton
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from sklearn.datasets import load_iris

port, models_dir, seed_model = sys.argv[1], sys.argv[2], sys.argv[3]
base = f"http://127.0.0.1:{port}"
X, _ = load_iris(return_X_y=True)
rows = X[[0, 51, 120, 77, 149]]


def ok(what):
    print(f"ok: {what}", flush=True)


def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


# What each framework itself answers on `rows`.
rf = joblib.load(seed_model)
import xgboost as xgb  # noqa: E402
import lightgbm as lgb  # noqa: E402

booster = xgb.Booster(model_file=f"{models_dir}/xgb/model.bst")
expected = {
    "iris-classifier": rf.predict(rows),
    "iris-xgb": booster.predict(xgb.DMatrix(rows)),
    "iris-lgb": lgb.Booster(model_file=f"{models_dir}/lgb/model.bst").predict(rows),
    "linear-onnx": rows.astype(np.float32) @ np.arange(8, dtype=np.float32).reshape(4, 2) + np.array([1, -1], dtype=np.float32),
    "double-pt": rows.astype(np.float32) * 2 + 1,
}
output_name = {"linear-onnx": "y"}


def close(got, want, what):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert np.allclose(got, want, rtol=1e-5, atol=1e-6), f"{what}: {got} != {want}"


# --- seed 000: v1 and v2 predictions equal scikit-learn's own predict
status, v1 = post("/v1/models/iris-classifier:predict", {"instances": rows.tolist()})
assert status == 200, v1
assert v1["predictions"] == rf.predict(rows).tolist(), (v1, rf.predict(rows))
status, v2 = post("/v2/models/iris-classifier/infer",
                  {"inputs": [{"name": "input-0", "datatype": "FP64", "shape": list(rows.shape), "data": rows.ravel().tolist()}]})
assert status == 200, v2
assert v2["outputs"][0]["data"] == rf.predict(rows).tolist(), v2
ok(f"seed 000 iris-classifier: v1 and v2 predictions equal scikit-learn's predict ({v1['predictions']})")

# --- tritonclient.http, binary tensor data on (its default) and off, every runtime
client = triton.InferenceServerClient(f"127.0.0.1:{port}")
assert client.is_server_live() and client.is_server_ready()
for model, want in expected.items():
    assert client.is_model_ready(model), model
    name = output_name.get(model, "output-0")
    x = rows.astype(np.float32)
    for binary in (True, False):
        inp = triton.InferInput("input-0" if model != "linear-onnx" else "x", list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=binary)
        out = [triton.InferRequestedOutput(name, binary_data=binary)]
        result = client.infer(model, [inp], outputs=out)
        close(result.as_numpy(name), want, f"tritonclient {model} binary_data={binary}")
    # The default infer() asks for every output in binary (binary_data_output).
    inp = triton.InferInput("x" if model == "linear-onnx" else "input-0", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    close(client.infer(model, [inp]).as_numpy(name), want, f"tritonclient {model} default")
    ok(f"tritonclient.http {model}: binary data on, off and by default")
meta = client.get_model_metadata("linear-onnx")
assert meta["inputs"][0]["name"] == "x" and meta["platform"] == "onnxruntime_onnx", meta
ok("tritonclient reads an ONNX model's metadata (inputs from the graph)")

# BYTES in the binary extension reach the worker and come back (a model that refuses them says so).
s = triton.InferInput("input-0", [2], "BYTES")
s.set_data_from_numpy(np.array([b"a", b"b\x00c"], dtype=object))
try:
    client.infer("iris-classifier", [s])
    raise AssertionError("strings given to a RandomForest were accepted")
except triton.InferenceServerException as e:
    assert e.status() == "400" or "400" in str(e.status()), e
    ok(f"BYTES sent in binary reach the model, which refuses them with 400: {e.message()[:80]}")


# --- KServe's InferenceRESTClient, v1 and v2
async def kserve_clients():
    v1c = InferenceRESTClient(RESTConfig(protocol="v1", retries=0))
    v2c = InferenceRESTClient(RESTConfig(protocol="v2", retries=0))
    for model, want in expected.items():
        assert await v2c.is_model_ready(base, model)
        r1 = await v1c.infer(base, {"instances": rows.tolist()}, model_name=model)
        close(r1["predictions"], want, f"kserve v1 {model}")
        inp = InferInput(name="x" if model == "linear-onnx" else "input-0", shape=list(rows.shape), datatype="FP32")
        inp.set_data_from_numpy(rows.astype(np.float32), binary_data=False)
        r2 = await v2c.infer(base, InferRequest(model_name=model, infer_inputs=[inp]), model_name=model)
        close(r2.outputs[0].as_numpy(), want, f"kserve v2 {model}")
        ok(f"KServe InferenceRESTClient {model}: v1 and v2")
    await v1c.close()
    await v2c.close()


asyncio.run(kserve_clients())

# --- KServe's custom-model sample, served from its kserve.Model file as it is
status, body = post("/v1/models/custom-model:predict", {"instances": [[1, 2], [3, 4]]})
assert status == 200 and body["predictions"] == [[2.0, 4.0], [6.0, 8.0]], (status, body)
x = np.array([[1, 2], [3, 4]], dtype=np.float32)
for binary in (True, False):
    inp = triton.InferInput("input-0", [2, 2], "FP32")
    inp.set_data_from_numpy(x, binary_data=binary)
    close(client.infer("custom-model", [inp]).as_numpy("output-0"), x * 2, f"custom predictor v2 binary={binary}")


async def custom_v2():
    c = InferenceRESTClient(RESTConfig(protocol="v2", retries=0))
    inp = InferInput(name="input-0", shape=[2, 2], datatype="FP32")
    inp.set_data_from_numpy(x, binary_data=False)
    r = await c.infer(base, InferRequest(model_name="custom-model", infer_inputs=[inp]), model_name="custom-model")
    close(r.outputs[0].as_numpy(), x * 2, "custom predictor through InferenceRESTClient v2")
    await c.close()


asyncio.run(custom_v2())
ok("KServe's custom-model sample: its kserve.Model's preprocess/predict/postprocess answer v1, v2 and tritonclient")

# --- bad payloads: 400 with the reason, and the daemon keeps serving
for path, body, why in [
    ("/v1/models/iris-classifier:predict", {"instances": [[1, 2]]}, "features"),
    ("/v1/models/iris-xgb:predict", {"instances": [[1, 2]]}, "4 numbers"),
    ("/v2/models/linear-onnx/infer", {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}, ""),
    ("/v1/models/iris-classifier:predict", {"instances": [[1, 2], [1]]}, "same length"),
]:
    status, body = post(path, body)
    assert status == 400, (path, status, body)
    assert why in body["error"], body
ok("bad payloads get 400 with the reason from each runtime")
