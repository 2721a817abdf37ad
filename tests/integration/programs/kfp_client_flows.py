"""The real kfp.Client (from PyPI) against `slipway server`: the seeds' flows as users write them.

Usage: kfp_client_flows.py HOST SOURCE_DIR WORK_DIR
HOST is a server with authentication off; every call goes through KFP's own generated client.
"""
import json
import os
import sys
import time

import kfp
import kfp_server_api
from kfp import compiler, dsl
from kfp.client import Client

HOST, SOURCE, WORK = sys.argv[1:4]
sys.path.insert(0, os.path.join(SOURCE, "tests", "kfp"))
from ml_pipeline_seed import ml_pipeline  # noqa: E402  (the seed's pipeline, compiled by kfp)

IRIS = os.path.join(SOURCE, "data", "iris.csv")


def ok(what):
    print(f"ok: {what}", flush=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    ok(what)


def api_error(call):
    """Calls `call` and returns the ApiException it raises: (status, parsed body)."""
    try:
        call()
    except kfp_server_api.ApiException as e:
        return e.status, json.loads(e.body)
    raise AssertionError("the call succeeded; an error was expected")


@dsl.component
def add(a: int, b: int) -> int:
    return a + b


@dsl.component
def nap(seconds: int) -> str:
    import time
    time.sleep(seconds)
    return "awake"


@dsl.component
def fail_once(marker: str) -> str:
    import os
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("the first attempt fails on purpose")
    return "second time lucky"


@dsl.pipeline(name="adder")
def adder(x: int = 1, y: int = 2):
    s = add(a=x, b=y)
    add(a=s.output, b=y)


@dsl.pipeline(name="sleeper")
def sleeper(seconds: int = 60):
    nap(seconds=seconds)


@dsl.pipeline(name="flaky")
def flaky(marker: str):
    fail_once(marker=marker)


client = Client(host=HOST)
check(client.get_kfp_healthz().multi_user is False, "healthz: single-user (authentication off)")

# --- experiments: created once, found again by name
experiment = client.create_experiment(name="model-training-experiments",
                                      description="Experiments for model v2")
again = client.create_experiment(name="model-training-experiments")
check(again.experiment_id == experiment.experiment_id,
      "create_experiment with the same name gives the same experiment")
check(client.get_experiment(experiment_name="model-training-experiments").description ==
      "Experiments for model v2", "get_experiment by name keeps the description")

# --- the seed's runs: from the pipeline function and from the compiled YAML
seed_args = {"raw_data_path": IRIS, "n_estimators": 20, "max_depth": 5,
             "accuracy_threshold": 0.85, "endpoint_name": "model-v2"}
run = client.create_run_from_pipeline_func(
    pipeline_func=ml_pipeline,
    experiment_name="model-training-experiments",
    run_name="training-run-001",
    arguments=seed_args)
check(bool(run.run_id), f"create_run_from_pipeline_func gave run {run.run_id}")
package = os.path.join(WORK, "ml_pipeline.yaml")
compiler.Compiler().compile(ml_pipeline, package)
yaml_run = client.create_run_from_pipeline_package(
    pipeline_file=package,
    arguments={"raw_data_path": IRIS, "n_estimators": 15},
    run_name="yaml-based-run")
done = client.wait_for_run_completion(run.run_id, timeout=900, sleep_duration=1)
check(done.state == "SUCCEEDED", f"the seed's run from the function SUCCEEDED ({done.state})")
got = client.get_run(run.run_id)
check(got.display_name == "training-run-001", "get_run: its run name")
check(got.experiment_id == experiment.experiment_id, "get_run: its experiment")
params = got.runtime_config.parameters
check(params["n_estimators"] == 20 and params["endpoint_name"] == "model-v2" and
      params["label"] == "species", f"get_run: its parameters, defaults included ({params})")
tasks = {t.display_name: t.state for t in got.run_details.task_details}
check(tasks.get("train-model") == "SUCCEEDED" and tasks.get("deploy-model") == "SUCCEEDED",
      f"get_run: task details per task ({tasks})")
check(all(t.start_time and t.end_time for t in got.run_details.task_details
          if t.state == "SUCCEEDED"), "get_run: every finished task has a start and an end")
check([h.state for h in got.state_history] == ["PENDING", "RUNNING", "SUCCEEDED"],
      "get_run: the state history")
done = client.wait_for_run_completion(yaml_run.run_id, timeout=900, sleep_duration=1)
check(done.state == "SUCCEEDED", "the seed's run from the compiled YAML SUCCEEDED")
default = client.get_experiment(experiment_name="Default")
check(done.experiment_id == default.experiment_id, "a run without an experiment is in Default")

# --- a failing pipeline ends FAILED; retry_run runs it again
marker = os.path.join(WORK, "marker")
bad = client.create_run_from_pipeline_func(flaky, arguments={"marker": marker},
                                           experiment_name="model-training-experiments")
done = client.wait_for_run_completion(bad.run_id, timeout=300, sleep_duration=1)
check(done.state == "FAILED", "wait_for_run_completion gives FAILED for a failing pipeline")
check(done.error is not None and "fail-once" in done.error.message,
      f"its error names the failed task ({done.error.message if done.error else None})")
# kfp.Client has no retry method; scripts call its generated RunServiceApi, as here.
client._run_api.run_service_retry_run(run_id=bad.run_id)
check(client.get_run(bad.run_id).state in ("PENDING", "RUNNING"), "retry_run: the run is pending again")
done = client.wait_for_run_completion(bad.run_id, timeout=300, sleep_duration=0.5)
check(done.state == "SUCCEEDED", "retry_run: the run succeeds on retry")

# --- terminate_run
long = client.create_run_from_pipeline_func(sleeper, arguments={"seconds": 120})
deadline = time.time() + 120
while client.get_run(long.run_id).state != "RUNNING":
    if time.time() > deadline:
        raise AssertionError("the sleeper did not start")
    time.sleep(0.2)
client.terminate_run(long.run_id)
deadline = time.time() + 60
while client.get_run(long.run_id).state not in ("CANCELED",):
    if time.time() > deadline:
        raise AssertionError(f"terminate_run: still {client.get_run(long.run_id).state}")
    time.sleep(0.2)
ok("terminate_run: the run ends CANCELED")

# --- list_runs by experiment, one page at a time
for i in range(3):
    client.run_pipeline(experiment_id=experiment.experiment_id, job_name=f"page-{i}",
                        pipeline_package_path=package, params={"raw_data_path": IRIS})
all_runs = client.list_runs(experiment_id=experiment.experiment_id, page_size=100)
seen, token, pages = [], "", 0
while True:
    page = client.list_runs(experiment_id=experiment.experiment_id, page_size=2, page_token=token)
    pages += 1
    seen += [r.run_id for r in page.runs or []]
    token = page.next_page_token
    if not token:
        break
check(len(seen) == len(set(seen)) == all_runs.total_size == 5 and pages == 3,
      f"list_runs by experiment, 2 per page: {len(seen)} runs over {pages} pages, none twice")
newest = client.list_runs(experiment_id=experiment.experiment_id, page_size=1,
                          sort_by="created_at desc").runs[0]
check(newest.display_name == "page-2", "list_runs sort_by created_at desc")
flt = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name",
                                  "stringValue": "training-run-001"}]})
check([r.run_id for r in client.list_runs(filter=flt).runs] == [run.run_id],
      "list_runs with a display_name filter")
flt = json.dumps({"predicates": [{"operation": "IS_SUBSTRING", "key": "display_name",
                                  "stringValue": "page-"}]})
check(client.list_runs(filter=flt, page_size=10).total_size == 3, "IS_SUBSTRING filter")

# --- upload_pipeline, then run_pipeline by pipeline and version id
uploaded = client.upload_pipeline(package, pipeline_name="ml-training")
check(client.get_pipeline_id("ml-training") == uploaded.pipeline_id, "upload_pipeline; get_pipeline_id")
versions = client.list_pipeline_versions(uploaded.pipeline_id).pipeline_versions
check(len(versions) == 1, "the upload made the pipeline's first version")
v2 = client.upload_pipeline_version(package, pipeline_version_name="v2",
                                    pipeline_id=uploaded.pipeline_id)
by_version = client.run_pipeline(experiment_id=experiment.experiment_id, job_name="from-version",
                                 pipeline_id=uploaded.pipeline_id, version_id=v2.pipeline_version_id,
                                 params={"raw_data_path": IRIS, "n_estimators": 12})
done = client.wait_for_run_completion(by_version.run_id, timeout=600, sleep_duration=1)
check(done.state == "SUCCEEDED", "run_pipeline by pipeline and version id SUCCEEDED")
check(done.pipeline_version_reference.pipeline_version_id == v2.pipeline_version_id,
      "the run names its pipeline version")
status, body = api_error(lambda: client.delete_pipeline(uploaded.pipeline_id))
check(status == 409 and "version" in body["message"], "delete_pipeline with versions is refused")

# --- recurring runs: the seed's cron one, and a 2 s one that fires
seed_job = client.create_recurring_run(
    experiment_id=experiment.experiment_id,
    job_name="daily-retraining",
    pipeline_package_path=package,
    params={"raw_data_path": IRIS, "n_estimators": 100},
    cron_expression="0 2 * * *",
    max_concurrency=1,
    enabled=True)
got = client.get_recurring_run(seed_job.recurring_run_id)
check(got.trigger.cron_schedule.cron == "0 2 * * *" and got.status == "ENABLED" and
      got.max_concurrency == "1", "create_recurring_run keeps the seed's cron, enabled")
client.disable_recurring_run(seed_job.recurring_run_id)
check(client.get_recurring_run(seed_job.recurring_run_id).status == "DISABLED",
      "disable_recurring_run")
adder_yaml = os.path.join(WORK, "adder.yaml")
compiler.Compiler().compile(adder, adder_yaml)
ticker = client.create_recurring_run(experiment_id=experiment.experiment_id, job_name="every-2s",
                                     pipeline_package_path=adder_yaml, params={"x": 40},
                                     interval_second=2, max_concurrency=1, no_catchup=True)
flt = json.dumps({"predicates": [{"operation": "EQUALS", "key": "recurring_run_id",
                                  "stringValue": ticker.recurring_run_id}]})
deadline = time.time() + 60
while not client.list_runs(filter=flt).runs:
    if time.time() > deadline:
        raise AssertionError("the recurring run did not fire")
    time.sleep(0.5)
fired = client.list_runs(filter=flt).runs[0]
check(fired.recurring_run_id == ticker.recurring_run_id and fired.runtime_config.parameters["x"] == 40,
      "a recurring run fires, and its run carries recurring_run_id and the parameters")
client.disable_recurring_run(ticker.recurring_run_id)
time.sleep(0.5)
count = client.list_runs(filter=flt).total_size
time.sleep(5)
check(client.list_runs(filter=flt).total_size == count, "a disabled recurring run fires no more")
listed = client.list_recurring_runs(experiment_id=experiment.experiment_id)
check(listed.total_size == 2, "list_recurring_runs by experiment")
client.delete_recurring_run(seed_job.recurring_run_id)
check(client.list_recurring_runs().total_size == 1, "delete_recurring_run")

# --- archive and delete
client.archive_run(yaml_run.run_id)
check(client.get_run(yaml_run.run_id).storage_state == "ARCHIVED", "archive_run")
client.unarchive_run(yaml_run.run_id)
check(client.get_run(yaml_run.run_id).storage_state == "AVAILABLE", "unarchive_run")
client.delete_run(yaml_run.run_id)
status, body = api_error(lambda: client.get_run(yaml_run.run_id))
check(status == 404 and body["code"] == 5, "delete_run; the run is then not found (NOT_FOUND)")
scratch = client.create_experiment(name="scratch")
client.run_pipeline(experiment_id=scratch.experiment_id, job_name="to-archive",
                    pipeline_package_path=adder_yaml)
client.archive_experiment(scratch.experiment_id)
check(client.get_experiment(scratch.experiment_id).storage_state == "ARCHIVED" and
      all(r.storage_state == "ARCHIVED"
          for r in client.list_runs(experiment_id=scratch.experiment_id).runs),
      "archive_experiment archives the experiment and its runs")
deadline = time.time() + 60
while any(r.state not in ("SUCCEEDED", "FAILED")
          for r in client.list_runs(experiment_id=scratch.experiment_id).runs):
    if time.time() > deadline:
        raise AssertionError("the scratch run did not end")
    time.sleep(0.5)
status, body = api_error(lambda: client.delete_experiment(scratch.experiment_id))
check(status == 409 and "delete them first" in body["message"],
      "delete_experiment while it has runs is refused, saying what to do")
for r in client.list_runs(experiment_id=scratch.experiment_id).runs:
    client.delete_run(r.run_id)
client.delete_experiment(scratch.experiment_id)
status, _ = api_error(lambda: client.get_experiment(scratch.experiment_id))
check(status == 404, "delete_experiment")

# --- what the server cannot honour is an error that names it
status, body = api_error(lambda: client.list_runs(filter=json.dumps(
    {"predicates": [{"operation": "EQUALS", "key": "pipeline_root", "stringValue": "x"}]})))
check(status == 400 and body["code"] == 3 and "pipeline_root" in body["message"],
      f"a filter on a key that is not indexed: 400 naming it ({body['message']})")
status, body = api_error(lambda: client._run_api.run_service_create_run(
    run={"display_name": "x", "pipeline_spec": {}, "colour": "red"}))
check(status == 400 and "colour" in body["message"], "an unknown field: 400 naming it")
status, body = api_error(lambda: client.list_runs(sort_by="colour"))
check(status == 400 and "colour" in body["message"], "an unknown sort key: 400 naming it")
status, body = api_error(lambda: client.create_recurring_run(
    experiment_id=experiment.experiment_id, job_name="every-second",
    pipeline_package_path=adder_yaml, cron_expression="* * * * * *"))
check(status == 400 and "seconds" in body["message"],
      "a cron that fires every second is refused, saying why")
print(f"kfp {kfp.__version__}: every flow passed", flush=True)
