"""BoTorch and Ax on the functions of hpo_functions.py, with the defaults their users get:
BoTorch's recipe (a SingleTaskGP on inputs scaled to the unit cube and standardized outcomes,
hyperparameters by marginal likelihood, qLogNoisyExpectedImprovement optimized with 10 restarts
from 512 raw samples, after 10 scrambled Sobol points; doubles only), and Ax's Client with its
default generation strategy (Sobol, then BoTorch's modular model with log noisy expected
improvement; every kind of parameter). Prints one JSON line per (function, peer) as
hpo_peers.py does.

    python3 hpo_peers_bo.py SEEDS EVALS [FUNCTION,...] [FIRST_SEED]

Seeds run from FIRST_SEED (default 1), so a longer series can be added to one already run: Ax
takes a second or more per suggestion here.
"""
import json
import logging
import sys
import warnings

import torch
from ax.api.client import Client
from ax.api.configs import ChoiceParameterConfig, RangeParameterConfig
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms.outcome import Standardize
from botorch.optim import optimize_acqf
from gpytorch.mlls import ExactMarginalLogLikelihood
from torch.quasirandom import SobolEngine

from hpo_functions import FUNCTIONS, Tracker, summary

warnings.filterwarnings("ignore")
logging.disable(logging.INFO)  # Ax logs every trial
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def botorch_run(seed, space, tracker, evals):
    lo = torch.tensor([p[2] for p in space])
    hi = torch.tensor([p[3] for p in space])
    dims = len(space)
    unit = torch.stack([torch.zeros(dims), torch.ones(dims)])
    torch.manual_seed(seed)
    xs = SobolEngine(dims, scramble=True, seed=seed).draw(min(10, evals))
    ys = [tracker.observe((lo + x * (hi - lo)).tolist()) for x in xs]
    while len(ys) < evals:
        y = -torch.tensor(ys).unsqueeze(-1)  # BoTorch maximizes
        model = SingleTaskGP(xs, y, outcome_transform=Standardize(m=1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acq = qLogNoisyExpectedImprovement(model, X_baseline=xs, prune_baseline=True)
        cand, _ = optimize_acqf(acq, bounds=unit, q=1, num_restarts=10, raw_samples=512)
        xs = torch.cat([xs, cand])
        ys.append(tracker.observe((lo + cand[0] * (hi - lo)).tolist()))
    return tracker


def ax_run(seed, space, tracker, evals):
    client = Client(random_seed=seed)
    params = []
    for p in space:
        if p[1] == "categorical":
            params.append(ChoiceParameterConfig(name=p[0], parameter_type="str", values=p[2], is_ordered=False))
        else:
            params.append(RangeParameterConfig(name=p[0], parameter_type="float" if p[1] == "double" else "int",
                                               bounds=(p[2], p[3])))
    client.configure_experiment(parameters=params)
    client.configure_optimization(objective="-f")
    for _ in range(evals):
        for index, values in client.get_next_trials(max_trials=1).items():
            client.complete_trial(trial_index=index,
                                  raw_data={"f": tracker.observe([values[p[0]] for p in space])})
    return tracker


def main():
    seeds, evals = int(sys.argv[1]), int(sys.argv[2])
    only = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else list(FUNCTIONS)
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    seed_range = range(first, first + seeds)
    for name in only:
        space, f, fmin, noise = FUNCTIONS[name]
        if all(p[1] == "double" for p in space):
            runs = [botorch_run(s, space, Tracker(f, fmin, noise, s), evals) for s in seed_range]
            print(json.dumps(summary(name, "botorch qLogNEI", runs, evals)), flush=True)
        runs = [ax_run(s, space, Tracker(f, fmin, noise, s), evals) for s in seed_range]
        print(json.dumps(summary(name, "ax client", runs, evals)), flush=True)


main()
