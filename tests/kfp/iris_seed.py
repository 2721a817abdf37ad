"""The iris pipeline of the seeds (load -> validate -> train -> evaluate), as KFP Python components.

Compiled by the real KFP SDK in the tests and run unchanged by slipway, locally and on Slurm.
Usage: python iris_seed.py OUT.yaml
"""
import sys

from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output

PACKAGES = ["pandas", "scikit-learn", "joblib"]


@dsl.component(base_image="python:3.11-slim", packages_to_install=PACKAGES)
def load_data(output_dataset: Output[Dataset]):
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.to_csv(output_dataset.path, index=False)
    output_dataset.metadata["num_samples"] = len(frame)


@dsl.component(base_image="python:3.11-slim", packages_to_install=PACKAGES)
def validate_data(input_dataset: Input[Dataset], validated_dataset: Output[Dataset]):
    import pandas as pd

    frame = pd.read_csv(input_dataset.path)
    if frame.isnull().sum().sum() > 0:
        raise ValueError("dataset has missing values")
    if len(frame) < 50:
        raise ValueError(f"dataset too small: {len(frame)} rows")
    frame.to_csv(validated_dataset.path, index=False)
    validated_dataset.metadata["validation_status"] = "passed"


@dsl.component(base_image="python:3.11-slim", packages_to_install=PACKAGES)
def train_model(input_dataset: Input[Dataset], model_output: Output[Model], metrics_output: Output[Metrics],
                n_estimators: int = 100, max_depth: int = 5):
    import joblib
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(input_dataset.path)
    x_train, x_test, y_train, y_test = train_test_split(frame.drop("target", axis=1), frame["target"],
                                                        test_size=0.2, random_state=42)
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=42)
    model.fit(x_train, y_train)
    predicted = model.predict(x_test)
    accuracy = accuracy_score(y_test, predicted)
    metrics_output.log_metric("accuracy", accuracy)
    metrics_output.log_metric("f1_score", f1_score(y_test, predicted, average="weighted"))
    joblib.dump(model, model_output.path)
    model_output.metadata["framework"] = "sklearn"
    model_output.metadata["accuracy"] = accuracy


@dsl.component(base_image="python:3.11-slim")
def evaluate_model(model_input: Input[Model], accuracy_threshold: float = 0.85) -> bool:
    return model_input.metadata.get("accuracy", 0) >= accuracy_threshold


@dsl.pipeline(name="iris-training-pipeline", description="End-to-end ML pipeline for Iris classification")
def iris_pipeline(n_estimators: int = 100, max_depth: int = 5, accuracy_threshold: float = 0.85):
    loaded = load_data()
    validated = validate_data(input_dataset=loaded.outputs["output_dataset"])
    trained = train_model(input_dataset=validated.outputs["validated_dataset"], n_estimators=n_estimators,
                          max_depth=max_depth)
    evaluate_model(model_input=trained.outputs["model_output"], accuracy_threshold=accuracy_threshold)


if __name__ == "__main__":
    compiler.Compiler().compile(iris_pipeline, sys.argv[1])
