"""The peers' side of bench/hpo.sh: Optuna's samplers (TPE, multivariate TPE, random) and
scikit-optimize's gp_minimize with Katib's bayesianoptimization defaults (n_initial_points=10,
acq_func=gp_hedge) on the same functions, bounds and evaluation counts as hpo_bench. Prints one
JSON line per (function, sampler) with the mean simple regret at 20, 50 and 100 evaluations, and
Optuna's suggestion latency at 100 and 1,000 trials with 4 parameters."""
import json
import math
import sys
import time
import warnings

import numpy as np
import optuna
import skopt

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore")


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


# Float bounds: scikit-optimize reads a pair of ints as an integer dimension.
FUNCTIONS = {
    "branin": (branin, [(-5.0, 10.0), (0.0, 15.0)], 0.397887357729738),
    "hartmann6": (hartmann6, [(0.0, 1.0)] * 6, -3.32236801141551),
    "rosenbrock4": (rosenbrock, [(-5.0, 10.0)] * 4, 0.0),
}
MARKS = [20, 50, 100]


def optuna_best_curve(sampler, f, bounds, evals):
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: f([t.suggest_float("x%d" % i, lo, hi) for i, (lo, hi) in enumerate(bounds)]), n_trials=evals)
    return np.minimum.accumulate([t.value for t in study.trials])


def skopt_best_curve(seed, f, bounds, evals):
    res = skopt.gp_minimize(f, bounds, n_calls=evals, n_initial_points=10, acq_func="gp_hedge", random_state=seed)
    return np.minimum.accumulate(res.func_vals)


def main():
    seeds, evals = int(sys.argv[1]), int(sys.argv[2])
    skopt_seeds = int(sys.argv[3]) if len(sys.argv) > 3 else seeds
    for name, (f, bounds, fmin) in FUNCTIONS.items():
        samplers = {
            "optuna tpe": lambda s: optuna.samplers.TPESampler(seed=s),
            "optuna multivariate-tpe": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=True),
            "optuna random": lambda s: optuna.samplers.RandomSampler(seed=s),
        }
        for label, make in samplers.items():
            curves = [optuna_best_curve(make(s), f, bounds, evals) for s in range(1, seeds + 1)]
            print(json.dumps({"function": name, "sampler": label, "seeds": seeds,
                              **{"regret_%d" % m: float(np.mean([c[m - 1] - fmin for c in curves])) for m in MARKS if m <= evals}}), flush=True)
        curves = [skopt_best_curve(s, f, bounds, evals) for s in range(1, skopt_seeds + 1)]
        print(json.dumps({"function": name, "sampler": "skopt gp_minimize", "seeds": skopt_seeds,
                          **{"regret_%d" % m: float(np.mean([c[m - 1] - fmin for c in curves])) for m in MARKS if m <= evals}}), flush=True)
    # Optuna's suggestion latency with 100 and 1,000 finished trials over 4 parameters.
    for label, sampler in (("optuna tpe", optuna.samplers.TPESampler(seed=1)), ("optuna multivariate-tpe", optuna.samplers.TPESampler(seed=1, multivariate=True))):
        for trials in (100, 1000):
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
