"""A KServe custom predictor as its users write one (KServe's docs, "Deploy a custom Python
model"): a kserve.Model subclass with load, preprocess, predict and postprocess, started by
ModelServer when run as a script. slipway serves this file as it is."""
from typing import Dict, Union

import numpy as np
from kserve import InferRequest, InferResponse, Model, ModelServer
from kserve.utils.utils import get_predict_input, get_predict_response


class ScalingModel(Model):
    def __init__(self, name: str):
        super().__init__(name)
        self.ready = False
        self.load()

    def load(self):
        self.factor = 2.0
        self.ready = True

    def preprocess(self, payload: Union[Dict, InferRequest], headers: Dict[str, str] = None):
        return payload

    def predict(self, payload: Union[Dict, InferRequest], headers: Dict[str, str] = None) -> Union[Dict, InferResponse]:
        instances = np.asarray(get_predict_input(payload), dtype=np.float64)
        return get_predict_response(payload, instances * self.factor, self.name)

    def postprocess(self, result, headers: Dict[str, str] = None, response_headers: Dict[str, str] = None):
        return result


if __name__ == "__main__":
    ModelServer().start([ScalingModel("custom-model")])
