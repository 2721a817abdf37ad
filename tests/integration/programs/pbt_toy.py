"""A trainer in miniature for population-based training sweeps: a weight w that 5 steps of
gradient descent move toward 1 at a rate set by --lr (too small crawls, too large overshoots).
Its state lives in --checkpoint DIR/state.json, which a trial continues when its parent left one,
and records the trials it passed through. Prints acc=1-|w-1| after each step."""
import argparse
import json
import os

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--checkpoint", required=True)
p.add_argument("--name", default="")
a = p.parse_args()

path = os.path.join(a.checkpoint, "state.json")
state = {"w": 0.0, "steps": 0, "lineage": []}
if os.path.exists(path):
    with open(path) as f:
        state = json.load(f)
    print("resumed at step %d from %s" % (state["steps"], ",".join(state["lineage"])))
for _ in range(5):
    # d/dw of (w - 1)^2 / 2 is w - 1; an lr above 2 diverges, near 1 converges in a step.
    state["w"] -= a.lr * (state["w"] - 1.0)
    state["steps"] += 1
    print("acc=%.6f" % (1.0 - abs(state["w"] - 1.0)), flush=True)
state["lineage"].append(a.name)
os.makedirs(a.checkpoint, exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump(state, f)
os.replace(path + ".tmp", path)
