"""Three independent checks that a ReLU network fit is the best one (derive.maths.piecewise_fit).

1. :class:`Stationary`: the gradient of the exact error over kinks and output weights vanishes
   at the optimum (30-digit arithmetic) and its Hessian is positive definite: a strict local
   minimum of the exact error.
2. :class:`GridLeastSquares`: for every way of facing and every sorted triple of kinks on a
   grid, least squares on Simpson nodes (NumPy, not the SymPy integrals) never beats it.
3. :class:`Training`: gradient-based training (L-BFGS on backprop gradients) of the actual
   network's weights (c, a_k, u_k, b_k) from many seeded random initialisations never beats
   it; each trained network's error is measured by adaptive quadrature split at its kinks.

Also the best fit as the sheet shows it: its tables (:func:`fit_table`, :func:`fit_tables`) and plot
(:func:`draw_fit`); the search behind it, run once (:func:`best_fit`); and the error for every way of
facing the part claims, with its quadrature oracle (:func:`error_for_every_facing`).
"""
from __future__ import annotations

import functools
import itertools
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from ..model.claim import FAILED, PASSED, REFUTED, Claim
from ..maths.worked_example import rounded
from ..model.domains import Domain
from ..model.part import Step
from .tables import worked_table

__all__ = ["FIT_COLUMNS", "GridLeastSquares", "SortedIn", "Stationary", "Training", "best_fit", "draw_fit",
           "error_at_optimum", "error_for_every_facing", "fit_table", "fit_tables", "optimum_box", "quadrature_error",
           "quadrature_for_every_facing"]


def quadrature_error(problem, weights: dict, target=np.sin) -> float:
    """Mean squared error of the network by scipy.integrate.quad, split at its kinks."""
    from scipy.integrate import quad
    lo, hi = float(problem.lo), float(problem.hi)
    u, b = (np.asarray([float(w) for w in weights[k]]) for k in ("u", "b"))
    with np.errstate(divide="ignore", invalid="ignore"):
        kinks = sorted(k for k in -b / u if np.isfinite(k) and lo < k < hi)
    ends = [lo] + kinks + [hi]
    f = lambda x: (problem.network(weights, np.array([x]))[0] - target(x)) ** 2
    return sum(quad(f, a, c, epsabs=1e-15, epsrel=1e-13, limit=200)[0] for a, c in zip(ends, ends[1:])) / (hi - lo)


def _tex_float(x: float) -> str:
    """A float as inline math for a sheet's prose: 1.9e-31 -> $1.9 \\times 10^{-31}$."""
    mantissa, _, exponent = f"{x:.1e}".partition("e")
    return f"${mantissa} \\times 10^{{{int(exponent)}}}$"


def _claim(part, statement, method, started, outcome, tolerance, reason, **kw):
    return Claim(part.id, "optimum", statement, outcome, method, tolerance=tolerance,
                 seconds=time.perf_counter() - started, detail=reason, **kw)


@dataclass(frozen=True)
class Stationary:
    """grad E = 0 and Hessian positive definite at the optimum ``best()`` returns (problem, fit)."""
    best: Callable
    statement: str = "the gradient of the exact error vanishes at the optimum and its Hessian is positive definite"
    method: str = "SymPy gradient and Hessian of the exact error over kinks and output weights, at 30 digits"
    tolerance: float = 1e-20

    def run(self, part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        problem, fit = self.best()
        error = problem.error_by_gram(fit.faces)
        unknowns = list(problem.kinks) + list(problem.theta)
        at = dict(zip(unknowns, list(fit.kinks) + list(fit.theta)))
        gradient = max(abs(float(sp.N(sp.diff(error, u).xreplace(at), 30))) for u in unknowns)
        hessian = np.array(sp.hessian(error, unknowns).xreplace(at).evalf(30), dtype=float)
        smallest = float(np.linalg.eigvalsh((hessian + hessian.T) / 2).min())
        ok = gradient <= self.tolerance and smallest > 0
        reason = (rf"largest $|\partial E / \partial (\kappa, c, \alpha)|$ = {_tex_float(gradient)} after "
                  f"``sympy.nsolve`` at 40 digits; smallest Hessian eigenvalue ${smallest:.3g} > 0$. A point that "
                  r"is not a minimiser has a gradient of the size of the error's variation, many orders above "
                  r"$10^{-20}$")
        return _claim(part, self.statement, self.method, started, PASSED if ok else REFUTED, self.tolerance,
                      reason, cases=1, worst_error=gradient,
                      counterexample=None if ok else {"gradient": gradient, "smallest eigenvalue": smallest})


def _simpson(lo, hi, nodes):
    x = np.linspace(lo, hi, nodes)
    w = np.ones(nodes)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return x, w * (x[1] - x[0]) / 3


@dataclass(frozen=True)
class GridLeastSquares:
    """No sorted kink triple on a grid of ``step``, any faces, beats the optimum by least squares."""
    best: Callable
    step: float = 0.1
    nodes: int = 1201
    tolerance: float = 1e-10

    @property
    def statement(self) -> str:
        return (f"least squares with the kinks on every point of a grid of step {self.step:g} (every way of "
                "facing) does not beat the optimum")

    def run(self, part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        problem, fit = self.best()
        lo, hi = float(problem.lo), float(problem.hi)
        x, w = _simpson(lo, hi, self.nodes)
        g = np.sin(x)
        grid = np.round(np.arange(lo, hi + self.step / 2, self.step), 12)
        triples = np.array(list(itertools.combinations_with_replacement(grid, problem.units)))
        best_error, best_at = np.inf, None
        for faces in problem.all_faces:
            s = np.asarray(faces, dtype=float)
            for chunk in range(0, len(triples), 800):
                kinks = triples[chunk:chunk + 800]
                phi = np.maximum(s[None, :, None] * (x[None, None, :] - kinks[:, :, None]), 0.0)
                basis = np.concatenate([np.ones((len(kinks), 1, x.size)), phi], axis=1)   # (T, n+1, X)
                G = np.einsum("tix,tjx->tij", basis * w, basis)
                r = np.einsum("tix,x->ti", basis * w, g)
                theta = np.einsum("tij,tj->ti", np.linalg.pinv(G, rcond=1e-12, hermitian=True), r)
                errors = (float(w @ g ** 2) - np.einsum("ti,ti->t", r, theta)) / (hi - lo)
                k = int(np.argmin(errors))
                if errors[k] < best_error:
                    best_error, best_at = float(errors[k]), (faces, kinks[k].tolist())
        optimum = float(fit.error)
        margin = optimum - best_error
        faces, kinks_at = (", ".join(f"{k:g}" for k in best_at[n]) for n in (0, 1))
        reason = (f"best on the grid {best_error:.9g} at faces $({faces})$, kinks $({kinks_at})$, against the "
                  f"optimum {optimum:.9g}. Grid kinks sit on even Simpson nodes (step {(hi - lo) / (self.nodes - 1):g}), "
                  r"so each piece is smooth and Simpson's rule errs by $\approx 10^{-13}$; a better network would show a "
                  "margin far above the tolerance")
        return _claim(part, self.statement, f"NumPy least squares on {self.nodes} Simpson nodes, "
                      f"{len(triples) * len(problem.all_faces)} kink choices", started,
                      PASSED if margin <= self.tolerance else REFUTED, self.tolerance, reason,
                      cases=len(triples) * len(problem.all_faces), worst_error=max(margin, 0.0),
                      counterexample=None if margin <= self.tolerance else {"grid best": best_error, "at": best_at,
                                                                           "optimum": optimum})


@dataclass(frozen=True)
class Training:
    """Training the network's weights from ``inits`` seeded random starts never beats the optimum."""
    best: Callable
    inits: int = 48
    nodes: int = 1201
    tolerance: float = 1e-12

    @property
    def statement(self) -> str:
        return (f"gradient-descent training of the network from {self.inits} seeded random initialisations "
                "does not beat the optimum")

    def run(self, part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        problem, fit = self.best()
        try:
            trained = train(problem.units, float(problem.lo), float(problem.hi), self.inits, self.nodes,
                            np.random.default_rng(seed))
            errors = [quadrature_error(problem, weights) for weights in trained]
        except Exception as exc:   # a crash is a failed check, never a pass
            return _claim(part, self.statement, "L-BFGS training", started, FAILED, self.tolerance, f"{type(exc).__name__}: {exc}")
        optimum = float(fit.error)
        best = min(errors)
        close = sum(e <= optimum * (1 + 1e-3) for e in errors)
        margin = optimum - best
        reason = (f"best trained error {best:.9g} against the optimum {optimum:.9g}; {close} of {self.inits} runs "
                  "end within 0.1 % of it. Each trained network's error is measured by adaptive quadrature "
                  r"split at its kinks (error below $10^{-13}$), so only a genuinely better network could beat the "
                  "optimum by more than the tolerance")
        return _claim(part, self.statement, f"L-BFGS (quasi-Newton gradient descent) on the weights $(u, b, a, c)$ "
                      f"with backprop gradients of the MSE on {self.nodes} Simpson nodes; errors by "
                      "``scipy.integrate.quad``", started,
                      PASSED if margin <= self.tolerance else REFUTED, self.tolerance, reason,
                      cases=self.inits, worst_error=max(margin, 0.0),
                      counterexample=None if margin <= self.tolerance else {"trained": best, "optimum": optimum})


def _loss_and_gradient(weights, x, w, g, units):
    """MSE on the nodes of f = c + sum a_k relu(u_k x + b_k) and its gradient by backprop."""
    u, b, a, c = weights[:units], weights[units:2 * units], weights[2 * units:3 * units], weights[3 * units]
    pre = np.outer(u, x) + b[:, None]
    act = np.maximum(pre, 0.0)
    residual = c + a @ act - g
    d = 2 * residual * w                       # dE/df at each node
    through = (pre > 0) * (a[:, None] * d)     # back through each unit's ReLU
    return float(w @ residual ** 2), np.concatenate([(through * x).sum(axis=1), through.sum(axis=1), act @ d, [d.sum()]])


def train(units, lo, hi, inits, nodes, rng) -> list[dict]:
    """Each run: random weights with the kinks inside [lo, hi], then L-BFGS on the node MSE."""
    from scipy.optimize import minimize
    x, w = _simpson(lo, hi, nodes)
    w = w / (hi - lo)
    g = np.sin(x)
    out = []
    for _ in range(inits):
        u = rng.choice([-1.0, 1.0], units) * rng.uniform(0.5, 2.0, units)
        start = np.concatenate([u, -u * rng.uniform(lo, hi, units), rng.normal(size=units) * 0.5, [rng.normal() * 0.5]])
        found = minimize(_loss_and_gradient, start, args=(x, w, g, units), jac=True, method="L-BFGS-B",
                         options={"maxiter": 3000, "ftol": 1e-15, "gtol": 1e-12})
        k = found.x
        out.append({"u": k[:units], "b": k[units:2 * units], "a": k[2 * units:3 * units], "c": float(k[3 * units])})
    return out


# ----------------------------------------------------------------------------- the fit on the sheet
FIT_COLUMNS = {"optimum": ("quantity", "value"), "pieces": ("piece", "from", "to", "slope", "intercept"),
               "weights": ("unit", "$u_k$", "$b_k$", "$a_k$"), "faces": ("faces", "best $E$")}


def fit_table(problem, fit, per_faces, kind: str) -> list[tuple]:
    """Rows of numbers about the best fit (float64; the engine keeps 30 digits) for the sheet
    and ``derive show --json``: the ``kind`` of FIT_COLUMNS."""
    if kind == "optimum":
        return [*[(f"kink $\\kappa_{k + 1}$ (faces {'right' if s > 0 else 'left'})", float(kappa))
                  for k, (s, kappa) in enumerate(zip(fit.faces, fit.kinks))],
                ("output bias $c$", float(fit.theta[0])), (r"mean squared error $E^*$", float(fit.error)),
                (r"largest $|\partial E / \partial (\kappa, c, \alpha)|$ there", fit.gradient_norm)]
    if kind == "pieces":
        return [(f"piece {n + 1}", *piece) for n, piece in enumerate(problem.pieces(fit))]
    if kind == "weights":
        w_ = fit.weights
        return [(f"unit {k + 1}", w_["u"][k], float(w_["b"][k]), float(w_["a"][k])) for k in range(problem.units)]
    return [(_faces_text(f), e) for f, e in sorted(per_faces.items(), key=lambda item: item[1])]


def draw_fit(ax, problem, fit, target=np.sin, target_label=r"$\sin x$",
             residual_label=r"$f(x) - \sin x$") -> None:
    """The target (NumPy), the best network and its kinks; the residual in a panel below."""
    x = np.linspace(float(problem.lo), float(problem.hi), 601)
    # The two curves nearly coincide, so the residual gets a panel of its own below the fit,
    # sharing its x axis: an inset would sit under the kink lines, which cross the whole plot.
    grid = ax.get_subplotspec().subgridspec(2, 1, height_ratios=(2.2, 1))
    ax.set_subplotspec(grid[0])
    below = ax.figure.add_subplot(grid[1], sharex=ax)
    ax.plot(x, target(x), label=target_label, lw=2.2, color="0.65")
    ax.plot(x, problem.network(fit.weights, x), label=f"best {problem.units}-unit ReLU network $f$", lw=1.2,
            color="C0")
    below.plot(x, problem.network(fit.weights, x) - target(x), color="C0", lw=1)
    below.axhline(0, color="0.5", lw=0.5)
    for n, k in enumerate(fit.kinks):
        ax.axvline(float(k), color="C3", lw=0.8, ls="--", label="kinks" if n == 0 else None)
        below.axvline(float(k), color="C3", lw=0.8, ls="--")
    ax.tick_params(labelbottom=False)
    ax.legend(loc="upper left")   # the curve climbs from lower left to upper right: both corners are free
    below.set_ylabel(residual_label)
    below.set_xlabel("$x$")


def _faces_text(faces) -> str:
    return ", ".join("right" if s > 0 else "left" for s in faces)


# ----------------------------------------------------------------------------- the part's claim
@functools.cache
def best_fit(problem, starts: int = 6, seed: int = 0):
    """(problem, best fit, best float64 error for each way of facing), from ``starts`` seeded
    starts per way of facing; searched once per process."""
    fit, per_faces = problem.best(starts=starts, seed=seed)
    return problem, fit, per_faces


def error_at_optimum(problem, fit):
    """E at the optimum from the piece-by-piece integral (not the Gram form the search used)."""
    at = {**dict(zip(problem.kinks, fit.kinks)), **dict(zip(problem.theta, fit.theta))}
    return sp.N(problem.error_by_pieces(fit.faces).xreplace(at), 30)


def optimum_box(optimum: Callable, why: str) -> Step:
    """E*, boxed: the error the search reports (the Gram form at the polished optimum) proved
    equal, to the 6 digits boxed, to SymPy's piece-by-piece integral there."""
    return Step("E^*", lambda v: rounded(optimum()[1].error), why,
                target=lambda v: rounded(error_at_optimum(*optimum()[:2])))


def fit_tables(optimum: Callable, captions) -> tuple:
    """The sheet's tables of the fit ``optimum()`` returns, one per (kind, caption)."""
    return tuple(worked_table(caption, FIT_COLUMNS[kind], lambda kind=kind: fit_table(*optimum(), kind))
                 for kind, caption in captions)


class SortedIn(Domain):
    """Kinks in increasing order inside [lo, hi]."""

    def __init__(self, lo, hi):
        super().__init__(f"increasing, in $[{lo}, {hi}]$", (("real", True),))
        object.__setattr__(self, "bounds", (float(lo), float(hi)))   # Domain is a frozen dataclass

    def sample(self, rng, shape):
        return np.sort(rng.uniform(*self.bounds, size=shape))


def error_for_every_facing(problem, v):
    """E by the Gram form for each way of facing; in the notation, the quadratic form in
    theta = (c, alpha) the statement writes."""
    n = problem.units + 1
    if v.general:
        theta, r = sp.MatrixSymbol(r"\theta", n, 1), sp.MatrixSymbol("r", n, 1)
        body = theta.T * sp.MatrixSymbol("G", n, n) * theta - 2 * r.T * theta + sp.MatrixSymbol("q", 1, 1)
        return sp.MatMul(1 / (problem.hi - problem.lo), body, evaluate=False)
    return sp.Matrix([problem.error_by_gram(f) for f in problem.all_faces])


def quadrature_for_every_facing(problem, d):
    """The oracle: the error of the network with kinks kappa, weights alpha and bias c, by
    quadrature, for each way of facing."""
    return [quadrature_error(problem, {"u": list(f), "b": [-s * k for s, k in zip(f, d["kappa"])],
                                       "a": list(d["alpha"]), "c": d["c"]}) for f in problem.all_faces]
