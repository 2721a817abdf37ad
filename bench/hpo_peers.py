"""The peers' side of bench/hpo.sh: Optuna's samplers (TPE univariate and multivariate, CMA-ES,
random) and scikit-optimize's gp_minimize with Katib's bayesianoptimization defaults
(n_initial_points=10, acq_func=gp_hedge) on the functions of hpo_functions.py, with the same
evaluation counts as hpo_bench. Prints one JSON line per (function, sampler) with the mean and sd
of the simple regret at 20, 50 and 100 evaluations, and Optuna's suggestion latency at 100, 300
and 1,000 trials with 4 parameters.

    python3 hpo_peers.py SEEDS EVALS [SKOPT_SEEDS] [FUNCTION,...]
"""
import json
import sys
import time
import warnings

import optuna
import skopt

from hpo_functions import FUNCTIONS, Tracker, rosenbrock, summary

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore")


def optuna_run(sampler, space, tracker, evals):
    def objective(t):
        x = []
        for p in space:
            if p[1] == "double":
                x.append(t.suggest_float(p[0], p[2], p[3]))
            elif p[1] == "int":
                x.append(t.suggest_int(p[0], p[2], p[3]))
            else:
                x.append(t.suggest_categorical(p[0], p[2]))
        return tracker.observe(x)
    optuna.create_study(sampler=sampler).optimize(objective, n_trials=evals)
    return tracker


def skopt_run(seed, space, tracker, evals):
    # Float bounds: scikit-optimize reads a pair of ints as an integer dimension.
    dims = [skopt.space.Real(p[2], p[3]) if p[1] == "double" else skopt.space.Integer(p[2], p[3])
            if p[1] == "int" else skopt.space.Categorical(p[2]) for p in space]
    skopt.gp_minimize(tracker.observe, dims, n_calls=evals, n_initial_points=10,
                      acq_func="gp_hedge", random_state=seed)
    return tracker


def main():
    seeds, evals = int(sys.argv[1]), int(sys.argv[2])
    skopt_seeds = int(sys.argv[3]) if len(sys.argv) > 3 else seeds
    only = sys.argv[4].split(",") if len(sys.argv) > 4 else list(FUNCTIONS)
    for name in only:
        space, f, fmin, noise = FUNCTIONS[name]
        samplers = {
            # Optuna 5's TPESampler is multivariate by default: the univariate peer says so.
            "optuna tpe": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=False),
            "optuna multivariate-tpe": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=True),
            "optuna cmaes": lambda s: optuna.samplers.CmaEsSampler(seed=s),
            "optuna random": lambda s: optuna.samplers.RandomSampler(seed=s),
        }
        for label, make in samplers.items():
            runs = [optuna_run(make(s), space, Tracker(f, fmin, noise, s), evals) for s in range(1, seeds + 1)]
            print(json.dumps(summary(name, label, runs, evals)), flush=True)
        if skopt_seeds > 0:  # 0: Optuna alone (a run over many seeds)
            runs = [skopt_run(s, space, Tracker(f, fmin, noise, s), evals) for s in range(1, skopt_seeds + 1)]
            print(json.dumps(summary(name, "skopt gp_minimize", runs, evals)), flush=True)
    # Optuna's suggestion latency with 100, 300 and 1,000 finished trials over 4 parameters.
    for label, sampler in (("optuna tpe", optuna.samplers.TPESampler(seed=1, multivariate=False)),
                           ("optuna multivariate-tpe", optuna.samplers.TPESampler(seed=1, multivariate=True))):
        for trials in (100, 300, 1000):
            study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=7))
            study.optimize(lambda t: rosenbrock([t.suggest_float("x%d" % i, -5, 10) for i in range(4)]), n_trials=trials)
            study.sampler = sampler
            times = []
            for _ in range(7):
                t0 = time.perf_counter()
                trial = study.ask()
                x = [trial.suggest_float("x%d" % i, -5, 10) for i in range(4)]
                times.append((time.perf_counter() - t0) * 1e3)
                study.tell(trial, rosenbrock(x))
            print(json.dumps({"sampler": label, "trials": trials, "params": 4, "suggest_ms": sorted(times)[3]}), flush=True)


main()
