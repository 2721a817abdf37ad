#!/usr/bin/env python3
"""Pipelines of the real KFP corpus (shared/corpora/kfp-ir), run end to end by slipway, each
checked against what its source computes (the sources are KFP's test data: the expected values
below are worked out from them).

    kfp_corpus_runs.py SLIPWAY CORPUS_DIR [--all] [--only SUBSTRING] [--list] [--warm-and-cold]

Without --all only the quick cases run (`make test`); --all runs every case (`make test-corpus`).
With --warm-and-cold each case runs twice, with the warm Python executors and without them
(SLIPWAY_WARM_PYTHON=0): both runs must pass the case's checks and end with the same task states
and outputs.
Python components run in environments shared between cases ($SLIPWAY_PYENVS), one per package
set, so the quick cases keep to a few package sets.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SDK = "test_data__sdk_compiled_pipelines__valid__"
OLD = "e51df51@sdk__python__test_data__pipelines__"
OLD_COMPONENTS = "e51df51@sdk__python__test_data__components__"
K8S = "kubernetes_platform__python__test__snapshot__data__"
V2 = "backend__test__v2__resources__"


class Run:
    """One finished run: its JSON document, and its logs on demand."""

    def __init__(self, slipway, env, doc, rc):
        self.slipway, self.env, self.doc, self.rc = slipway, env, doc, rc
        self.tasks = {t["name"]: t for t in doc.get("tasks", [])}

    def task(self, name):
        if name not in self.tasks:
            raise AssertionError(f"no task '{name}' (tasks: {sorted(self.tasks)[:12]}...)")
        return self.tasks[name]

    def out(self, name, key="Output"):
        outs = self.task(name).get("outputs") or {}
        if key not in outs:
            raise AssertionError(f"task '{name}' has no output '{key}' (has {sorted(outs)})")
        return outs[key]

    def log(self, name):
        p = subprocess.run([self.slipway, "runs", "logs", self.doc["id"], name], env=self.env,
                           capture_output=True, text=True, timeout=60)
        return p.stdout + p.stderr


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def out(task, expected, key="Output"):
    return lambda r: eq(r.out(task, key), expected, f"{task}.{key}")


def logged_by_one(prefix, text):
    """Exactly one task whose name starts with `prefix` logged `text`."""
    def check(r):
        hits = [n for n in r.tasks if n.startswith(prefix) and text in r.log(n)]
        eq(len(hits), 1, f"tasks {prefix}* that logged {text!r}")
    return check


def artifact_text(task, expected, key="Output"):
    def check(r):
        with open(r.out(task, key)["uri"]) as f:
            eq(f.read(), expected, f"the file of {task}.{key}")
    return check


def state(task, expected):
    return lambda r: eq(r.task(task)["state"], expected, f"state of {task}")


def logged(task, text):
    def check(r):
        log = r.log(task)
        if text not in log:
            raise AssertionError(f"the log of {task} does not contain {text!r}: {log[-300:]!r}")
    return check


def leaves(prefix):
    """The run's instances of a task in loops: name -> task, for names like prefix[i][j]."""
    return lambda r: {n: t for n, t in r.tasks.items() if n.startswith(prefix + "[")
                      and not any(m.startswith(n + "[") for m in r.tasks)}


def ms(stamp):
    """Milliseconds of a run document's time stamp (2026-12-06T18:04:38.018Z)."""
    from datetime import datetime
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000)


def at_most_at_once(groups, limit, what):
    """Spans [first start, last end] of each group of instances overlap at most `limit` deep
    (instances served from the cache did not run, so they take no room)."""
    def check(r):
        spans = []
        for names in groups(r):
            ts = [r.task(n) for n in names if not r.task(n)["cached"]]
            if ts:
                spans.append((min(ms(t["started"]) for t in ts),
                              max(ms(t["finished"]) for t in ts)))
        most = max(sum(1 for b in spans if b[0] <= a[0] < b[1]) for a in spans)
        if most > limit:
            raise AssertionError(f"{what}: {most} under way at once, limit {limit}")
    return check


class Case:
    # needs: commands the pipeline's own steps call, as their images have them (gsutil); a case
    # whose commands this machine lacks is skipped and says so, not failed.
    def __init__(self, file, checks, quick=False, params=(), expect="SUCCEEDED", setup=None,
                 env=None, needs=()):
        self.file, self.checks, self.quick, self.params = file, checks, quick, list(params)
        self.expect, self.setup, self.env, self.needs = expect, setup, env or {}, list(needs)


def make_volume(name):
    def setup(home, work):
        os.makedirs(os.path.join(home, "volumes", name), exist_ok=True)
    return setup


def write_file(rel, text):
    def setup(home, work):
        path = os.path.join(work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return setup


def put_object(kind, name, key, value):
    """A secret or config map of the local store: $SLIPWAY_HOME/{secrets,configmaps}/NAME/KEY."""
    def setup(home, work):
        os.makedirs(os.path.join(home, kind, name), exist_ok=True)
        with open(os.path.join(home, kind, name, key), "w") as f:
            f.write(value)
    return setup


def volume_holds(name, rel, text):
    def check(r):
        path = os.path.join(r.env["SLIPWAY_HOME"], "volumes", name, rel)
        with open(path) as f:
            eq(f.read(), text, f"volume {name}/{rel}")
    return check


def outer_iterations(prefix_task, inner_task):
    """For a loop holding `prefix_task` and a loop of `inner_task`: per outer iteration i, the
    names of its instances."""
    def groups(r):
        n = len([k for k in r.tasks if k.startswith(prefix_task + "[") and k.count("[") == 1])
        return [[k for k in r.tasks if (k == f"{prefix_task}[{i}]" or
                                        k.startswith(f"{inner_task}[{i}][")) and
                 k in leaves_of(r)] for i in range(n)]
    return groups


def leaves_of(r):
    return {n for n in r.tasks if not any(m.startswith(n + "[") for m in r.tasks)}


CASES = [
    # Nested loops: dsl.Collected over two levels is a list of lists.
    Case(SDK + "nested_with_parameters.yaml", quick=True, checks=[
        out("add", 72),  # sum over x, y in 1..3 of 2x + 2y
        out("add-two-nums", [[4, 6, 8], [6, 8, 10], [8, 10, 12]]),
    ]),
    Case(SDK + "parameters_complex.yaml", quick=True, checks=[
        out("simple-add", [30, 30, 30]),  # per outer item: 2 * (4 + 5 + 6)
        out("nested-add", 90),
        out("add-two-numbers", 306),  # 3 * 12 + 3 * 90
    ]),
    Case(SDK + "pipeline_producer_consumer.yaml", quick=True, checks=[
        out("add", 36),  # three outer iterations of double(1..3)
        out("echo-and-return", ["m", "a", "t", "h"]),
        logged("join-and-print", "math"),
    ]),
    Case(SDK + "pipeline_with_parallelfor_pipeline_param.yaml", quick=True,
         params=["prefix=pre", 'loop_parameter=["a", "b", "c"]'], checks=[
             out("print-with-prefix", ["pre: a", "pre: b", "pre: c"]),
             out("print-with-prefix-2", ["dynamic-prefix: a", "dynamic-prefix: b",
                                         "dynamic-prefix: c"]),
             out("print-with-prefix-3", [["pre: a", "pre: b", "pre: c"]] * 2),
         ]),
    Case(OLD + "pipeline_with_nested_loops.yaml", quick=True, checks=[
        logged("print-op[1][1]", "msg: 22, msg2: None"),
        logged("print-op-3[1][2]", "msg: 2, msg2: 300"),
        lambda r: eq(len(leaves("print-op-3")(r)), 6, "inner iterations of the second loop"),
    ]),
    # parallelism=2 on the outer loop counts whole iterations, nested loop included.
    Case(OLD + "pipeline_with_parallelfor_parallelism.yaml", quick=True,
         params=['loop_parameter=["a", "b", "c"]'], checks=[
             # Each outer iteration prints the inner items (one ran, the others were cached).
             lambda r: eq(sorted({line for n in leaves("print-text-2")(r) if not r.task(n)["cached"]
                                  for line in r.log(n).splitlines() if line in ("a", "b", "c")}),
                          ["a", "b", "c"], "what the inner loop printed"),
             at_most_at_once(outer_iterations("print-text", "print-text-2"), 2,
                             "outer iterations with parallelism 2"),
             at_most_at_once(lambda r: [[n] for n in leaves("print-int")(r)], 1,
                             "print-int with parallelism 1"),
         ]),
    Case(OLD + "pipeline_with_loops_and_conditions.yaml", checks=[
        state("print-struct", "SUCCEEDED"),
    ]),
    Case(OLD + "cross_loop_after_topology.yaml", checks=[
        state("print-op-8", "SUCCEEDED"),
    ]),
    Case(OLD + "if_elif_else_complex.yaml", quick=True, checks=[
        # The collected ints are printed; each is in 0..9999 and the list has one per trial.
        lambda r: eq(len(r.out("int-0-to-9999")), 3, "one int per trial"),
        lambda r: logged("print-ints", str(r.out("int-0-to-9999")))(r),
        # Only the last trial passes dsl.If(trial == 3); skipped iterations collect nothing.
        out("print-and-return", ["Adding drumroll on last trial!"]),
    ]),
    Case(OLD + "pipeline_with_parallelfor_list_artifacts.yaml", quick=True, checks=[
        lambda r: eq([a["metadata"]["length"] for a in r.out("make-artifact")], [5, 1, 1, 6],
                     "the artifacts made in the loop"),
        lambda r: eq(len(r.out("print-artifact-name-2")), 4, "one iteration per dataset"),
    ]),
    # kfp-kubernetes volumes: the producer writes /data/file.txt on the claim, the consumer
    # reads it back; the claim is a directory that holds the file afterwards.
    Case(V2 + "pvc-mount.yaml", quick=True, params=["pvc_name=shared-claim"],
         setup=make_volume("shared-claim"), checks=[
             out("producer", "hello"),
             logged("consumer", "hello"),
             volume_holds("shared-claim", "file.txt", "hello"),
         ]),
    # (make test runs it in test_kfp_corpus_run.sh, with the refusal of a missing claim.)
    Case("backend__src__apiserver__template__testdata__pipeline_with_volume.yaml",
         setup=make_volume("my-existing-pvc"), checks=[
             state("comp-3", "SUCCEEDED"),
             state("deletepvc", "SUCCEEDED"),
             lambda r: eq(os.path.isdir(os.path.join(r.env["SLIPWAY_HOME"], "volumes",
                                                     r.out("createpvc", "name"))), False,
                          "DeletePVC removed the claim"),
         ]),
    # Artifacts a function returns at a URI of its own (dsl.get_uri()), not where it was asked.
    Case(OLD + "pythonic_artifacts_with_multiple_returns.yaml", quick=True, checks=[
        artifact_text("make-dataset", "Hello, world"),
        artifact_text("dataset-splitter", "Hello,", "dataset1"),
        artifact_text("dataset-splitter", " world", "dataset2"),
    ]),
    # Hello worlds of the API server's and backend's test data: they print their input.
    Case("backend__src__apiserver__config__testdata__sample_pipeline.yaml", quick=True,
         checks=[logged("hello-world", "hello")]),
    Case("backend__src__apiserver__server__test__v2-hello-world.json", quick=True,
         params=["text=hi from the corpus"], checks=[logged("hello-world", "hi from the corpus")]),
    Case("backend__src__apiserver__template__testdata__hello_world_schema_2_0_0.yaml",
         quick=True, params=["text=schema two"], checks=[state("hello-world", "SUCCEEDED")]),
    Case("backend__test__resources__v2-hello-world.yaml", quick=True, params=["text=v2 hello"],
         checks=[state("hello-world", "SUCCEEDED")]),
    # Components alone.
    Case(OLD_COMPONENTS + "add_numbers.yaml", quick=True, params=["a=19", "b=23"],
         checks=[out("add-numbers", 42)]),
    Case(OLD_COMPONENTS + "concat_message.yaml", quick=True,
         params=["message1=slip", "message2=way"], checks=[out("concat-message", "slipway")]),
    Case(OLD_COMPONENTS + "identity.yaml", quick=True, params=["value=same"],
         checks=[out("identity", "same")]),
    Case(OLD_COMPONENTS + "dict_input.yaml", quick=True, params=['struct={"a": 1}'],
         checks=[logged("dict-input", "{'a': 1}")]),
    Case(OLD_COMPONENTS + "container_no_input.yaml", quick=True,
         checks=[logged("container-no-input", "hello world")]),
    Case(OLD_COMPONENTS + "output_metrics.yaml", quick=True, checks=[
        lambda r: eq(sorted(r.out("output-metrics", "metrics")["metadata"]), ["accuracy"],
                     "the metrics logged"),
    ]),
    Case(OLD + "component_with_optional_inputs.yaml", quick=True, checks=[
        logged("component-op", "input1: Hello, type: <class 'str'>"),
        logged("component-op", "input3: None, type: <class 'NoneType'>"),
    ]),
    # dsl.If / dsl.Else with dsl.OneOf: exactly one branch runs and the reader gets its value.
    Case(OLD + "if_else_with_oneof_parameters.yaml", quick=True, checks=[
        lambda r: eq(r.out("print-and-return-3"), f"Got {r.out('flip-coin')}!",
                     "the OneOf reader"),
        lambda r: eq(sorted(r.task(n)["state"] for n in ("print-and-return",
                                                         "print-and-return-2")),
                     ["SKIPPED", "SUCCEEDED"], "one branch ran"),
    ]),
    Case(OLD + "if_elif_else_with_oneof_parameters.yaml", quick=True, checks=[
        lambda r: eq(r.out("print-and-return"),
                     {"heads": "Got heads!", "tails": "Got tails!"}.get(
                         r.out("flip-three-sided-die"), "Draw!"), "the OneOf reader"),
    ]),
    Case(OLD + "if_else_with_oneof_artifacts.yaml", quick=True, checks=[
        lambda r: logged("print-artifact", r.out("flip-coin"))(r),
    ]),
    Case(OLD + "lightweight_python_functions_pipeline.yaml", quick=True,
         params=["message=corpus message"], checks=[
             out("preprocess", True, "output_bool_parameter_path"),
             state("train", "SUCCEEDED"),
         ]),
    Case(OLD + "lightweight_python_functions_with_outputs.yaml", quick=True,
         params=["first_message=a", "second_message=b", "first_number=1", "second_number=2"],
         checks=[
             out("concat-message", "ab"),
             out("add-numbers", 3),
             out("output-named-tuple", "123", "scalar"),
             artifact_text("output-artifact", "ab\nab\nab"),
         ]),
    Case(OLD + "pipeline_in_pipeline_loaded_from_yaml.yaml", quick=True, checks=[
        out("print-op1", "world"),
        out("print-op1-2", "Hello"),
        logged("print-op1-3", "world"),
    ]),
    Case(OLD + "pipeline_with_loops.yaml", quick=True, params=['loop_parameter=["a", "b"]'],
         checks=[
             logged("print-text[1]", "b"),
             logged("print-struct[1]", "{'A_a': '10', 'B_b': '20'}"),
             logged("print-text-3[1]", "20"),
         ]),
    Case(OLD + "pipeline_with_metrics_outputs.yaml", quick=True, checks=[
        lambda r: eq(len(r.out("output-metrics-2", "metrics")), 2, "one metrics per iteration"),
    ]),
    Case(OLD + "pipeline_with_placeholders.yaml", quick=True, checks=[
        logged("print-op-4", "task name: print-op-4"),
    ]),
    Case(OLD + "pipeline_with_reused_component.yaml", quick=True, needs=["gsutil"], checks=[
        out("add", 5, "sum"), out("add-2", 10, "sum"), out("add-3", 17, "sum"),
    ]),
    Case(OLD + "pipeline_with_task_final_status_yaml.yaml", quick=True, checks=[
        logged("print-op", "Hello World!"),
        state("exit-op", "SUCCEEDED"),
    ]),
    Case(OLD + "pythonic_artifacts_with_list_of_artifacts.yaml", quick=True, checks=[
        artifact_text("join-datasets", "Hello, world!"),
    ]),
    # kfp-kubernetes settings that do not change results run with them ignored (placement,
    # pull secrets, security context), or applied (timeout, emptyDir, init containers' volumes).
    Case(K8S + "empty_dir_mounts.yaml", quick=True, checks=[state("comp", "SUCCEEDED")]),
    Case(K8S + "image_pull_secrets.yaml", checks=[state("comp", "SUCCEEDED")]),
    Case(K8S + "node_selector.yaml", checks=[state("comp", "SUCCEEDED")]),
    Case(K8S + "security_context.yaml", checks=[state("print-greeting", "SUCCEEDED")]),
    Case(K8S + "timeout.yaml", checks=[state("comp", "SUCCEEDED")]),
    Case(K8S + "init_container.yaml", checks=[logged("print-greeting", "hello world")]),
    Case(SDK + "arguments_parameters.yaml", quick=True, params=["param2=corpus"],
         checks=[logged("echo", "hello-corpus")]),
    # Nested pipelines (sub-DAGs three deep) passing artifacts and parameters out.
    Case(SDK + "critical__artifact_crust.yaml", quick=True, checks=[
        artifact_text("core-comp", "foo", "dataset"),
        logged("crust-comp", "input:  foo"),
    ]),
    Case(SDK + "critical__mixed_parameters.yaml", quick=True,
         checks=[logged("crust-comp", "sum : 3")]),
    Case(SDK + "critical__multiple_artifacts_namedtuple.yaml", quick=True, checks=[
        logged("crust-comp", "ds1:  foo"), logged("crust-comp", "ds2:  bar"),
    ]),
    Case(SDK + "critical__multiple_parameters_namedtuple.yaml", quick=True, checks=[
        logged("crust-comp", "val1:  foo"), logged("crust-comp", "val2:  bar"),
    ]),
    Case(SDK + "critical__collected_parameters.yaml", quick=True, checks=[
        out("split-ids", ["s1", "s2", "s3"]),
        out("prepend-id", ["model_id_s1", "model_id_s2", "model_id_s3"]),
        logged("consume-single-id[2]", "Consuming single: model_id_s3"),
        logged("consume-ids", "Consuming: model_id_s2"),
        out("consume-ids-2", "completed"),
    ]),
    Case(SDK + "critical__component_with_optional_inputs.yaml", quick=True,
         checks=[logged("component-op", "input2: World")]),
    Case(SDK + "critical__flip_coin.yaml", quick=True, checks=[
        # heads: a number in 0..9 and one of two messages; tails: 10..19 likewise.
        lambda r: eq(sum(r.task(n)["state"] == "SUCCEEDED" for n in
                         ("print-msg", "print-msg-2", "print-msg-3", "print-msg-4")), 1,
                     "one message printed"),
    ]),
    Case(SDK + "critical__if_else_with_oneof_artifacts.yaml", quick=True, checks=[
        lambda r: logged("print-artifact", r.out("flip-coin"))(r),
    ]),
    Case(SDK + "critical__notebook_component_simple.yaml", checks=[
        logged("run-train-notebook", "[KFP Notebook] Execution complete"),
    ]),
    Case(SDK + "critical__parallel_for_after_dependency.yaml", quick=True, checks=[
        out("print-op", ["foo", "foo", "foo"]), out("print-op-2", "bar"), out("print-op-3", "baz"),
    ]),
    Case(SDK + "critical__parameter_cache.yaml", quick=True,
         checks=[logged("crust-comp", "input : foo")]),
    Case(SDK + "critical__parameter_oneof.yaml", quick=True, checks=[
        lambda r: logged("crust-comp", "input : Got " + r.out("flip-coin") + "!")(r),
    ]),
    Case(SDK + "critical__parameters_simple.yaml", quick=True, checks=[
        out("double", [2, 4, 6]), out("add", 12), out("add-container", 12, "sum"),
    ]),
    Case(SDK + "critical__pipeline_with_env.yaml", quick=True, checks=[
        logged("print-env", "val3"), logged("print-env-op", "ENV1 val1"),
    ]),
    # Files and directories written by one task and imported by URI by another.
    Case(SDK + "critical__pipeline_with_importer_workspace.yaml", quick=True, checks=[
        out("read-dir", "part-000.txt,part-001.txt"),
        out("train", "My model trained using data: Hello from producer file\n", "message"),
    ]),
    Case(SDK + "critical__two_step_pipeline_containerized.yaml", quick=True,
         checks=[logged("component2", "Hello KFP Containerized!")]),
    Case(SDK + "essential__component_with_env_variable.yaml", quick=True,
         checks=[out("read-env-var", "env_var_value")]),
    Case(SDK + "essential__component_with_pip_index_urls.yaml",
         checks=[logged("component-op", "FormatFiles")]),
    Case(OLD + "component_with_pip_index_urls.yaml", checks=[logged("component-op", "FormatFiles")]),
    Case(OLD_COMPONENTS + "component_with_pip_install_in_venv.yaml",
         checks=[logged("component-with-pip-install", "FormatFiles")]),
    Case(SDK + "essential__pipeline_with_after.yaml", quick=True, checks=[
        logged("print-text-3", "3rd task"),
        lambda r: eq(ms(r.task("print-text-2")["started"]) >= ms(r.task("print-text")["finished"]),
                     True, "the second task starts after the first ended"),
    ]),
    Case(SDK + "essential__pipeline_with_condition.yaml", quick=True, checks=[
        lambda r: logged("print-op", r.out("flip-coin-op"))(r),
        lambda r: eq(r.task("print-op-3")["state"],
                     "SUCCEEDED" if r.out("flip-coin-op") == "heads" else "SKIPPED",
                     "the tasks under dsl.Condition run on heads only"),
    ]),
    Case(SDK + "essential__pipeline_with_nested_conditions_yaml.yaml", quick=True, checks=[
        lambda r: eq(sum(r.task(n)["state"] == "SUCCEEDED"
                         for n in ("print", "print-2", "print-3", "print-4")), 1,
                     "one print of the four branches ran"),
    ]),
    Case(SDK + "essential__pipeline_with_outputs.yaml", quick=True, checks=[
        out("print-op1", "world"), out("print-op1-2", "Hello"),
        artifact_text("print-op2", "world\n", "data"),
    ]),
    Case(SDK + "essential__pipeline_with_reused_component.yaml", quick=True, checks=[
        out("add-numbers", 5), out("add-numbers-2", 10), out("add-numbers-3", 17),
    ]),
    # IfPresent with an input given as None: its argument is left out, the default is used.
    Case(SDK + "essential__placeholder_with_if_placeholder_none_input_value.yaml", quick=True,
         checks=[logged("component-with-optional-inputs", "--arg0 input0 --arg2 default value")]),
    # Secrets and config maps from the local store, as env or mounted files.
    Case(K8S + "secret_as_env.yaml", setup=put_object("secrets", "my-secret", "password", "pw"),
         checks=[state("comp", "SUCCEEDED")]),
    Case(K8S + "config_map_as_env.yaml", setup=put_object("configmaps", "my-cm", "foo", "bar"),
         checks=[state("comp", "SUCCEEDED")]),
    Case(K8S + "secret_as_vol.yaml", setup=put_object("secrets", "my-secret", "password", "pw"),
         checks=[state("comp", "SUCCEEDED")]),
    # The component asserts the mounted secret's username is "user1".
    Case(SDK + "pipeline_with_secret_as_volume.yaml", quick=True,
         setup=put_object("secrets", "test-secret-1", "username", "user1"),
         checks=[logged("comp", "username: user1")]),
    Case(SDK + "parallel_and_nested__nested_parallel_for_secret.yaml", quick=True,
         setup=put_object("secrets", "test-secret-1", "username", "alice"),
         checks=[out("worker-component", ["alice", "alice"])]),
    Case(K8S + "create_mount_delete_existing_pvc.yaml", checks=[state("comp", "SUCCEEDED")]),
    # Pod labels and annotations (podMetadata) read through fieldPathAsEnv; the component checks
    # each value, and that labels it was not given are empty.
    Case(SDK + "critical__pipeline_with_pod_metadata.yaml", quick=True, checks=[
        state("validate-no-pod-metadata", "SUCCEEDED"),
        state("validate-pod-metadata-task-b", "SUCCEEDED"),
    ]),
    Case(K8S + "field_path_as_env.yaml", checks=[state("comp", "SUCCEEDED")]),
    # A component compiled alone whose input is the final status of a task.
    Case(OLD_COMPONENTS + "component_with_task_final_status.yaml",
         params=['status={"state": "COMPLETE", "pipelineTaskName": "t", "error": {}}'],
         checks=[logged("exit-comp", "COMPLETE")]),
    # Pipeline inputs that are artifacts: a file given by path.
    Case(SDK + "input_artifact.yaml", quick=True, params=["data=@WORK@/in.txt"],
         setup=write_file("in.txt", "input data"), checks=[logged("input-artifact", "in.txt")]),
    Case(SDK + "pipeline_with_metadata_fields.yaml", quick=True,
         params=["string=left-", "in_dataset=@WORK@/right.txt"],
         setup=write_file("right.txt", "right"), checks=[
             out("dataset-joiner", "left-right"),
             artifact_text("dataset-joiner", "left-right", "out_dataset"),
         ]),
    Case(SDK + "component_with_metadata_fields.yaml", quick=True,
         params=["dataset_a=@WORK@/a.txt", "dataset_b=@WORK@/b.txt"],
         setup=lambda home, work: (write_file("a.txt", "A")(home, work),
                                   write_file("b.txt", "B")(home, work)),
         checks=[out("dataset-joiner", "AB")]),
    # Optional pipeline inputs left out: the kfp-kubernetes settings that read them are skipped.
    Case(SDK + "critical__missing_kubernetes_optional_inputs.yaml", quick=True,
         checks=[state("log-message", "SUCCEEDED")]),
    # dsl.Collected over a loop whose producer sits in a condition: only items >= 2 produce.
    Case(SDK + "conditional_producer_and_consumers.yaml", quick=True,
         checks=[out("add", 10), out("double", [4, 6])]),
    # The exit handler sees the state as KFP names it ('COMPLETE') and asserts it.
    Case(SDK + "critical__pipeline_with_input_status_state.yaml", quick=True,
         checks=[state("echo-state", "SUCCEEDED")]),
    # Pipelines that fail on purpose: their exit handlers and ignore_upstream_failure tasks run.
    Case(SDK + "pipeline_as_exit_task.yaml", quick=True, expect="FAILED", checks=[
        state("fail-op", "FAILED"), out("get-run-state", "FAILED"),
        logged_by_one("print-op", "notify task failure."),
    ]),
    Case(OLD + "pipeline_as_exit_task.yaml", expect="FAILED", checks=[
        out("get-run-state", "FAILED"), logged_by_one("print-op", "notify task failure."),
    ]),
    Case(OLD + "pipeline_with_exit_handler.yaml", quick=True, expect="FAILED", checks=[
        state("fail-op", "FAILED"), logged("print-op", "Exit handler has worked!"),
        logged("print-op-2", "Hello World!"),
    ]),
    Case(OLD + "pipeline_with_multiple_exit_handlers.yaml", expect="FAILED", checks=[
        logged("print-op", "First exit handler has worked!"),
        logged("print-op-5", "Third exit handler has worked!"),
    ]),
    Case(SDK + "failing__pipeline_with_multiple_exit_handlers.yaml", quick=True, expect="FAILED",
         checks=[
             state("fail-op", "FAILED"),
             logged("print-op-3", "Second exit handler has worked!"),
             logged("print-op-6", "Hello World!"),
         ]),
    Case(SDK + "local_execution__local_execution_pipeline_with_ignore_upstream_failure.yaml",
         quick=True, expect="FAILED", params=["marker_path=@WORK@/marker"], checks=[
             state("fail-always", "FAILED"), out("write-marker", "cleanup_ran"),
         ]),
    # Limits set from task outputs (set_cpu_limit(task.output), an accelerator): the machine is
    # declared large enough for them; the step itself only adds.
    Case(SDK + "pipeline_with_string_machine_fields_task_output.yaml", quick=True,
         env={"SLIPWAY_LOCAL_CPUS": "4", "SLIPWAY_LOCAL_GPUS": "1"}, checks=[out("sum-numbers", 3)]),
    Case(SDK + "local_execution__local_execution_pipeline_with_k8s_only_methods.yaml",
         env={"SLIPWAY_LOCAL_GPUS": "1"}, checks=[state("echo", "SUCCEEDED")]),
    Case(SDK + "pipeline_with_string_machine_fields_pipeline_input.yaml",
         env={"SLIPWAY_LOCAL_CPUS": "4", "SLIPWAY_LOCAL_GPUS": "1"}, checks=[out("sum-numbers", 3)]),
    Case("backend__src__apiserver__template__testdata__hello_world.yaml",
         params=["y=hello"], checks=[state("hello-world", "SUCCEEDED")]),
    # Every job and task placeholder is filled in; the component asserts the task name and that
    # the job's resource name starts with the pipeline's.
    Case(SDK + "critical__pipeline_with_placeholders.yaml", quick=True,
         checks=[logged("print-all-placeholders", "print-all-placeholders")]),
    Case(SDK + "critical__producer_consumer_param_pipeline.yaml", quick=True, checks=[
        out("producer", "Hello world, this is an output parameter", "output_value"),
        logged("consumer", "Hello world, this is an output parameter"),
    ]),
    Case(SDK + "essential__pipeline_with_nested_conditions.yaml", checks=[
        # The inner dsl.Condition(flip2 == flip3) decides whether flip4 is printed.
        lambda r: eq(r.task("print-op-4")["state"],
                     "SUCCEEDED" if r.out("flip-coin-op-2") == r.out("flip-coin-op-3")
                     else "SKIPPED", "the inner condition decides"),
    ]),
    # KFP's backend names the exit handler's state COMPLETE (kfp.local, whose test this is,
    # says SUCCEEDED); slipway follows the backend.
    Case(SDK + "local_execution__local_execution_pipeline_with_exit_handler.yaml", quick=True,
         checks=[out("echo", "hello"), out("record-exit", "exit:COMPLETE")]),
    Case(SDK + "local_execution__local_execution_pipeline_with_oneof.yaml", quick=True,
         checks=[out("tag-selected", "selected:A"), state("branch-b", "SKIPPED")]),
    Case(SDK + "local_execution__pipeline_with_collected_artifacts.yaml", quick=True,
         checks=[out("read-and-join", "0,1,2")]),
    Case(SDK + "log_streaming_compiled.yaml", checks=[logged("print-message", "Hello world")]),
    Case(SDK + "metrics_visualization_v2.yaml", checks=[
        lambda r: eq(sorted(r.out("digit-classification", "metrics")["metadata"]),
                     ["accuracy"], "the digit classifier logged its accuracy"),
        lambda r: eq("confusionMatrix" in r.out("iris-sgdclassifier", "metrics")["metadata"],
                     True, "the iris classifier logged a confusion matrix"),
        state("html-visualization", "SUCCEEDED"),
    ]),
    # A loop's artifacts read by the next loop task of the same iteration.
    Case(SDK + "parallel_and_nested__loop_consume_upstream.yaml", quick=True, checks=[
        out("split-input", ["component1", "component2", "component3"]),
        logged("read-file[1]", "component2"),
        logged("print-input", "Input item: component3"),
    ]),
    Case(SDK + "parallel_and_nested__nested_pipeline_opt_input_child_level_compiled.yaml",
         quick=True, checks=[state("component-b-str", "SUCCEEDED")]),
    Case(SDK + "parallel_and_nested__nested_pipeline_opt_inputs_nil_compiled.yaml", quick=True,
         checks=[state("component-str", "SUCCEEDED")]),
    Case(SDK + "parallel_and_nested__nested_pipeline_opt_inputs_parent_level_compiled.yaml",
         quick=True, checks=[state("component-nil-str-default", "SUCCEEDED")]),
    Case(SDK + "parallel_and_nested__pipeline_in_pipeline_complex.yaml", quick=True, checks=[
        out("print-op1", ["Hello", "world!"]),
        logged("print-op2[0]", "world"), state("print-op2[1]", "SKIPPED"),
        logged("print-op[1]", "Bye!"),
    ]),
    # additional_funcs: the component asserts its helper functions came along.
    Case(SDK + "pipeline_with_utils.yaml", quick=True, checks=[state("echo", "SUCCEEDED")]),
    Case(SDK + "sequential_v1.yaml", params=["param1=first", "param2=second"],
         checks=[logged("echo", "first"), logged("echo-2", "second")]),
    # The same pipelines as compiled by a newer SDK (the SDK's own test data, other revision).
    Case(SDK + "essential__concat_message.yaml", params=["message1=slip", "message2=way"],
         checks=[out("concat-message", "slipway")]),
    Case(SDK + "identity.yaml", params=["value=same"], checks=[out("identity", "same")]),
    Case(SDK + "essential__container_no_input.yaml",
         checks=[logged("container-no-input", "hello world")]),
    Case(SDK + "essential__lightweight_python_functions_pipeline.yaml",
         params=["message=corpus message"],
         checks=[out("preprocess", True, "output_bool_parameter_path")]),
    Case(SDK + "essential__lightweight_python_functions_with_outputs.yaml",
         params=["first_message=a", "second_message=b", "first_number=1", "second_number=2"],
         checks=[out("concat-message", "ab"), out("add-numbers", 3)]),
    Case(SDK + "essential__pipeline_with_metrics_outputs.yaml", checks=[
        lambda r: eq(len(r.out("output-metrics-2", "metrics")), 2, "one metrics per iteration"),
    ]),
    Case(SDK + "if_elif_else_complex.yaml", checks=[
        lambda r: eq(len(r.out("int-0-to-9999")), 3, "one int per trial"),
        out("print-and-return", ["Adding drumroll on last trial!"]),
    ]),
    Case(SDK + "if_elif_else_with_oneof_parameters.yaml", checks=[
        lambda r: eq(r.out("print-and-return"),
                     {"heads": "Got heads!", "tails": "Got tails!"}.get(
                         r.out("flip-three-sided-die"), "Draw!"), "the OneOf reader"),
    ]),
    Case(SDK + "if_else_with_oneof_parameters.yaml", checks=[
        lambda r: eq(r.out("print-and-return-3"), f"Got {r.out('flip-coin')}!",
                     "the OneOf reader"),
    ]),
    Case(SDK + "output_metrics.yaml", checks=[
        lambda r: eq(sorted(r.out("output-metrics", "metrics")["metadata"]), ["accuracy"],
                     "the metrics logged"),
    ]),
    Case(SDK + "parallel_and_nested__parallel_for_secret.yaml",
         setup=put_object("secrets", "test-secret-1", "username", "alice"),
         checks=[out("example-component", ["alice", "alice", "alice"])]),
    Case(SDK + "parallel_and_nested__pipeline_in_pipeline_loaded_from_yaml.yaml", checks=[
        out("print-op1", "world"), out("print-op1-2", "Hello"),
    ]),
    Case(SDK + "pythonic_artifacts_with_list_of_artifacts.yaml",
         checks=[artifact_text("join-datasets", "Hello, world!")]),
    Case(SDK + "pipeline_with_task_using_ignore_upstream_failure.yaml", expect="FAILED", checks=[
        state("fail-op", "FAILED"), logged("print-op", "default"),
    ]),
    Case(OLD_COMPONENTS + "input_artifact.yaml", params=["data=@WORK@/in.txt"],
         setup=write_file("in.txt", "input data"), checks=[logged("input-artifact", "in.txt")]),
    Case(OLD + "pipeline_with_metadata_fields.yaml",
         params=["string=left-", "in_dataset=@WORK@/right.txt"],
         setup=write_file("right.txt", "right"), checks=[out("dataset-joiner", "left-right")]),
    Case(SDK + "component_with_task_final_status_GH-12033.yaml",
         params=['status={"state": "COMPLETE", "pipelineTaskName": "t", "error": {}}'],
         checks=[logged("exit-comp", "COMPLETE")]),
    # Artifacts returned at URIs of the component's choosing; train_model asserts the data and
    # its metadata arrived.
    Case(SDK + "critical__pythonic_artifacts_test_pipeline.yaml", quick=True,
         checks=[artifact_text("train-model", "model trained")]),
    Case(SDK + "critical__pipeline_with_volume_long_name.yaml", checks=[
        logged("dummy-task", "hello"),
        lambda r: eq(os.path.isdir(os.path.join(r.env["SLIPWAY_HOME"], "volumes",
                                                r.out("createpvc", "name"))), True,
                     "the claim's directory"),
    ]),
    # A component compiled alone: every kind of output, from the inputs given.
    Case(SDK + "preprocess.yaml",
         params=["message=hello", 'input_dict_parameter={"a": 1}', 'input_list_parameter=["x", "y"]'],
         checks=[
             out("preprocess", "hello", "output_parameter_path"),
             out("preprocess", True, "output_bool_parameter_path"),
             out("preprocess", {"a": 1}, "output_dict_parameter_path"),
             out("preprocess", ["x", "y"], "output_list_parameter_path"),
             artifact_text("preprocess", "hello", "output_dataset_one"),
         ]),
    Case(SDK + "pipeline_with_only_display_name.yaml", checks=[logged("echo", "hello world")]),
    Case(OLD + "container_component_with_no_inputs.yaml",
         checks=[state("hello-world-container", "SUCCEEDED")]),
    Case(V2 + "env-var.yaml", quick=True, params=["env_var=SLIPWAY_TASK"], checks=[
        out("comp", "comp"),
    ]),
]


def run_case(slipway, corpus, case, pyenvs, extra_env=None):
    """The case's run, checked; returns its task states and outputs with the run's own paths and
    id taken out, and how many steps a warm executor forked."""
    home = tempfile.mkdtemp(prefix="slipway-corpus-")
    work = tempfile.mkdtemp(prefix="slipway-corpus-work-")
    env = dict(os.environ, SLIPWAY_HOME=home, SLIPWAY_PYENVS=pyenvs, **case.env, **(extra_env or {}))
    try:
        if case.setup:
            case.setup(home, work)
        args = [slipway, "run", os.path.join(corpus, case.file), "--output", "json"]
        for p in case.params:
            args += ["-p", p.replace("@WORK@", work)]
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            raise AssertionError(f"no run document (exit {p.returncode}): {p.stderr[-500:]}")
        r = Run(slipway, env, doc, p.returncode)
        if doc.get("state") != case.expect:
            bad = [(n, t["state"], t.get("message", "")[:200]) for n, t in r.tasks.items()
                   if t["state"] not in ("SUCCEEDED", "SKIPPED")]
            raise AssertionError(f"run {doc.get('state')}, expected {case.expect}: {bad[:3]}")
        for check in case.checks:
            check(r)
        executors = os.path.join(home, "runs", doc["id"], "python-executors")
        warm = len(os.listdir(executors)) if os.path.isdir(executors) else 0
        text = json.dumps({n: [t["state"], t.get("outputs")] for n, t in r.tasks.items()},
                          sort_keys=True)
        return without_ids(json.loads(text.replace(home, "HOME").replace(doc["id"], "RUN"))), warm
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def without_ids(v):
    """Artifact ids number artifacts as parallel steps record them: they are left out."""
    if isinstance(v, dict):
        return {k: without_ids(x) for k, x in v.items() if k != "id"}
    if isinstance(v, list):
        return [without_ids(x) for x in v]
    return v


def run_warm_and_cold(slipway, corpus, case, pyenvs):
    warm, servers = run_case(slipway, corpus, case, pyenvs)
    cold, cold_servers = run_case(slipway, corpus, case, pyenvs, {"SLIPWAY_WARM_PYTHON": "0"})
    eq(cold_servers, 0, "warm executors started with SLIPWAY_WARM_PYTHON=0")
    # Steps that draw random numbers (a coin flip) may differ from run to run, warm or cold: both
    # runs are held to the case's checks, not to each other.
    with open(os.path.join(corpus, case.file)) as f:
        if re.search(r"\bimport random\b|\bfrom random import|np\.random|numpy\.random", f.read()):
            return servers
    differ = [n for n in sorted(set(warm) | set(cold)) if warm.get(n) != cold.get(n)]
    if differ:
        # Randomness the source does not name (scikit-learn's unseeded splits draw from NumPy's
        # global generator): a second cold run that differs from the first on the same steps
        # shows those steps differ by themselves, not by the executor.
        again, _ = run_case(slipway, corpus, case, pyenvs, {"SLIPWAY_WARM_PYTHON": "0"})
        for n in differ:
            if again.get(n) == cold.get(n):
                eq(warm.get(n), cold.get(n), f"task {n}: warm (the second) and cold (expected)")
        print(f"note: {case.file}: {', '.join(differ)} differ from run to run, warm or cold",
              flush=True)
    return servers


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    slipway, corpus = os.path.abspath(args[0]), args[1]
    every = "--all" in args
    only = args[args.index("--only") + 1] if "--only" in args else None
    cases = [c for c in CASES if (every or c.quick) and (not only or only in c.file)]
    if "--list" in args:
        for c in cases:
            print(("quick " if c.quick else "full  ") + c.file)
        return 0
    pyenvs = os.environ.get("SLIPWAY_PYENVS") or os.path.join(tempfile.gettempdir(),
                                                              f"slipway-pyenvs-{os.getuid()}")
    both = "--warm-and-cold" in args
    failed = skipped = warm_cases = 0
    for c in cases:
        missing = [cmd for cmd in c.needs if not shutil.which(cmd)]
        if missing:
            skipped += 1
            print(f"skip: {c.file}: its steps call {', '.join(missing)}, not on this machine", flush=True)
            continue
        t0 = time.time()
        try:
            if both:
                warm_cases += run_warm_and_cold(slipway, corpus, c, pyenvs) > 0
            else:
                run_case(slipway, corpus, c, pyenvs)
            print(f"ok: {c.file} ({time.time() - t0:.1f} s)", flush=True)
        except (AssertionError, subprocess.TimeoutExpired, OSError) as e:
            failed += 1
            print(f"FAIL: {c.file}: {e}", flush=True)
    print(f"{len(cases) - failed - skipped} of {len(cases)} corpus pipelines ran as their sources say"
          + (f"; {skipped} skipped for a missing command" if skipped else "")
          + (f"; warm and cold alike, {warm_cases} with steps forked by a warm executor"
             if both else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
