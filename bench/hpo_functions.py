"""The test functions of bench/hpo.sh, as bench/hpo_bench.cc defines them, for the Python peers:
each a search space (doubles, integers, categoricals), the function, its minimum and the sd of
the Gaussian noise on each observation. With noise the regret is the true value at the best
observed point. Ackley is searched on [-15, 30]^d, so its minimum at 0 is not the centre of the
space, where Ax puts its first trial."""
import math
import random

ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def ackley(x):
    n = len(x)
    return (-20 * math.exp(-0.2 * math.sqrt(sum(v * v for v in x) / n))
            - math.exp(sum(math.cos(2 * math.pi * v) for v in x) / n) + 20 + math.e)


CHOICES = ["a", "b", "c", "d"]
PENALTY = {"a": 0.4, "b": 0.0, "c": 0.2, "d": 0.6}


def mixed(x):
    return (x[0] - 0.3) ** 2 + (x[1] - 0.7) ** 2 + 0.05 * (x[2] - 6) ** 2 + PENALTY[x[3]]


def doubles(bounds):
    return [("x%d" % i, "double", lo, hi) for i, (lo, hi) in enumerate(bounds)]


# name -> (space [(name, kind, low, high) or (name, "categorical", choices)], f, minimum, noise sd)
FUNCTIONS = {
    "branin": (doubles([(-5.0, 10.0), (0.0, 15.0)]), branin, 0.397887357729738, 0.0),
    "hartmann6": (doubles([(0.0, 1.0)] * 6), hartmann6, -3.32236801141551, 0.0),
    "rosenbrock4": (doubles([(-5.0, 10.0)] * 4), rosenbrock, 0.0, 0.0),
    "ackley5": (doubles([(-15.0, 30.0)] * 5), ackley, 0.0, 0.0),
    "ackley10": (doubles([(-15.0, 30.0)] * 10), ackley, 0.0, 0.0),
    "hartmann6-noisy": (doubles([(0.0, 1.0)] * 6), hartmann6, -3.32236801141551, 0.1),
    "mixed": ([("x0", "double", 0.0, 1.0), ("x1", "double", 0.0, 1.0), ("n", "int", 0, 10),
               ("c", "categorical", CHOICES)], mixed, 0.0, 0.0),
}
MARKS = [20, 50, 100]


class Tracker:
    """Observations of one run: the noisy value a sampler sees, and the regret at the marks."""

    def __init__(self, f, minimum, noise, seed):
        self.f, self.minimum, self.noise = f, minimum, noise
        self.rng = random.Random(seed * 7919)
        self.best_seen, self.best_true, self.regrets = math.inf, math.inf, {}
        self.count = 0

    def observe(self, x):
        truth = self.f(x)
        y = truth + (self.rng.gauss(0.0, 1.0) * self.noise if self.noise else 0.0)
        if y < self.best_seen:
            self.best_seen, self.best_true = y, truth
        self.count += 1
        if self.count in MARKS:
            self.regrets[self.count] = self.best_true - self.minimum
        return y


def summary(function, sampler, runs, evals):
    """A JSON-able row: mean and sd of the regret over runs at each mark, and each seed's regret at
    50 evaluations (where a few seeds stuck in a local minimum make the mean, they show it)."""
    row = {"function": function, "sampler": sampler, "seeds": len(runs)}
    for m in MARKS:
        values = [r.regrets[m] for r in runs if m in r.regrets]
        if m <= evals and values:
            mean = sum(values) / len(values)
            row["regret_%d" % m] = mean
            row["sd_%d" % m] = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
            if m == 50:
                row["seeds_50"] = [float("%.4g" % v) for v in values]
    return row
