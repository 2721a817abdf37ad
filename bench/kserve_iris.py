"""The iris MLP that `slipway train` wrote, served by KServe's own Python model server (PyPI
`kserve`), for bench/serve.sh: the same weights and the same predictions as `slipway serve`, over
the same v1 and v2 endpoints.

    kserve_iris.py MODEL.h5 --http_port PORT
"""
import argparse
import json

import h5py
import kserve
import numpy as np
from kserve import InferOutput, InferRequest, InferResponse


class IrisMlp(kserve.Model):
    def __init__(self, name, path):
        super().__init__(name)
        with h5py.File(path, "r") as f:
            signature = f.attrs["signature"]
            signature = signature.decode() if isinstance(signature, bytes) else str(signature)
            params = np.asarray(f["params"], dtype=np.float32)
        dims = [int(d) for d in signature.split(":")[1:]]
        self.layers, offset = [], 0
        for i, o in zip(dims[:-1], dims[1:]):
            w = params[offset:offset + o * i].reshape(o, i)
            offset += o * i
            b = params[offset:offset + o]
            offset += o
            self.layers.append((w, b))
        self.ready = True

    def forward(self, x):
        for k, (w, b) in enumerate(self.layers):
            x = x @ w.T + b
            if k + 1 < len(self.layers):
                x = np.maximum(x, 0)
        return x.argmax(axis=1)

    def predict(self, payload, headers=None):
        if isinstance(payload, InferRequest):
            x = payload.inputs[0].as_numpy().astype(np.float32).reshape(-1, 4)
            out = InferOutput(name="predict", shape=[x.shape[0]], datatype="INT64", data=self.forward(x).astype(np.int64))
            return InferResponse(model_name=self.name, infer_outputs=[out], response_id=payload.id or "")
        if isinstance(payload, (bytes, bytearray)):
            payload = json.loads(payload)
        x = np.asarray(payload["instances"], dtype=np.float32)
        return {"predictions": self.forward(x).tolist()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("model_file")
    args, _ = parser.parse_known_args()
    model = IrisMlp("iris", args.model_file)
    kserve.ModelServer().start([model])
