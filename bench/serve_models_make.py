"""The models bench/serve_models.sh serves, each in its KServe layout under DIR, all trained on
iris: a scikit-learn LogisticRegression (lr/model.joblib), a 100-tree RandomForest
(rf/model.joblib) and a 100-round XGBoost classifier (xgb/model.json). Prints each model's
prediction for the row the benchmark sends, so the servers' answers can be checked against it.

    serve_models_make.py DIR
"""
import json
import os
import sys

import joblib
import numpy as np
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

out = sys.argv[1]
X, y = load_iris(return_X_y=True)
row = np.array([[6.8, 2.8, 4.8, 1.4]])
expected = {}
for name, model in [("lr", LogisticRegression(max_iter=1000)),
                    ("rf", RandomForestClassifier(n_estimators=100, random_state=0))]:
    os.makedirs(f"{out}/{name}", exist_ok=True)
    model.fit(X, y)
    joblib.dump(model, f"{out}/{name}/model.joblib")
    expected[name] = model.predict(row).tolist()
os.makedirs(f"{out}/xgb", exist_ok=True)
booster = xgb.XGBClassifier(n_estimators=100, max_depth=4).fit(X, y).get_booster()
booster.save_model(f"{out}/xgb/model.json")
expected["xgb"] = booster.predict(xgb.DMatrix(row)).round(5).tolist()
print(json.dumps(expected))
