"""The seed's ml_pipeline: preprocess -> train -> evaluate -> deploy if good enough (dsl.Condition on
a task's return value), with InputPath/OutputPath components, a dict return value, a retry
policy and caching turned off for the deploy step.

Compiled by the real KFP SDK in the tests and run unchanged by slipway, locally and on Slurm.
Usage: python ml_pipeline_seed.py OUT.yaml
"""
import sys

from kfp import compiler, dsl

PACKAGES = ["pandas", "scikit-learn", "joblib"]


@dsl.component(base_image="python:3.10-slim", packages_to_install=PACKAGES)
def preprocess_data(input_path: str, label: str, output_path: dsl.OutputPath("Dataset")) -> float:
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(input_path).dropna()
    features = [c for c in frame.columns if c != label]
    frame[features] = StandardScaler().fit_transform(frame[features])
    frame.to_csv(output_path, index=False)
    return float(len(frame))


@dsl.component(base_image="python:3.10-slim", packages_to_install=PACKAGES)
def train_model(data_path: dsl.InputPath("Dataset"), label: str, model_path: dsl.OutputPath("Model"),
                n_estimators: int = 100, max_depth: int = 10) -> dict:
    import joblib
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(data_path)
    x_train, x_test, y_train, y_test = train_test_split(frame.drop(label, axis=1), frame[label],
                                                        test_size=0.2, random_state=42)
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=42)
    model.fit(x_train, y_train)
    joblib.dump(model, model_path)
    return {"accuracy": float(accuracy_score(y_test, model.predict(x_test))), "n_estimators": n_estimators}


@dsl.component(base_image="python:3.10-slim", packages_to_install=PACKAGES)
def evaluate_model(model_path: dsl.InputPath("Model"), test_data_path: dsl.InputPath("Dataset"), label: str,
                   threshold: float = 0.8) -> bool:
    import joblib
    import pandas as pd

    model = joblib.load(model_path)
    frame = pd.read_csv(test_data_path)
    accuracy = model.score(frame.drop(label, axis=1), frame[label])
    print(f"Model accuracy: {accuracy:.4f}")
    return accuracy >= threshold


@dsl.component(base_image="python:3.10-slim")
def deploy_model(model_path: dsl.InputPath("Model"), endpoint_name: str) -> str:
    print(f"Deploying model to endpoint: {endpoint_name}")
    return f"https://serving.example.com/{endpoint_name}"


@dsl.pipeline(name="ml-training-pipeline",
              description="End-to-end ML pipeline with preprocessing, training, evaluation, and deployment")
def ml_pipeline(raw_data_path: str, label: str = "species", n_estimators: int = 100, max_depth: int = 10,
                accuracy_threshold: float = 0.8, endpoint_name: str = "model-v1"):
    preprocess = preprocess_data(input_path=raw_data_path, label=label)
    train = train_model(data_path=preprocess.outputs["output_path"], label=label, n_estimators=n_estimators,
                        max_depth=max_depth).set_retry(num_retries=2, backoff_duration="1s")
    evaluation = evaluate_model(model_path=train.outputs["model_path"], test_data_path=preprocess.outputs["output_path"],
                                label=label, threshold=accuracy_threshold)
    with dsl.Condition(evaluation.output == True, name="deploy-if-good"):  # noqa: E712 (KFP needs ==)
        deploy_model(model_path=train.outputs["model_path"], endpoint_name=endpoint_name).set_caching_options(False)


if __name__ == "__main__":
    compiler.Compiler().compile(ml_pipeline, sys.argv[1])
