"""A KServe custom predictor that takes as long as it is told: predict sleeps for the first
instance's first value in seconds (a model that hangs, for the serving test's timeout)."""
import time
from typing import Dict

from kserve import Model, ModelServer
from kserve.utils.utils import get_predict_input


class SlowModel(Model):
    def __init__(self, name: str):
        super().__init__(name)
        self.ready = True

    def predict(self, payload: Dict, headers: Dict[str, str] = None) -> Dict:
        seconds = float(get_predict_input(payload)[0][0])
        time.sleep(seconds)
        return {"predictions": [seconds]}


if __name__ == "__main__":
    ModelServer().start([SlowModel("slow")])
