"""Writes the models the serving test serves, each in its KServe layout under DIR: an XGBoost
classifier (xgb/model.bst), a LightGBM booster (lgb/model.bst), a small ONNX graph (onnx/
model.onnx, y = x W + b) and a broken scikit-learn file (broken/model.joblib), all on iris."""
import sys

import numpy as np
from sklearn.datasets import load_iris

out = sys.argv[1]
X, y = load_iris(return_X_y=True)

import xgboost as xgb  # noqa: E402

xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(X, y).get_booster().save_model(f"{out}/xgb/model.bst")

import lightgbm as lgb  # noqa: E402

lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y).booster_.save_model(f"{out}/lgb/model.bst")

import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

W = np.arange(8, dtype=np.float32).reshape(4, 2)
B = np.array([1, -1], dtype=np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "B"], ["y"])],
    "linear",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, f"{out}/onnx/model.onnx")

with open(f"{out}/broken/model.joblib", "wb") as f:
    f.write(b"this is not a pickle")
