"""The dashboard in headless Chromium, driven by Selenium: sign in with a token, find a finished
iris run, open its DAG, read a task's log, see its artifacts' lineage, compare two runs, and open
the sweep, schedules and topology pages. A screenshot of each step goes to SHOTS_DIR.

usage: dashboard_browser.py BASE_URL TOKEN SHOTS_DIR SLEEPY_RUN_ID PIPELINE_ID
SLEEPY_RUN_ID is a run of one task that is still running when the test starts: its page must
turn from running to succeeded by itself. PIPELINE_ID is a pipeline uploaded through KFP's API."""
import json
import os
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

base, token, shots, sleepy, pipeline_id = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"]:
    options.add_argument(arg)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
# A running run's page redraws its DAG every 2 s, so an element found a moment ago may be gone
# when it is read: a wait treats that as "not yet" and looks again.
RACY = [StaleElementReferenceException]
wait = WebDriverWait(driver, 30, ignored_exceptions=RACY)
step = 0


def ok(what):
    global step
    step += 1
    name = "".join(c if c.isalnum() else "-" for c in what.split(":")[0])
    path = os.path.join(shots, f"{step:02d}-{name}.png")
    assert driver.save_screenshot(path), f"the screenshot {path} was not written"
    print(f"ok: {what} ({os.path.basename(path)})", flush=True)


def css(selector):
    return wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)))


try:
    driver.get(base + "/")
    css("#token-input")
    ok("login page: an unauthenticated visit is asked for a token")
    driver.find_element(By.ID, "token-input").send_keys(token)
    driver.find_element(By.ID, "login-button").click()
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr[data-run]") if len(d.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr[data-run]")) >= 2 else False)
    assert "namespace default" in driver.find_element(By.ID, "whoami").text
    ok("run list: signed in, the iris runs are listed")

    # Filters: only succeeded iris runs.
    driver.find_element(By.CSS_SELECTOR, "#filter-state option[value=SUCCEEDED]").click()
    driver.find_element(By.ID, "filter-pipeline").send_keys("iris")
    driver.find_element(By.ID, "filter-apply").click()
    wait.until(lambda d: "pipeline=iris" in d.current_url)
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr[data-run]"))
    states = [r.find_elements(By.TAG_NAME, "td")[3].text for r in rows]
    assert states and all(s == "SUCCEEDED" for s in states), states
    run_ids = [r.get_attribute("data-run") for r in rows]
    ok("run list filtered: state SUCCEEDED, pipeline iris")

    # One run: its DAG, coloured, and a task's log.
    rows[0].find_element(By.CSS_SELECTOR, "a").click()
    css("#dag svg g.node")
    nodes = driver.find_elements(By.CSS_SELECTOR, "#dag svg g.node")
    titles = {n.find_element(By.TAG_NAME, "title").get_attribute("textContent") for n in nodes}
    assert {"load", "train", "evaluate"} <= titles, titles
    fills = {p.get_attribute("fill") for p in driver.find_elements(By.CSS_SELECTOR, "#dag svg g.node path, #dag svg g.node polygon")}
    assert "#b7e4c7" in fills, fills
    assert driver.find_element(By.ID, "run-state").text == "SUCCEEDED"
    ok("run page: the DAG laid out by Graphviz, tasks green for SUCCEEDED")
    driver.find_element(By.CSS_SELECTOR, "#tasks-table tr[data-task=train] a").click()
    wait.until(lambda d: len(d.find_element(By.ID, "log-output").text) > 20 and "Click a task" not in d.find_element(By.ID, "log-output").text)
    ok("task log: train's output shown")
    # Clicking a node of the DAG opens that task's log too.
    [n for n in driver.find_elements(By.CSS_SELECTOR, "#dag svg g.node") if n.find_element(By.TAG_NAME, "title").get_attribute("textContent") == "evaluate"][0].click()
    wait.until(lambda d: "evaluate" in d.find_element(By.ID, "log-task").text)
    # Logged metrics: curves over steps (the trainer logs its loss every few steps), one series
    # per task.metric; values without steps (a Metrics artifact's) in the table beside.
    # A chart per metric (TensorBoard's way), one line each on a run's page.
    charts_in = """return [...document.querySelectorAll(arguments[0] + ' canvas[data-metric]')].map(c => {
        const chart = Chart.getChart(c);
        return chart && [c.dataset.metric, chart.config.type, chart.data.datasets.map(d => [d.label, d.data.length])];
      }).filter(Boolean);"""
    charts = wait.until(lambda d: d.execute_script(charts_in, "#metric-charts"))
    by_metric = {name: (kind, lines) for name, kind, lines in charts}
    assert by_metric["train.train_loss"][0] == "line", by_metric
    assert by_metric["train.train_loss"][1][0][1] >= 5, by_metric
    assert "train.lr" in by_metric, "the learning rate has its own chart, not the loss's axis"
    assert "accuracy" in driver.find_element(By.ID, "final-metrics").text
    link = css("#artifacts-table tr[data-artifact] .lineage-link")
    link.click()
    wait.until(lambda d: "written by" in d.find_element(By.ID, "lineage").text)
    ok("artifacts: lineage of an artifact; metrics as curves over steps")

    # The links kfp.Client prints: HOST/#/runs/details/ID and HOST/#/experiments/details/ID.
    driver.get(base + "/#/runs/details/" + run_ids[0])
    css("#dag svg g.node")
    assert driver.find_element(By.ID, "run-title").text == run_ids[0]
    ok("kfp run link: kfp.Client's #/runs/details/ID opens the run's page")
    request = urllib.request.Request(base + "/api/v1/experiments", headers={"Authorization": "Bearer " + token})
    default = [e for e in json.load(urllib.request.urlopen(request))["experiments"] if e["name"] == "Default"][0]
    driver.get(base + "/#/experiments/details/" + default["id"])
    wait.until(lambda d: "experiment=Default" in d.current_url)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr[data-run]")) >= 2)
    ok("kfp experiment link: #/experiments/details/ID lists the experiment's runs")
    driver.get(base + "/#/pipelines/details/" + pipeline_id)
    versions = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#pipeline-versions tbody tr code"))
    assert len(versions) == 1 and "iris-upload" in driver.find_element(By.TAG_NAME, "h4").text
    ok("kfp pipeline link: #/pipelines/details/ID shows the pipeline's versions")

    # A running run's page follows it live: the DAG's node turns from running (blue) to succeeded
    # (green) and the state badge with it, without a reload.
    driver.get(base + "/#/runs/" + sleepy)
    node_fill = lambda d: {p.get_attribute("fill") for p in d.find_elements(By.CSS_SELECTOR, "#dag svg g.node path, #dag svg g.node polygon")}
    wait.until(lambda d: "#a9d6f5" in node_fill(d))
    assert driver.find_element(By.ID, "run-state").text == "RUNNING"
    ok("live run: the DAG shows the task RUNNING")
    driver.find_element(By.CSS_SELECTOR, "#tasks-table tr[data-task=nap] a").click()
    WebDriverWait(driver, 60, ignored_exceptions=RACY).until(lambda d: "#b7e4c7" in node_fill(d) and d.find_element(By.ID, "run-state").text == "SUCCEEDED")
    wait.until(lambda d: "awake" in d.find_element(By.ID, "log-output").text)
    ok("live run: without a reload, the DAG turned SUCCEEDED and the followed log shows the end")

    # Compare two runs.
    driver.get(base + "/#/runs?pipeline=iris")
    boxes = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".compare-box") if len(d.find_elements(By.CSS_SELECTOR, ".compare-box")) >= 2 else False)
    boxes[0].click()
    boxes[1].click()
    driver.find_element(By.ID, "compare-button").click()
    table = css("#compare-table")
    heads = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")][1:]
    assert set(heads) == set(run_ids[:2]) or len(heads) == 2, heads
    body = table.text
    assert "param" in body and "accuracy" in body, body
    charts = wait.until(lambda d: d.execute_script(charts_in, "#compare-charts"))
    loss = {name: lines for name, kind, lines in charts}["train.train_loss"]
    assert {label for label, n in loss if n >= 5} == set(heads), (loss, heads)
    ok("compare: two runs' parameters and metrics side by side, their loss curves on one chart")

    driver.get(base + "/#/sweeps")
    link = css("#sweeps-table tbody a")
    link.click()
    css("#trials-table tbody tr")
    css("#parallel-chart")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#trials-table tbody tr")) >= 3
    ok("sweep: trials table, best-so-far and parallel coordinates")

    driver.get(base + "/#/schedules")
    css("#schedules-table tbody tr")
    assert "nightly" in driver.find_element(By.ID, "schedules-table").text
    ok("recurring runs: the schedule is listed with its next fire time")

    driver.get(base + "/#/topology")
    css("#topology svg")
    ok("topology: the server machine's picture")

    driver.get(base + "/#/models")
    css("#models-table tbody tr")
    assert "production" in driver.find_element(By.ID, "models-table").text
    ok("models: the registered iris model in production")
    # Script errors fail the test; the expected 401 before signing in (and a missing favicon) do not.
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and e.get("source") != "network"]
    assert not errors, errors
    print("all dashboard checks passed")
except Exception:
    driver.save_screenshot(os.path.join(shots, "failure.png"))
    print("FAIL at", driver.current_url, file=sys.stderr)
    raise
finally:
    driver.quit()
