"""The checks of the conv backward parts: the finite-difference oracle, and beyond it the part's
closed form against JAX autodiff (the framework oracle) and against the scipy.signal identities,
on Hypothesis-drawn layers.

The closed form is the part's own index form, evaluated entry by entry in NumPy where that
is cheap; on larger layers (up to batch 4, 16 channels, 32 x 32) its vectorised NumPy
transcription is used instead, and on every small case the two are compared first, so the
vectorisation is itself checked against the closed form.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, assume, example, given, settings, seed as hypothesis_seed
from hypothesis import strategies as st

from ..maths.convolution import INDEX, output_size, per_group  # noqa: F401 (per_group re-exported)
from ..maths.tensors import evaluate_all
from ..model.claim import FAILED, PASSED, REFUTED, SKIPPED, Claim
from ..model.part import Oracle, Part, derived_sizes
from .conv_oracles import (Hyper, add_axes, fd_gradient, forward, grad_input_vectorised, grad_weight_vectorised,
                           jax_available, jax_gradients, scipy_gradients)
from .numeric import FD_RTOL, FD_TOLERANCE_REASON, scaled_error

def gradient_oracle(wrt: str, one_d: bool = False) -> Oracle:
    """A gradient part's oracle: central differences of the NumPy forward in ``wrt``, flattened
    (a 1-D layer's values first given the batch and channel axes of ``add_axes``)."""
    if one_d:
        return Oracle(lambda x: fd_gradient(add_axes(x), wrt).reshape(-1), **_FD_ORACLE)
    return Oracle(lambda x: fd_gradient(x, wrt).reshape(-1), **_FD_ORACLE)


_FD_ORACLE = dict(method="central differences of the NumPy forward pass", rtol=FD_RTOL,
                  tolerance_reason=FD_TOLERANCE_REASON, cases=8)

FLOAT_RTOL = 1e-9
FLOAT_REASON = (r"both sides are float64 sums of at most $4 \times 32 \times 32$ products of $O(1)$ numbers, so "
                r"rounding stays below $10^{-12}$ of the largest entry; $10^{-9}$ leaves a wide margin, while a "
                r"wrong stride, index or channel errs by $O(1)$")
# Above this many terms (entries times summands) the index form is evaluated by its
# vectorised transcription rather than term by term.
DIRECT_TERMS = 6000


def _sizes(part: Part, base: dict) -> dict:
    sizes = dict(base)
    for d in derived_sizes(part.variables):
        sizes[str(d)] = d.rule(sizes)
    return sizes


def closed_form(part: Part, wrt: str, values: dict, sizes: dict, direct: bool) -> np.ndarray:
    """The part's closed form at one case: term by term from its index form, or vectorised."""
    hp = Hyper.of(sizes)
    x, w, g = values["X"], values["W"], values["G"]
    if direct:
        free = {"W": "fchw", "X": "nchw", "b": "f"}[wrt] if x.ndim == 4 else ("j" if wrt == "W" else "m")
        form = part.result.form(sizes)
        return np.array(evaluate_all(form, [INDEX[k] for k in free], values[wrt].shape,
                                     {k: np.asarray(values[k], dtype=float) for k in ("X", "W", "G")}, sizes),
                        dtype=float).reshape(values[wrt].shape)
    if wrt == "W":
        return grad_weight_vectorised(x, g, w.shape, hp)
    if wrt == "X":
        return grad_input_vectorised(g, w, x.shape, hp)
    return g.sum(axis=(0, 2, 3))


def _terms(wrt: str, sizes: dict) -> int:
    outputs = sizes["H_out"] * sizes["W_out"]
    per = {"W": sizes["B"] * outputs, "X": sizes["F"] // sizes["g"] * outputs, "b": sizes["B"] * outputs}[wrt]
    entries = {"W": sizes["F"] * sizes["C"] // sizes["g"] * sizes["K_h"] * sizes["K_w"],
               "X": sizes["B"] * sizes["C"] * sizes["H_in"] * sizes["W_in"], "b": sizes["F"]}[wrt]
    return per * entries


@st.composite
def layers(draw, batch=4, channels=16, side=32):
    """A valid 2-D layer: groups dividing channels and filters, kernel within the padded input."""
    groups = draw(st.sampled_from([1, 2, 4]))
    sizes = {"B": draw(st.integers(1, batch)), "g": groups,
             "C": groups * draw(st.integers(1, channels // groups)),
             "F": groups * draw(st.integers(1, channels // groups)),
             "H_in": draw(st.integers(3, side)), "W_in": draw(st.integers(3, side)),
             "K_h": draw(st.integers(1, 3)), "K_w": draw(st.integers(1, 3)),
             "s": draw(st.integers(1, 3)), "P": draw(st.integers(0, 2)), "d": draw(st.integers(1, 2))}
    for n, k in (("H_in", "K_h"), ("W_in", "K_w")):
        assume(sizes["d"] * (sizes[k] - 1) + 1 <= sizes[n] + 2 * sizes["P"])
    return sizes


LARGEST = {"B": 4, "g": 4, "C": 16, "F": 16, "H_in": 32, "W_in": 32, "K_h": 3, "K_w": 3, "s": 2, "P": 1, "d": 2}
SMALL = {"B": 2, "g": 2, "C": 2, "F": 4, "H_in": 5, "W_in": 6, "K_h": 2, "K_w": 3, "s": 2, "P": 1, "d": 1}


def _sample(rng, sizes) -> dict:
    B, C, F, g = sizes["B"], sizes["C"], sizes["F"], sizes["g"]
    x = rng.normal(size=(B, C, sizes["H_in"], sizes["W_in"]))
    w = rng.normal(size=(F, C // g, sizes["K_h"], sizes["K_w"]))
    b = rng.normal(size=F)
    out = forward(x, w, b, Hyper.of(sizes))
    return {"X": x, "W": w, "b": b, "G": rng.normal(size=out.shape)}


def _run_cases(part, wrt, seed, cases, reference, strategy, extra_examples, method, statement, kind):
    started = time.perf_counter()
    stats = {"cases": 0, "worst": 0.0, "failing": None, "largest": None}

    @hypothesis_seed(seed)
    @settings(max_examples=cases, database=None, deadline=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate], verbosity=Verbosity.quiet, report_multiple_bugs=False)
    @given(base=strategy, value_seed=st.integers(0, 2**32 - 1))
    def holds(base, value_seed):
        sizes = _sizes(part, base)
        values = _sample(np.random.default_rng(value_seed), sizes)
        ref = reference(values, sizes)
        direct = _terms(wrt, sizes) <= DIRECT_TERMS
        claimed = closed_form(part, wrt, values, sizes, direct)
        error = scaled_error(claimed, ref)
        if direct:   # the vectorisation must agree with the closed form wherever both run
            error = max(error, scaled_error(closed_form(part, wrt, values, sizes, False), claimed))
        stats["cases"] += 1
        size = int(np.prod(values["X"].shape))
        if stats["largest"] is None or size > stats["largest"][0]:
            stats["largest"] = (size, {k: base[k] for k in ("B", "C", "F", "H_in", "W_in")})
        if error > FLOAT_RTOL:
            stats["failing"] = {"sizes": base, "error": error, "evaluated": "term by term" if direct else "vectorised",
                                "closed form": np.round(claimed, 6).reshape(-1)[:12].tolist(),
                                "oracle": np.round(ref, 6).reshape(-1)[:12].tolist()}
            raise AssertionError(f"{part.id}: error {error:.3g} at {base}")
        stats["worst"] = max(stats["worst"], error)

    for ex in extra_examples:
        holds = example(base=ex, value_seed=seed)(holds)
    try:
        holds()
        outcome = PASSED
    except AssertionError:
        outcome = REFUTED
    except Exception as exc:   # an oracle that cannot run is a failed check, never a pass
        return Claim(part.id, kind, statement, FAILED, method, cases=stats["cases"],
                     seconds=time.perf_counter() - started, detail=f"{type(exc).__name__}: {exc}")
    largest = (stats["largest"][1],) if stats["largest"] else ()   # the largest layer
    return Claim(part.id, kind, statement, outcome, method, largest, cases=stats["cases"],
                 worst_error=stats["worst"] if outcome == PASSED else stats["failing"]["error"],
                 tolerance=FLOAT_RTOL, counterexample=stats["failing"], seconds=time.perf_counter() - started,
                 detail=FLOAT_REASON)


@dataclass(frozen=True)
class FrameworkCheck:
    """The closed form against JAX autodiff of jax.lax.conv_general_dilated (same stride,
    padding, rhs_dilation and feature_group_count), float64."""
    wrt: str
    cases: int = 4   # drawn layers, besides the two explicit ones (a small one and 4 x 16 x 32 x 32)

    def run(self, part: Part, seed: int = 0, cases: int | None = None) -> Claim:
        method = "JAX autodiff of ``jax.lax.conv_general_dilated`` (float64)"
        statement = "closed form agrees with JAX autodiff"
        if not jax_available():
            return Claim(part.id, "framework oracle", statement, SKIPPED, method,
                         detail="skipped: JAX not installed (``pip install jax``)")

        def reference(values, sizes):
            return jax_gradients(values["X"], values["W"], values["b"], values["G"], Hyper.of(sizes))[self.wrt]
        return _run_cases(part, self.wrt, seed, min(cases or self.cases, self.cases), reference, layers(),
                          (SMALL, LARGEST), method, statement, "framework oracle")


@dataclass(frozen=True)
class ScipyCheck:
    """The textbook identities with scipy.signal: dE/dX is the full convolution of G with W
    (a full cross-correlation with the flipped kernel), dE/dW the cross-correlation of X with G."""
    wrt: str
    one_d: bool = False
    cases: int = 6

    def run(self, part: Part, seed: int = 0, cases: int | None = None) -> Claim:
        statement = ("closed form equals the full convolution of $G$ with $W$" if self.wrt == "X"
                     else "closed form equals the cross-correlation of $X$ with $G$")
        method = "``scipy.signal`` convolve and correlate (zeros inserted in $G$ for the stride, in $W$ for the dilation)"
        if self.one_d:
            return self._run_1d(part, seed, cases, statement, method)

        def reference(values, sizes):
            return scipy_gradients(values["X"], values["W"], values["G"], Hyper.of(sizes))[self.wrt]
        return _run_cases(part, self.wrt, seed, min(cases or self.cases, self.cases), reference,
                          layers(batch=2, channels=4, side=9), (SMALL,), method, statement, "identity")

    def _run_1d(self, part, seed, cases, statement, method) -> Claim:
        from scipy import signal
        started = time.perf_counter()
        rng = np.random.default_rng(seed)
        worst, count = 0.0, 0
        for _ in range(min(cases or self.cases, self.cases)):
            sizes = {"N": int(rng.integers(3, 20)), "K": int(rng.integers(1, 4)), "s": int(rng.integers(1, 4)),
                     "P": int(rng.integers(0, 3)), "d": int(rng.integers(1, 3))}
            if sizes["d"] * (sizes["K"] - 1) + 1 > sizes["N"] + 2 * sizes["P"]:
                continue
            sizes["N_out"] = output_size(sizes["N"], sizes["K"], sizes["s"], sizes["P"], sizes["d"])
            x, w, g = rng.normal(size=sizes["N"]), rng.normal(size=sizes["K"]), rng.normal(size=sizes["N_out"])
            s, p, d = sizes["s"], sizes["P"], sizes["d"]
            up = np.zeros((len(g) - 1) * s + 1)
            up[::s] = g
            kernel = np.zeros((len(w) - 1) * d + 1)
            kernel[::d] = w
            if self.wrt == "X":
                full = np.zeros(len(x) + 2 * p)
                conv = signal.convolve(up, kernel, mode="full")[: len(full)]
                full[: len(conv)] = conv
                ref = full[p: p + len(x)]
            else:
                ref = signal.correlate(np.pad(x, p), up, mode="valid")[::d][: len(w)]
            values = {"X": x, "W": w, "G": g}
            free = {"W": "j", "X": "m"}[self.wrt]
            claimed = np.array(evaluate_all(part.result.form(sizes), [INDEX[free]], values[self.wrt].shape,
                                        values, sizes), dtype=float)
            error = scaled_error(claimed, ref)
            count += 1
            if error > FLOAT_RTOL:
                return Claim(part.id, "identity", statement, REFUTED, method, cases=count, worst_error=error,
                             tolerance=FLOAT_RTOL, counterexample={"sizes": sizes, "closed form": claimed.tolist(),
                                                                   "scipy": ref.tolist()},
                             seconds=time.perf_counter() - started, detail=FLOAT_REASON)
            worst = max(worst, error)
        return Claim(part.id, "identity", statement, PASSED, method + r"; $N \in \{3, \dots, 19\}$", (), cases=count, worst_error=worst,
                     tolerance=FLOAT_RTOL, seconds=time.perf_counter() - started, detail=FLOAT_REASON)
