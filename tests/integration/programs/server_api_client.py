"""The server's REST API from a real HTTP client (Python requests): submit, follow, inspect,
cancel, retry; tokens and namespace isolation; recurring runs; bad input.

usage: server_api_client.py BASE_URL TOKENS.json SOURCE_DIR
TOKENS.json holds {"a": token of namespace team-a, "b": team-b, "admin": an admin token}."""
import hashlib
import json
import os
import sys
import time

import requests

base, tokens_file, source = sys.argv[1], sys.argv[2], sys.argv[3]
tokens = json.load(open(tokens_file))
pipelines = os.path.join(source, "tests/integration/pipelines")


def ok(what):
    print("ok:", what, flush=True)


def check(cond, what, detail=""):
    if not cond:
        sys.exit(f"FAIL: {what} {detail}")
    ok(what)


def call(method, path, who="a", **kw):
    headers = {"Authorization": "Bearer " + tokens[who]} if who else {}
    return requests.request(method, base + "/api/v1" + path, headers=headers, timeout=30, **kw)


def submit(who, file, params=None, **extra):
    body = {"pipeline": open(file).read(), "file": file, "params": params or {}}
    body.update(extra)
    r = call("POST", "/runs", who, json=body)
    check(r.status_code == 201, f"POST /runs of {os.path.basename(file)} as {who} is 201", r.text)
    return r.json()["id"]


def wait_state(run, who, states, limit=90):
    deadline = time.time() + limit
    while time.time() < deadline:
        doc = call("GET", "/runs/" + run, who).json()
        if doc["state"] in states:
            return doc
        time.sleep(0.3)
    sys.exit(f"FAIL: run {run} did not reach {states} in {limit}s (it is {doc['state']})")


# ---- authentication ----
check(requests.get(base + "/api/v1/healthz").status_code == 200, "healthz needs no token")
r = call("GET", "/runs", None)
check(r.status_code == 401 and "token" in r.json()["error"], "no token: 401 that says how to get one", r.text)
check(r.headers.get("WWW-Authenticate") == "Bearer", "401 carries WWW-Authenticate: Bearer")
tokens["bogus"] = "slw_00000000_" + "0" * 32
check(call("GET", "/runs", "bogus").status_code == 401, "an unknown token: 401")
check(call("GET", "/whoami", "a").json() == {"namespace": "team-a", "admin": False, "token": tokens["a"].split("_")[1]}, "whoami names the token's namespace")

# ---- a run submitted, followed, inspected ----
iris = os.path.join(source, "configs/pipelines/iris.yaml")
run = submit("a", iris, {"data": os.path.join(source, "data/iris.csv")}, experiment="exp-a")
# Follow the train task's log while it runs, by offsets, until it is complete.
log, offset, deadline = "", 0, time.time() + 120
while time.time() < deadline:
    chunk = call("GET", f"/runs/{run}/tasks/train/logs?offset={offset}").json()
    if chunk["offset"] != offset:
        sys.exit(f"FAIL: a log chunk asked from {offset} starts at {chunk['offset']}")
    log += chunk["data"]
    offset = chunk["next_offset"]
    if chunk["complete"]:
        break
    time.sleep(0.2)
check(chunk["complete"] and len(log) > 0, "following train's log ends with the task, with its output", repr(log[:200]))
doc = wait_state(run, "a", {"SUCCEEDED", "FAILED"})
check(doc["state"] == "SUCCEEDED" and doc["namespace"] == "team-a" and doc["experiment"] == "exp-a", "the run succeeds in team-a, experiment exp-a", doc.get("message"))
whole = call("GET", f"/runs/{run}/tasks/train/logs").json()
check(whole["data"] == log, "following read exactly the whole log")
svg = call("GET", f"/runs/{run}/dag")
check(svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml" and "<svg" in svg.text and "#b7e4c7" in svg.text,
      "GET /dag is Graphviz SVG with succeeded tasks filled green")
check("digraph" in call("GET", f"/runs/{run}/dag?format=dot").text, "GET /dag?format=dot is DOT")
metrics = call("GET", f"/runs/{run}/metrics").json()["metrics"]
acc = [m for m in metrics if m["name"] == "accuracy"]
check(acc and 0.8 < acc[0]["value"] <= 1.0, "metrics include evaluate's accuracy", metrics)
arts = call("GET", f"/runs/{run}/artifacts").json()["artifacts"]
model = [a for a in arts if a["task"] == "train" and a["name"] == "model"][0]
detail = call("GET", f"/artifacts/{model['id']}").json()
check(any(e["direction"] == "output" and e["task"] == "train" for e in detail["lineage"]) and
      any(e["direction"] == "input" for e in detail["lineage"]), "an artifact's lineage names the task that wrote it and one that read it", detail["lineage"])
content = call("GET", f"/artifacts/{model['id']}/content")
check(content.status_code == 200 and hashlib.sha256(content.content).hexdigest() == detail["sha256"] and
      "attachment" in content.headers["Content-Disposition"], "downloading an artifact gives bytes with its recorded sha256")

versions = call("GET", "/models").json()["versions"]
check([(v["name"], v["namespace"], v["run"]) for v in versions] == [("iris", "team-a", run)], "the model the run registered belongs to team-a", versions)

# ---- isolation between namespaces ----
for path in [f"/runs/{run}", f"/runs/{run}/dag", f"/runs/{run}/tasks/train/logs", f"/runs/{run}/metrics", f"/artifacts/{model['id']}",
             f"/artifacts/{model['id']}/content", f"/compare?runs={run},{run}"]:
    r = call("GET", path, "b")
    check(r.status_code == 404, f"team-b cannot read team-a's {path.split('?')[0].replace(run, 'RUN')}", r.text)
for verb in ["cancel", "retry", "resume"]:
    check(call("POST", f"/runs/{run}/{verb}", "b").status_code == 404, f"team-b cannot {verb} team-a's run")
check(run not in [x["id"] for x in call("GET", "/runs", "b").json()["runs"]], "team-b's run list does not show team-a's run")
check(call("GET", "/runs?namespace=team-a", "b").status_code == 404, "team-b cannot list team-a's namespace")
check(call("GET", "/models", "b").json()["versions"] == [] and call("GET", "/models/iris", "b").status_code == 404, "team-b does not see team-a's model")
check(call("POST", "/runs", "b", json={"pipeline": open(iris).read(), "namespace": "team-a"}).status_code == 404, "team-b cannot submit into team-a")
check("exp-a" not in [e["name"] for e in call("GET", "/experiments", "b").json()["experiments"]], "team-b does not see team-a's experiment")
r = call("POST", "/experiments", "b", json={"name": "exp-a"})
check(r.status_code == 409, "team-b cannot take team-a's experiment name", r.text)
check(call("POST", "/experiments", "b", json={"name": "exp-b", "description": "b's"}).status_code == 201, "team-b makes its own experiment")
check(run in [x["id"] for x in call("GET", "/runs", "admin").json()["runs"]], "the admin token sees team-a's run")
check(call("GET", f"/runs/{run}", "admin").status_code == 200, "and reads it")

# ---- cancel and retry over the API ----
slow = submit("b", os.path.join(pipelines, "sleepy.yaml"), {"seconds": 60})
wait_state(slow, "b", {"RUNNING"})
r = call("POST", f"/runs/{slow}/cancel", "b")
check(r.status_code == 202, "POST /cancel is accepted", r.text)
check(wait_state(slow, "b", {"CANCELLED", "FAILED", "SUCCEEDED"}, 30)["state"] == "CANCELLED", "the sleeping run is CANCELLED")
marker = os.path.join(os.environ["WORK"], "marker")
flaky = submit("b", os.path.join(pipelines, "flaky.yaml"), {"marker": marker})
check(wait_state(flaky, "b", {"SUCCEEDED", "FAILED"})["state"] == "FAILED", "the flaky run fails first")
r = call("POST", f"/runs/{flaky}/resume", "b")
check(r.status_code == 409 and "retry" in r.json()["error"], "resume of a failed run is refused, pointing to retry", r.text)
open(marker, "w").close()
check(call("POST", f"/runs/{flaky}/retry", "b").status_code == 202, "POST /retry is accepted")
doc = wait_state(flaky, "b", {"SUCCEEDED"}, 60)
check(doc["tasks"][0]["attempts"] >= 2, "retry ran the failed task again and the run SUCCEEDED")

# ---- paging ----
more = [submit("b", os.path.join(pipelines, "flaky.yaml"), {"marker": marker}) for _ in range(3)]
for m in more:
    wait_state(m, "b", {"SUCCEEDED", "FAILED"})
seen, token = [], None
while True:
    q = "/runs?page_size=2" + (f"&page_token={token}" if token else "")
    page = call("GET", q, "b").json()
    check(len(page["runs"]) <= 2, "a page holds at most page_size runs") if not seen else None
    seen += [x["id"] for x in page["runs"]]
    token = page.get("next_page_token")
    if not token:
        break
check(sorted(seen) == sorted(set(seen)) and set(more + [slow, flaky]) <= set(seen) and len(seen) == 5, "paging by 2 returns each of team-b's 5 runs once", seen)
check(call("GET", "/runs?state=SUCCEEDED", "b").json()["runs"][0]["state"] == "SUCCEEDED", "?state= filters")
check(call("GET", "/runs?page_token=garbage", "b").status_code == 400, "a page token the server did not give is a 400")
check(call("GET", "/runs?page_size=0", "b").status_code == 400, "page_size 0 is a 400")

# ---- bad input ----
for body, what in [("{bad", "malformed JSON"), (json.dumps({"params": {}}), "a body without a pipeline"),
                   (json.dumps({"pipeline": "name: x\ntasks: {a: {component: nope}}\n"}), "a pipeline naming an unknown component"),
                   (json.dumps({"pipeline": open(iris).read(), "params": {"nope": 1}}), "an unknown parameter"),
                   (json.dumps({"pipeline": open(iris).read(), "params": "x"}), "params that are not an object"),
                   (json.dumps({"pipeline": open(iris).read(), "backend": "mainframe"}), "an unknown backend")]:
    r = call("POST", "/runs", "a", data=body)
    check(r.status_code == 400 and r.json()["error"], f"{what}: 400 with a reason", r.text[:300])
check(call("GET", "/runs/no-such-run", "a").status_code == 404, "an unknown run: 404")
check(call("GET", "/nothing", "a").status_code == 404, "an unknown endpoint: 404")
check(call("DELETE", "/runs", "a").status_code == 405, "a wrong method: 405")
check(call("GET", f"/runs/{run}/tasks/train/logs?offset=-1", "a").status_code == 400, "a negative log offset: 400")

# ---- recurring runs ----
r = call("POST", "/schedules", "a", json={"pipeline": open(os.path.join(pipelines, "sleepy.yaml")).read(), "params": {"seconds": 2},
                                          "every": "1s", "max_concurrency": 1, "name": "naps"})
check(r.status_code == 201 and r.json()["next_fire"], "POST /schedules creates an every-1s schedule", r.text)
sched = r.json()["id"]
max_active, deadline = 0, time.time() + 12
while time.time() < deadline:
    runs = call("GET", f"/runs?schedule={sched}", "a").json()["runs"]
    max_active = max(max_active, sum(x["state"] in ("PENDING", "RUNNING") for x in runs))
    time.sleep(0.2)
check(len(runs) >= 2, "the schedule fired runs", len(runs))
check(max_active == 1, "never more than max_concurrency=1 of them active", max_active)
check(len(runs) <= 6, "a 2 s run every 1 s with max_concurrency 1 starts at most one per ~2 s", len(runs))
check(call("POST", f"/schedules/{sched}/disable", "a").json()["enabled"] is False, "disable stops the schedule")
time.sleep(1.5)
n = len(call("GET", f"/runs?schedule={sched}", "a").json()["runs"])
time.sleep(2.5)
check(len(call("GET", f"/runs?schedule={sched}", "a").json()["runs"]) == n, "a disabled schedule fires no more runs")
check(call("GET", f"/schedules/{sched}", "b").status_code == 404, "team-b cannot see team-a's schedule")
r = call("POST", "/schedules", "a", json={"pipeline": open(iris).read(), "cron": "61 * * * *"})
check(r.status_code == 400 and "minute" in r.json()["error"], "a bad cron field is a 400 naming the field", r.text)
check(call("DELETE", f"/schedules/{sched}", "a").json()["deleted"], "DELETE removes the schedule")
print("all API checks passed")
