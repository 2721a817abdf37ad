"""slipway's Python model worker: one process serving one model version for `slipway serve`.

The daemon starts it with a connected Unix socket on --fd and keeps HTTP, both protocols,
batching and metrics; this process only loads the model and runs batches. Every message, each
way, is a frame: a little-endian u32 header length and u64 data length, the JSON header, then the
data. Tensors travel as raw little-endian bytes (BYTES elements as u32 length + bytes), described
in the header as {"name", "datatype", "shape", "size"} in the order their bytes follow.

The first frame this process sends says whether the model loaded: {"ready": true, "platform",
"inputs", "outputs"} or {"error": "<the loader's own message>"} (and then it exits). After that it
answers each {"op": "infer", "inputs": [...], "parameters": {...}} with {"outputs": [...]} or
{"error": "..."}, and exits when the socket closes.

The runtimes follow KServe's model servers: the file names of their model directories, and which
method answers (sklearn's predict, LightGBM's Booster.predict, an ONNX session's outputs, a
TorchScript module's forward).
"""

import argparse
import json
import os
import socket
import struct
import sys
import time
import traceback

import numpy as np

FRAME = struct.Struct("<IQ")

DTYPES = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
    "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
    "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}
DATATYPE_OF = {np.dtype(v).str: k for k, v in DTYPES.items()}


def recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            return None
        got += k
    return bytes(buf)


def read_frame(sock):
    head = recv_exact(sock, FRAME.size)
    if head is None:
        return None, None
    json_len, data_len = FRAME.unpack(head)
    header = json.loads(recv_exact(sock, json_len))
    data = recv_exact(sock, data_len) if data_len else b""
    return header, data


def write_frame(sock, header, data=b""):
    text = json.dumps(header).encode()
    sock.sendall(FRAME.pack(len(text), len(data)) + text + data)


def decode_tensor(spec, data, offset):
    raw = memoryview(data)[offset:offset + spec["size"]]
    shape = spec["shape"]
    if spec["datatype"] == "BYTES":
        items, at = [], 0
        while at < len(raw):
            (n,) = struct.unpack_from("<I", raw, at)
            items.append(bytes(raw[at + 4:at + 4 + n]))
            at += 4 + n
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
        return arr.reshape(shape)
    return np.frombuffer(raw, dtype=np.dtype(DTYPES[spec["datatype"]]).newbyteorder("<")).reshape(shape)


def encode_tensor(name, value):
    if isinstance(value, JsonRows):
        parts = [json.dumps(v).encode() for v in value]
        raw = b"".join(struct.pack("<I", len(b)) + b for b in parts)
        return {"name": name, "datatype": "BYTES", "shape": [len(parts)], "size": len(raw),
                "parameters": {"content_type": "json_rows"}}, raw
    arr = np.asarray(value)
    if arr.dtype.kind in "OUS":
        parts = []
        for item in arr.reshape(-1):
            b = item if isinstance(item, bytes) else str(item).encode()
            parts.append(struct.pack("<I", len(b)) + b)
        raw, datatype = b"".join(parts), "BYTES"
    else:
        if arr.dtype.str not in DATATYPE_OF:
            arr = arr.astype(np.float64)
        arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
        raw, datatype = arr.tobytes(), DATATYPE_OF[arr.dtype.str]
    return {"name": name, "datatype": datatype, "shape": list(arr.shape), "size": len(raw)}, raw


def as_table(inputs):
    """The model's input the way KServe's tabular servers build it: one input is its array; rows
    sent as JSON objects (v1 instances such as {"sepal_length": 5.1, ...}) or several inputs (one
    column each) become a pandas DataFrame."""
    if len(inputs) == 1:
        name, arr, params = inputs[0]
        if params.get("content_type") == "json_rows":
            import pandas as pd
            return pd.DataFrame([json.loads(x) for x in arr.reshape(-1)])
        if arr.dtype == object:
            return np.array([x.decode() for x in arr.reshape(-1)], dtype=object).reshape(arr.shape)
        return arr
    import pandas as pd
    return pd.DataFrame({name: arr.reshape(-1) if arr.dtype != object else
                         [x.decode() for x in arr.reshape(-1)] for name, arr, _ in inputs})


def model_file(model_dir, names, what):
    for n in names:
        p = os.path.join(model_dir, n)
        if os.path.isfile(p):
            return p
    raise FileNotFoundError(f"{model_dir} has no {what} model file (looked for {', '.join(names)})")


class Sklearn:
    platform = "sklearn"

    def __init__(self, model_dir):
        path = model_file(model_dir, ["model.joblib", "model.pkl", "model.pickle"], "scikit-learn")
        if path.endswith(".joblib"):
            import joblib
            self.model = joblib.load(path)
        else:
            import pickle
            with open(path, "rb") as f:
                self.model = pickle.load(f)
        self.method = self.model.predict_proba if os.environ.get("PREDICT_PROBA") == "true" else self.model.predict

    def metadata(self):
        n = getattr(self.model, "n_features_in_", None)
        return [{"name": "input-0", "datatype": "FP64", "shape": [-1, n if n else -1]}], \
               [{"name": "output-0", "datatype": "", "shape": [-1]}]

    def infer(self, inputs, parameters):
        return [("output-0", self.method(as_table(inputs)))]

    def native(self):
        """The fitted model as plain arrays the daemon evaluates itself, when it is one of the
        estimators whose predict is plain arithmetic: linear models (decision function X·coefᵀ +
        intercept) and decision trees and their forests (RandomForest, ExtraTrees). None for
        anything else (pipelines, other estimators, multi-output, predict_proba asked for): those stay in this worker, as does any input the daemon does not
        evaluate (non-finite values, a wrong width: scikit-learn's own checks answer those).
        Returns (header, bytes): per tree its children, features, thresholds and node values."""
        return sklearn_native_form(self.model) if os.environ.get("PREDICT_PROBA") != "true" else None


LINEAR_CLASSIFIERS = ("LogisticRegression", "LinearSVC", "RidgeClassifier", "SGDClassifier", "Perceptron")
LINEAR_REGRESSORS = ("LinearRegression", "Ridge", "Lasso", "ElasticNet", "SGDRegressor")
TREES = {"DecisionTreeClassifier": (False, True), "DecisionTreeRegressor": (False, False),
         "RandomForestClassifier": (True, True), "RandomForestRegressor": (True, False),
         "ExtraTreesClassifier": (True, True), "ExtraTreesRegressor": (True, False),
         "ExtraTreeClassifier": (False, True), "ExtraTreeRegressor": (False, False)}


def sklearn_native_form(model):
    kind = type(model).__name__
    # Rows by column name (v1 objects) always go to the worker; arrays are positional either way,
    # so a model fitted on a DataFrame is evaluated here as well.
    if not type(model).__module__.startswith("sklearn."):
        return None
    if getattr(model, "n_outputs_", 1) != 1:
        return None
    header = {"estimator": kind, "n_features": int(getattr(model, "n_features_in_", 0))}
    if hasattr(model, "classes_"):
        classes = np.asarray(model.classes_)
        if classes.dtype.kind in "iu":
            header["classes"], header["datatype"] = [int(c) for c in classes], DATATYPE_OF[classes.dtype.str]
        elif classes.dtype.kind == "f":
            header["classes"], header["datatype"] = [float(c) for c in classes], DATATYPE_OF[classes.dtype.str]
        elif classes.dtype.kind in "UO" and all(isinstance(c, str) for c in classes):
            header["classes"], header["datatype"] = [str(c) for c in classes], "BYTES"
        else:
            return None
    if kind in LINEAR_CLASSIFIERS or kind in LINEAR_REGRESSORS:
        coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
        if kind in LINEAR_REGRESSORS and np.ndim(model.coef_) != 1:
            return None
        intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (coef.shape[0],))
        header.update(kind="linear", outputs=coef.shape[0])
        return header, np.ascontiguousarray(coef, "<f8").tobytes() + np.ascontiguousarray(intercept, "<f8").tobytes()
    if kind not in TREES:
        return None
    forest, classifier = TREES[kind]
    trees = model.estimators_ if forest else [model]
    header.update(kind="forest" if forest else "tree", trees=[])
    chunks = []
    for estimator in trees:
        tree = estimator.tree_
        values = np.asarray(tree.value, dtype=np.float64)[:, 0, :]
        if forest and classifier:
            # A forest averages its trees' class probabilities (each leaf's counts normalized);
            # a single tree's predict takes the argmax of the counts as they are.
            sums = values.sum(axis=1, keepdims=True)
            sums[sums == 0] = 1
            values = values / sums
        header["trees"].append({"nodes": int(tree.node_count)})
        chunks += [np.ascontiguousarray(tree.children_left, "<i8").tobytes(),
                   np.ascontiguousarray(tree.children_right, "<i8").tobytes(),
                   np.ascontiguousarray(tree.feature, "<i8").tobytes(),
                   np.ascontiguousarray(tree.threshold, "<f8").tobytes(),
                   np.ascontiguousarray(values, "<f8").tobytes()]
    header["values_per_node"] = int(values.shape[1])
    return header, b"".join(chunks)


class LightGBM:
    platform = "lightgbm"

    def __init__(self, model_dir):
        import lightgbm as lgb
        self.booster = lgb.Booster(model_file=model_file(model_dir, ["model.bst"], "LightGBM"))

    def metadata(self):
        return [{"name": "input-0", "datatype": "FP64", "shape": [-1, self.booster.num_feature()]}], \
               [{"name": "output-0", "datatype": "FP64", "shape": [-1, -1]}]

    def infer(self, inputs, parameters):
        return [("output-0", self.booster.predict(as_table(inputs)))]


ONNX_TYPES = {"tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(int64)": "INT64",
              "tensor(int32)": "INT32", "tensor(int8)": "INT8", "tensor(uint8)": "UINT8",
              "tensor(bool)": "BOOL", "tensor(float16)": "FP16", "tensor(string)": "BYTES"}


class Onnx:
    platform = "onnxruntime_onnx"

    def __init__(self, model_dir):
        import onnxruntime as ort
        self.session = ort.InferenceSession(model_file(model_dir, ["model.onnx"], "ONNX"),
                                            providers=["CPUExecutionProvider"])
        self.inputs = self.session.get_inputs()
        self.outputs = self.session.get_outputs()

    @staticmethod
    def spec(v):
        shape = [d if isinstance(d, int) else -1 for d in v.shape]
        return {"name": v.name, "datatype": ONNX_TYPES.get(v.type, ""), "shape": shape}

    def metadata(self):
        return [self.spec(v) for v in self.inputs], [self.spec(v) for v in self.outputs]

    def infer(self, inputs, parameters):
        names = [v.name for v in self.inputs]
        feed = {}
        for i, (name, arr, _) in enumerate(inputs):
            # KServe's ONNX runtime accepts a single input under any name.
            key = name if name in names else (names[i] if len(inputs) == len(names) else name)
            want = np.dtype(DTYPES.get(ONNX_TYPES.get(self.inputs[names.index(key)].type, ""), arr.dtype)) \
                if key in names else arr.dtype
            feed[key] = arr.astype(want, copy=False)
        results = self.session.run(None, feed)
        return [(v.name, r) for v, r in zip(self.outputs, results)]


class TorchScript:
    platform = "pytorch_torchscript"

    def __init__(self, model_dir):
        import torch
        self.torch = torch
        self.module = torch.jit.load(model_file(model_dir, ["model.pt"], "TorchScript"), map_location="cpu")
        self.module.eval()

    def metadata(self):
        return [{"name": "input-0", "datatype": "", "shape": []}], \
               [{"name": "output-0", "datatype": "", "shape": []}]

    def infer(self, inputs, parameters):
        with self.torch.no_grad():
            out = self.module(*[self.torch.from_numpy(np.array(arr)) for _, arr, _ in inputs])
        outs = out if isinstance(out, (tuple, list)) else [out]
        return [(f"output-{i}", o.numpy()) for i, o in enumerate(outs)]


class Custom:
    """A KServe custom predictor: a Python file defining a kserve.Model subclass, run as it is.
    The file is imported under its own module name (so its `if __name__ == "__main__":` block,
    which would start KServe's own server, does not run); the subclass it defines is made with the
    service's name and loaded, and each request goes through its preprocess, predict and
    postprocess as KServe calls them: a dict for v1 ({"instances": [...]}), an InferRequest for
    v2."""

    platform = "kserve_custom"

    def __init__(self, model_dir, predictor_file, name):
        import asyncio
        import importlib.util
        import inspect

        import kserve

        self.asyncio, self.inspect, self.kserve = asyncio, inspect, kserve
        sys.path.insert(0, os.path.dirname(predictor_file))
        module_name = os.path.splitext(os.path.basename(predictor_file))[0]
        spec = importlib.util.spec_from_file_location(module_name, predictor_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        classes = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, kserve.Model)
                   and c is not kserve.Model and c.__module__ == module_name]
        if len(classes) != 1:
            raise ValueError(f"{predictor_file} defines {len(classes)} kserve.Model subclasses "
                             f"({', '.join(c.__name__ for c in classes) or 'none'}); slipway serves a file with one")
        self.model = classes[0](name)
        self.name = name
        if not getattr(self.model, "ready", False):
            self.call(self.model.load)
        self.loop = asyncio.new_event_loop()

    def call(self, method, *args):
        params = self.inspect.signature(method).parameters
        kwargs = {"headers": {}} if "headers" in params else {}
        out = method(*args, **kwargs)
        if self.inspect.isawaitable(out):
            loop = getattr(self, "loop", None) or self.asyncio.new_event_loop()
            out = loop.run_until_complete(out)
        return out

    def metadata(self):
        return [], []

    def infer(self, inputs, parameters):
        v1 = any(p.get("protocol") == "v1" for _, _, p in inputs)
        if v1:  # the v1 instances as the client sent them, one JSON document per row
            payload = {"instances": [json.loads(x) for x in inputs[0][1].reshape(-1)]}
        else:
            payload = self.kserve.InferRequest(
                model_name=self.name, parameters=parameters or None,
                infer_inputs=[self.kserve.InferInput(name, list(arr.shape), datatype_of(arr), arr)
                              for name, arr, _ in inputs])
        result = self.call(self.model.postprocess, self.call(self.model.predict, self.call(self.model.preprocess, payload)))
        if isinstance(result, dict):
            preds = result.get("predictions", result)
            arr = np.asarray(preds)
            if arr.dtype.kind in "biuf":
                return [("predictions", arr)]
            return [("predictions", JsonRows(preds))]
        return [(o.name, o.as_numpy()) for o in result.outputs]


class JsonRows(list):
    """Values that are not one numeric array, sent back one JSON document per row."""


def datatype_of(arr):
    if arr.dtype == object:
        return "BYTES"
    return DATATYPE_OF[arr.dtype.newbyteorder("<").str if arr.dtype.byteorder == ">" else arr.dtype.str]


RUNTIMES = {"sklearn": Sklearn, "lightgbm": LightGBM, "onnx": Onnx, "pytorch": TorchScript}


def apply_resources(cpus, memory_bytes):
    """The predictor's resources: an address-space limit and the first ceil(cpus) of the CPUs this
    process may run on (and as many threads in the math libraries)."""
    import math
    import resource
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpus > 0:
        allowed = sorted(os.sched_getaffinity(0))
        n = max(1, min(len(allowed), math.ceil(cpus)))
        os.sched_setaffinity(0, allowed[:n])
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, str(n))


def serve(sock, runtime):
    while True:
        header, data = read_frame(sock)
        if header is None:
            return
        try:
            inputs, offset = [], 0
            for spec in header["inputs"]:
                inputs.append((spec["name"], decode_tensor(spec, data, offset), spec.get("parameters", {})))
                offset += spec["size"]
            outputs, chunks = [], []
            began = time.perf_counter()
            results = runtime.infer(inputs, header.get("parameters", {}))
            model_seconds = time.perf_counter() - began
            for name, value in results:
                spec, raw = encode_tensor(name, value)
                outputs.append(spec)
                chunks.append(raw)
            write_frame(sock, {"outputs": outputs, "model_seconds": model_seconds}, b"".join(chunks))
        except Exception as e:
            # What the model says about the data it was given (a wrong number of features, a
            # column it lacks, onnxruntime's InvalidArgument) is the client's to fix: the daemon
            # answers 400 with it. Anything else is the model's own failure (500).
            invalid = isinstance(e, (ValueError, TypeError, KeyError, IndexError)) or \
                type(e).__name__ in ("InvalidArgument", "InvalidInput")
            write_frame(sock, {"error": f"{type(e).__name__}: {e}", "invalid_input": invalid})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fd", type=int, required=True)
    p.add_argument("--format", required=True, choices=sorted(RUNTIMES) + ["custom"])
    p.add_argument("--model-dir", required=True)
    p.add_argument("--predictor-file", default="")
    p.add_argument("--name", default="model")
    p.add_argument("--cpus", type=float, default=0)
    p.add_argument("--memory-bytes", type=int, default=0)
    args = p.parse_args()
    sock = socket.socket(fileno=args.fd)
    try:
        apply_resources(args.cpus, args.memory_bytes)
        if args.format == "custom":
            runtime = Custom(args.model_dir, args.predictor_file, args.name)
        else:
            runtime = RUNTIMES[args.format](args.model_dir)
        inputs, outputs = runtime.metadata()
    except Exception as e:
        traceback.print_exc()
        write_frame(sock, {"error": f"cannot load the {args.format} model in {args.model_dir}: "
                                    f"{type(e).__name__}: {e}"})
        sys.exit(1)
    ready = {"ready": True, "platform": runtime.platform, "inputs": inputs, "outputs": outputs}
    native = None
    if os.environ.get("SLIPWAY_SERVE_NATIVE", "1") != "0" and hasattr(runtime, "native"):
        try:
            native = runtime.native()
        except Exception:  # noqa: BLE001 -- a model that cannot be exported is served here instead
            traceback.print_exc()
    if native:
        ready["native"] = native[0]
    write_frame(sock, ready, native[1] if native else b"")
    serve(sock, runtime)


if __name__ == "__main__":
    main()
