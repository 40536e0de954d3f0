r"""Independent oracles for batch normalisation: a NumPy forward pass and its finite
differences (the gradient parts' oracles), JAX autodiff of a JAX forward pass, samplers that
include near-constant batches, a simulation of PyTorch's running statistics on one-class and
mixed batches (the class_batches part's oracle, table and bars), and the computation-graph
figure.

Nothing here uses the SymPy side (:mod:`derive.maths.normalisation`): these compute the
same quantities by other means, so agreement checks the derivation.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, seed as hypothesis_seed
from hypothesis import strategies as st

from ..errors import InvalidArgument
from ..model.claim import FAILED, PASSED, REFUTED, SKIPPED, Claim
from ..model.domains import Domain
from ..model.part import Oracle
from .diagrams import draw_computation_graph
from .numeric import scaled_error
from ..errors import MissingLibrary
from .optional import jax_numpy

__all__ = ["BATCH", "FD_REASON", "FD_TOLERANCE", "SMALL_EPS", "BatchDomain", "JaxGradientCheck", "SKIPPED",
           "SmallPositive", "batch_norm", "class_batch_run", "class_means_train_and_test", "draw_graph",
           "gradient_oracle", "gradient_sums", "jax_loss", "loss", "loss_gradient", "normalised",
           "running_statistics", "scaled_central_gradient"]

PYTORCH_MOMENTUM = 0.1


# ----------------------------------------------------------------------------- samplers
@dataclass(frozen=True)
class BatchDomain(Domain):
    """A mini-batch of one feature. A quarter of the draws are near-constant batches
    (spread 1e-5 .. 1e-3 around an O(1) value, so sigma^2 is 1e-10 .. 1e-6 and eps
    dominates it), the rest spread over two orders of magnitude like any real vector."""
    description: str = "real; a quarter of the samples are near-constant batches"

    def sample(self, rng, shape):
        if rng.uniform() < 0.25:
            return rng.normal() + 10 ** rng.uniform(-5, -3) * rng.normal(size=shape)
        return rng.normal(size=shape) * 10 ** rng.uniform(-1, 0.5)


@dataclass(frozen=True)
class SmallPositive(Domain):
    """A positive eps, log-uniform in 1e-5 .. 1: the usual 1e-5 and values where eps and
    the batch variance are of the same size."""
    description: str = "positive (sampled log-uniform between $10^{-5}$ and 1)"
    assumptions: tuple = (("positive", True),)

    def sample(self, rng, shape):
        return 10 ** rng.uniform(-5, 0, size=shape)


BATCH = BatchDomain()
SMALL_EPS = SmallPositive()


# ----------------------------------------------------------------------------- the forward
def _check(x, eps) -> np.ndarray:
    x = np.asarray(x, dtype=float).reshape(-1)
    if x.size < 2:
        raise InvalidArgument(f"batch normalisation needs a batch of m >= 2 values, got m = {x.size}")
    if not eps >= 0:
        raise InvalidArgument(f"eps = {eps} is not allowed: batch normalisation needs eps >= 0")
    return x


def normalised(x, eps) -> np.ndarray:
    """xhat = (x - mean) / sqrt(biased variance + eps), in float64."""
    x = _check(x, eps)
    centred = x - x.mean()
    return centred / np.sqrt(np.mean(centred ** 2) + eps)


def batch_norm(x, gamma, beta, eps) -> np.ndarray:
    return gamma * normalised(x, eps) + beta


def scaled_central_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, scale: float) -> np.ndarray:
    """Fourth-order central differences with h = eps^(1/5) * scale for every coordinate.

    Batch normalisation varies on the scale of the batch's spread sqrt(sigma^2 + eps), not
    of |x|: on a near-constant batch (spread 1e-3) a step proportional to max(1, |x|) would
    step over the whole curvature. With h proportional to the spread, the five-point
    stencil's truncation (h^4 f^(5) / 30) and round-off (eps f / h) both stay near
    eps^(4/5) ~ 3e-13 relative to the gradient, so sums over 64 coordinates stay far below
    a 1e-6 tolerance.
    """
    x = np.asarray(x, dtype=float)
    h = np.finfo(float).eps ** (1 / 5) * scale
    out = np.empty_like(x)
    for j in range(x.size):
        shifted = []
        for k in (2, 1, -1, -2):
            u = x.copy()
            u[j] += k * h
            shifted.append(f(u))
        out[j] = (-shifted[0] + 8 * shifted[1] - 8 * shifted[2] + shifted[3]) / (12 * h)
    return out


# ----------------------------------------------------------------------------- the gradient oracles
# The parts' loss l = sum_i g_i y_i, whose upstream gradients are exactly g.
def loss(d: dict, **change) -> float:
    d = {**d, **change}
    return float(np.sum(d["g"] * batch_norm(d["x"], d["gamma"], d["beta"], d["eps"])))


def spread(d: dict) -> float:
    return float(np.sqrt(np.var(d["x"]) + d["eps"]))


def loss_gradient(d: dict, wrt: str):
    """dl/d``wrt`` by five-point central differences: in the batch ``x`` on the scale of its
    spread, in the scalar ``gamma`` or ``beta`` on the scale max(1, |value|)."""
    if wrt == "x":
        return scaled_central_gradient(lambda u: loss(d, x=u), d["x"], spread(d))
    return scaled_central_gradient(lambda u: loss(d, **{wrt: u[0]}), np.array([d[wrt]]), max(1.0, abs(d[wrt])))[0]


def gradient_sums(d: dict) -> np.ndarray:
    """sum_i dl/dx_i and sum_i xhat_i dl/dx_i, from the finite-difference gradient."""
    gradient = loss_gradient(d, "x")
    return np.array([np.sum(gradient), np.sum(d["xhat"] * gradient)])


FD_TOLERANCE = 1e-6
FD_REASON = (r"five-point central differences with $h = \varepsilon^{1/5} s$, $s = \sqrt{\sigma^2 + \epsilon}$ "
             r"the scale on which the forward pass varies: truncation and round-off both stay near "
             r"$\varepsilon^{4/5} \approx 3 \times 10^{-13}$ relative to the gradient, also on near-constant "
             r"batches and in sums over the batch; $10^{-6}$ leaves margin, while a missing term errs by $O(1)$")


def gradient_oracle(wrt: str, method: str) -> Oracle:
    """The oracle of a gradient part: :func:`loss_gradient` in ``wrt`` (``method`` says which)."""
    return Oracle(lambda d: loss_gradient(d, wrt), f"central finite differences of a NumPy batch-norm forward ({method})",
                  FD_TOLERANCE, FD_REASON)


# ----------------------------------------------------------------------------- the computation graph
# Planar layout of the graph: the triangle x, sigma^2, xhat with mu inside it. The edge labels
# are display-style fractions at 11 pt (text-style ones shrink numerator and denominator to 70%):
# printed at 0.8 of an A4 text width the 6 in figure scales by 0.87, so they stay above 9 pt.
GRAPH_SIZE = (6.0, 4.2)   # inches; taller than the default 6 x 3.4 to give the fractions room
GRAPH_NODES = {"x": (0.0, 0.0, r"$x_i$"), "mu": (3.0, 1.25, r"$\mu$"), "var": (3.0, 3.2, r"$\sigma^2$"),
               "xhat": (6.0, 0.0, r"$\hat x_i$"), "y": (7.5, 0.0, r"$y_i$"), "l": (8.8, 0.0, r"$l$"),
               "gamma": (7.5, 1.6, r"$\gamma, \beta$")}
GRAPH_EDGES = [("x", "mu", r"$\dfrac{1}{m}$"), ("x", "var", r"$\dfrac{2(x_i - \mu)}{m}$"),
               ("mu", "var", r"$-\dfrac{2}{m}\sum_k (x_k - \mu)$"),
               ("x", "xhat", r"$\dfrac{1}{\sqrt{\sigma^2 + \epsilon}}$"),
               ("mu", "xhat", r"$-\dfrac{1}{\sqrt{\sigma^2 + \epsilon}}$"),
               ("var", "xhat", r"$-\dfrac{x_i - \mu}{2(\sigma^2 + \epsilon)^{3/2}}$"),
               ("xhat", "y", r"$\gamma$"), ("gamma", "y", ""), ("y", "l", r"$g_i$")]


def draw_graph(ax) -> None:
    """Batch normalisation's computation graph; each edge carries the local derivative the
    backward pass multiplies along every path from l back to x_i."""
    draw_computation_graph(ax, GRAPH_NODES, GRAPH_EDGES, size=GRAPH_SIZE, xlim=(-0.5, 9.3), ylim=(-0.5, 3.6),
                           label_points=11, side=("gamma",))


# ----------------------------------------------------------------------------- JAX oracle
def jax_loss(jnp, u, d):
    """The same loss with the batch ``u``, written in jax.numpy for autodiff."""
    centred = u - jnp.mean(u)
    return jnp.sum(d["g"] * (d["gamma"] * centred / jnp.sqrt(jnp.mean(centred ** 2) + d["eps"]) + d["beta"]))



def _jax():
    try:
        return jax_numpy()
    except MissingLibrary:
        return None


@dataclass(frozen=True)
class JaxGradientCheck:
    """The part's closed form against JAX autodiff of a JAX forward pass, in float64.

    ``loss(jnp, x, values)`` is the scalar loss written with jax.numpy; ``wrt`` names the
    variable differentiated; ``sizes`` are the values tried for the part's dimension ``dim``.
    Without JAX the claim is "skipped", never passed.
    """
    statement: str
    loss: Callable
    wrt: str
    sizes: Sequence[int]
    tolerance: float
    tolerance_reason: str
    cases: int = 15
    dim: str = "m"

    def run(self, part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        found = _jax()
        if found is None:
            return Claim(part.id, "framework oracle", self.statement, SKIPPED, "JAX autodiff",
                         detail="skipped: JAX not installed")
        jax, jnp = found
        from .simulation import at_values  # late: simulation imports the claims machinery
        stats = {"cases": 0, "worst": 0.0, "failing": None}
        # float64: jax_numpy() switches it on for the process (JAX defaults to float32, error ~ 1e-7).
        # jit: one compilation per batch size, instead of tracing every primitive per call.
        grad = jax.jit(jax.grad(lambda u, vals: self.loss(jnp, u, vals)))

        @hypothesis_seed(seed)
        @settings(max_examples=cases or self.cases, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate],
                  verbosity=Verbosity.quiet)
        @given(n=st.sampled_from(list(self.sizes)), value_seed=st.integers(0, 2**32 - 1))
        def holds(n, value_seed):
            sizes = {self.dim: n}
            values = part.sample(np.random.default_rng(value_seed), sizes)
            # Numbers first, then the closed form's arithmetic: at m = 256 lambdifying the
            # symbolic closed form would take minutes, this takes milliseconds.
            claimed = np.array(at_values(part, part.result, sizes, values), dtype=float).reshape(-1)
            wrt = jnp.asarray(values[self.wrt], dtype=jnp.float64)
            reference = np.asarray(grad(wrt, {k: jnp.asarray(v, dtype=jnp.float64)
                                              for k, v in values.items()}))
            error = scaled_error(claimed, reference.reshape(np.shape(claimed)))
            stats["cases"] += 1
            stats["worst"] = max(stats["worst"], error)
            if error > self.tolerance:
                stats["failing"] = {"sizes": sizes, "error": error,
                                    "values": {k: np.round(np.asarray(v), 6).tolist() for k, v in values.items()},
                                    "closed form": np.round(claimed, 6).tolist(),
                                    "JAX": np.round(reference, 6).tolist()}
                raise AssertionError(f"{part.id}: error {error:.3g} against JAX")

        try:
            holds()
            outcome = PASSED
        except AssertionError:
            outcome = REFUTED if stats["failing"] else FAILED
        except Exception as exc:  # the check itself could not run: failed, with the reason
            outcome, stats["failing"] = FAILED, {"exception": f"{type(exc).__name__}: {exc}"}
        return Claim(part.id, "framework oracle", self.statement, outcome,
                     f"``jax.grad`` of a ``jax.numpy`` forward pass (JAX {jax.__version__}, float64)",
                     ({self.dim: tuple(self.sizes)},), cases=stats["cases"], worst_error=stats["worst"],
                     tolerance=self.tolerance, counterexample=stats["failing"],
                     seconds=time.perf_counter() - started, detail=self.tolerance_reason)


# ----------------------------------------------------------------------------- running statistics
def running_statistics(batches: np.ndarray, momentum: float = PYTORCH_MOMENTUM,
                       start: tuple[float, float] = (0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's BatchNorm running estimates after each batch (rows of ``batches``).

    r_mean <- (1 - momentum) r_mean + momentum * batch mean,
    r_var  <- (1 - momentum) r_var  + momentum * unbiased batch variance,
    starting from PyTorch's (0, 1). Returns both sequences, one value per batch.
    """
    batches = np.asarray(batches, dtype=float)
    if batches.ndim != 2 or batches.shape[1] < 2:
        raise InvalidArgument(f"batches must be a (steps, m) array with m >= 2, got shape {batches.shape}")
    if not 0 < momentum <= 1:
        raise InvalidArgument(f"momentum = {momentum} must satisfy 0 < momentum <= 1")
    from scipy.signal import lfilter
    means, variances = batches.mean(axis=1), batches.var(axis=1, ddof=1)
    # The update is a first-order linear filter: y_t = momentum u_t + (1 - momentum) y_{t-1}.
    def ema(u, first):
        return lfilter([momentum], [1.0, momentum - 1.0], u, zi=[(1 - momentum) * first])[0]
    r_mean, r_var = ema(means, start[0]), ema(variances, start[1])
    return r_mean, r_var


def class_batch_run(rng: np.random.Generator, class_means: Sequence[float], within_std: float,
                    m: int, steps: int, one_class: bool) -> dict:
    """Simulate training batches of one feature drawn from classes with different means.

    ``one_class``: every mini-batch holds m samples of one class, the classes taking turns
    in shuffled order (equal numbers of batches per class); otherwise each sample's class
    is drawn uniformly. Returns the batches, their class labels, and the running mean and
    variance after every batch.
    """
    class_means = np.asarray(class_means, dtype=float)
    k = class_means.size
    if k < 2:
        raise InvalidArgument(f"need two or more classes, got {k}")
    if m < 2 or steps < k:
        raise InvalidArgument(f"need m >= 2 and steps >= {k} (one batch per class), got m = {m}, steps = {steps}")
    if one_class:
        labels_per_batch = rng.permutation(np.resize(np.arange(k), steps))
        labels = np.repeat(labels_per_batch[:, None], m, axis=1)
    else:
        labels = rng.integers(0, k, size=(steps, m))
    batches = class_means[labels] + within_std * rng.standard_normal((steps, m))
    r_mean, r_var = running_statistics(batches)
    return {"batches": batches, "labels": labels, "running_mean": r_mean, "running_var": r_var}


def class_means_train_and_test(run: dict, eps: float, burn_in: int) -> tuple[np.ndarray, np.ndarray]:
    """Each class's mean normalised value in training (every batch normalised by its own
    statistics) and at test time (by the running statistics averaged after ``burn_in``)."""
    batches, labels = run["batches"], run["labels"]
    centred = batches - batches.mean(axis=1, keepdims=True)
    train_values = centred / np.sqrt(np.mean(centred ** 2, axis=1, keepdims=True) + eps)
    mean = run["running_mean"][burn_in:].mean()
    var = run["running_var"][burn_in:].mean()
    test_values = (batches - mean) / np.sqrt(var + eps)
    k = int(labels.max()) + 1
    train = np.array([train_values[labels == c].mean() for c in range(k)])
    test = np.array([test_values[labels == c].mean() for c in range(k)])
    return train, test


# ----------------------------------------------------------------------------- one-class batches, simulated
def class_batches_oracle(d, steps=20000, burn_in=200):
    """Class a's mean normalised value in training and at test on one-class batches, and at
    test on mixed batches, simulated at the sampled means, variance, eps and batch size."""
    seed = [int(abs(d[k]) * 1e6) % 2**32 for k in ("mu_a", "mu_b", "s2", "eps")] + [int(d["m"])]
    rng = np.random.default_rng(seed)
    out = []
    for one_class in (True, False):
        run = class_batch_run(rng, [d["mu_a"], d["mu_b"]], np.sqrt(d["s2"]), int(d["m"]), steps, one_class)
        train, test = class_means_train_and_test(run, d["eps"], burn_in)
        out += [train[0], test[0]] if one_class else [test[0]]
    return np.array(out)


def class_runs(d: dict) -> dict:
    """One-class and mixed training runs of 4000 batches at the demo's means, within-class
    variance s2, eps and batch size m: each class's mean normalised value in training and test."""
    rng = np.random.default_rng(0)
    out = {}
    for one_class in (True, False):
        run = class_batch_run(rng, [d["mu_a"], d["mu_b"]], np.sqrt(d["s2"]), d["m"], 4000, one_class)
        out["one-class" if one_class else "mixed"] = class_means_train_and_test(run, d["eps"], 200)
    return out


def _signed(value):
    return f"{value + 0.0:+.3f}" if abs(value) >= 5e-4 else "0.000"   # no "-0.000"


def class_table(d: dict) -> list[tuple[str, str]]:
    """The demo's class means as sheet rows, training and test per regime."""
    rows = []
    for regime, (train, test) in class_runs(d).items():
        rows.append((f"{regime} batches: mean of $\\hat x$ in class $a$ and in class $b$, in training (batch statistics)",
                     f"{_signed(train[0])} / {_signed(train[1])}"))
        rows.append((f"{regime} batches: mean of $\\hat x$ in class $a$ and in class $b$, at test (running statistics)",
                     f"{_signed(test[0])} / {_signed(test[1])}"))
    return rows


def draw_class_means(ax, d: dict) -> None:
    """The demo's class means as bars, training against test, per regime and class."""
    runs = class_runs(d)
    labels, train, test = [], [], []
    for regime, (tr, te) in runs.items():
        for c, name in enumerate("ab"):
            labels.append(f"{regime}\nclass {name}")
            train.append(tr[c])
            test.append(te[c])
    pos = np.arange(len(labels))
    ax.bar(pos - 0.2, train, 0.4, label="training (batch statistics)", color="#3b5b92")
    flat = np.abs(train) < 0.05   # a bar of height 0 would not show: mark it
    ax.plot((pos - 0.2)[flat], np.asarray(train)[flat], "o", color="#3b5b92", ms=4)
    ax.bar(pos + 0.2, test, 0.4, label="test (running statistics)", color="#d08c2c")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xticks(pos, labels)
    ax.set_ylabel(r"class mean of $\hat x$")
    ax.legend(loc="lower right")
