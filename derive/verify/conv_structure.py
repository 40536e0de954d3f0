"""Checks of the structure of a convolution: the zero-padding slip about transposed
convolutions refuted, a low-rank kernel as pairs of 1-D passes (exact SymPy identity and a
NumPy SVD check), and multiplications counted by running instrumented NumPy passes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..maths.convolution import (column_pass, conv1d_matrix, conv2d_valid, row_pass,
                                 transposed_conv1d)
from ..maths.zero import is_zero
from ..model.claim import PASSED, PROVED, REFUTED, Claim
from ..model.part import Part
from .conv_oracles import Hyper, forward
from .numeric import central_jacobian, scaled_error


def toeplitz_jacobian(values, n: int = 4, padding: int = 1) -> np.ndarray:
    """dy/dx of the NumPy forward (kernel w_1, w_2, w_3, padding 1) by central differences."""
    kernel = np.array([values["w_1"], values["w_2"], values["w_3"]], dtype=float).reshape(1, 1, 3)
    x0 = np.asarray(values["x"], dtype=float).reshape(-1)
    return central_jacobian(lambda u: forward(u.reshape(1, 1, -1), kernel, None, Hyper(padding=padding)).reshape(-1), x0)


@dataclass(frozen=True)
class ZeroPaddingSlip:
    """The stride-2 transposed conv is M''^T x, not the stride-1 result padded with zeros:
    the difference is a nonzero polynomial, shown at a seeded random point."""

    def run(self, part: Part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        a, b, c = sp.symbols("a b c", real=True)
        x = sp.symbols("x_1:5", real=True)
        kernel = (a, b, c)
        stride_two = transposed_conv1d(x, kernel, 2)
        stride_one = transposed_conv1d(x, kernel, 1)
        padded = sp.Matrix(list(stride_one) + [0] * (len(stride_two) - len(stride_one)))
        difference = (stride_two - padded).applyfunc(sp.expand)
        statement = r"the stride-2 transposed conv is not the stride-1 result padded with zeros"
        if all(is_zero(e, 2.0) for e in difference):
            return Claim(part.id, "slip", statement, REFUTED, "exact difference", seconds=time.perf_counter() - started,
                         detail="the two agree identically; the slip would be right")
        rng = np.random.default_rng(seed)
        point = dict(zip((a, b, c, *x), np.round(rng.normal(size=7), 3)))
        at = [float(e.subs(point)) for e in difference]
        witness = ", ".join(f"{sp.latex(k)} = {v:g}" for k, v in point.items())
        example = next(e for e in difference if e != 0)
        detail = (rf"the difference $(M'')^\top x - \mathrm{{pad}}((M')^\top x)$ has "
                  f"{sum(1 for e in difference if e != 0)} nonzero polynomial entries, e.g. ${sp.latex(example)}$; "
                  f"at ${witness}$ it is ${sp.latex(sp.Matrix(np.round(at, 3)).T)}$")
        # The witness goes into the method, which the sheet always prints.
        return Claim(part.id, "slip", statement, PASSED, f"exact SymPy difference: {detail}",
                     seconds=time.perf_counter() - started, detail=detail)


@dataclass(frozen=True)
class TransposeIsAdjoint:
    """The transposed conv is the adjoint of the conv: <M x, y> = <x, M^T y> for the
    stride-1 (4 -> 6) and stride-2 (4 -> 9) cases, proved exactly."""

    def run(self, part: Part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        a, b, c = sp.symbols("a b c", real=True)
        proved = []
        for stride, n in ((1, 6), (2, 9)):
            m = conv1d_matrix((a, b, c), n, stride)
            x, t = sp.Matrix(sp.symbols(f"x_0:{m.rows}")), sp.Matrix(sp.symbols(f"t_0:{n}"))
            lhs = (x.T * (m * t))[0, 0]
            rhs = (transposed_conv1d(list(x), (a, b, c), stride).T * t)[0, 0]
            if not is_zero(sp.expand(lhs - rhs), 5.0):
                return Claim(part.id, "adjoint", r"$\langle x, M t \rangle = \langle \mathrm{conv}^\top x, t \rangle$", REFUTED, "exact SymPy identity",
                             tuple(proved), seconds=time.perf_counter() - started)
            proved.append({"s": stride, "N": n})
        return Claim(part.id, "adjoint", r"$\langle x, M t \rangle = \langle \mathrm{conv}^\top x, t \rangle$",
                     PROVED, "exact SymPy identity", tuple(proved), seconds=time.perf_counter() - started)


@dataclass(frozen=True)
class LowRankIdentity:
    """conv2d(X, sum_i u_i v_i^T) = sum_i column_pass(row_pass(X, v_i), u_i), exactly, at
    each (k, r, N) given."""
    sizes: tuple = ((2, 1, 3), (3, 1, 4), (2, 2, 4), (3, 2, 5), (3, 3, 4))

    def run(self, part: Part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        proved = []
        for k, r, n in self.sizes:
            x = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"X_{{{i},{j}}}", real=True))
            u = [[sp.Symbol(f"u_{{{p},{q}}}", real=True) for p in range(k)] for q in range(r)]
            v = [[sp.Symbol(f"v_{{{p},{q}}}", real=True) for p in range(k)] for q in range(r)]
            kernel = sum((sp.Matrix(u[q]) * sp.Matrix(v[q]).T for q in range(r)), sp.zeros(k, k))
            direct = conv2d_valid(x, kernel)
            passes = sum((column_pass(row_pass(x, v[q]), u[q]) for q in range(r)), sp.zeros(n - k + 1, n - k + 1))
            if not all(is_zero(sp.expand(e), 5.0) for e in direct - passes):
                return Claim(part.id, "identity", "a rank-$r$ kernel equals $r$ pairs of 1-D passes", REFUTED,
                             "exact SymPy identity", tuple(proved), seconds=time.perf_counter() - started,
                             detail=f"differs at $k = {k}$, $r = {r}$, $N = {n}$")
            proved.append({"k": k, "r": r, "N": n})
        return Claim(part.id, "identity", r"$\mathrm{conv2d}(X, \sum_i u_i v_i^\top) = \sum_i$ column pass$(u_i)$ "
                     r"of row pass$(v_i)$", PROVED, "exact SymPy identity", tuple(proved),
                     seconds=time.perf_counter() - started)


def _np_conv2d(x, kernel):
    return forward(x[None, None], kernel[None, None], None, Hyper())[0, 0]


@dataclass(frozen=True)
class TruncatedSvdCheck:
    """NumPy: a kernel's SVD truncated to rank r, W_r = sum_{i<=r} sigma_i u_i v_i^T, run as
    r pairs of 1-D passes equals conv2d with W_r, and at r = rank(W) equals conv2d with W."""
    cases: int = 20

    def run(self, part: Part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        rng = np.random.default_rng(seed)
        worst, count = 0.0, 0
        for _ in range(min(cases or self.cases, self.cases)):
            k, n = int(rng.integers(2, 6)), int(rng.integers(6, 24))
            rank = int(rng.integers(1, k + 1))
            kernel = rng.normal(size=(k, rank)) @ rng.normal(size=(rank, k))   # exactly rank `rank`
            x = rng.normal(size=(n, n))
            u, sigma, vt = np.linalg.svd(kernel)
            for r in range(1, k + 1):
                truncated = (u[:, :r] * sigma[:r]) @ vt[:r]
                rows = [np.array([[np.dot(vt[q], x[i, j:j + k]) for j in range(n - k + 1)] for i in range(n)])
                        for q in range(r)]
                passes = sum(sigma[q] * np.array([[np.dot(u[:, q], rows[q][i:i + k, j]) for j in range(n - k + 1)]
                                                  for i in range(n - k + 1)]) for q in range(r))
                worst = max(worst, scaled_error(passes, _np_conv2d(x, truncated)))
                if r == rank:
                    worst = max(worst, scaled_error(passes, _np_conv2d(x, kernel)))
            count += 1
        outcome = PASSED if worst <= 1e-10 else REFUTED
        return Claim(part.id, "numeric SVD", "the truncated SVD kernel equals its pairs of 1-D passes (NumPy)", outcome,
                     r"``numpy.linalg.svd``, passes by dot products, ``conv2d`` by the NumPy twin; $k \in \{2, \dots, 5\}$, "
                     r"$N \in \{6, \dots, 23\}$", (),
                     cases=count, worst_error=worst, tolerance=1e-10, seconds=time.perf_counter() - started,
                     detail=r"float64 sums of at most $5 \times 5$ products of $O(1)$ numbers err by about "
                            r"$10^{-15}$; a wrong pass or a missing $\sigma_i$ errs by $O(1)$")


class CountingArray:
    """Counts the scalar multiplications NumPy performs through it (for the mults oracle)."""

    def __init__(self):
        self.mults = 0

    def dot(self, a, b):
        self.mults += np.size(a)
        return float(np.dot(a, b))


def measured_ratio(k: int, r: int, sizes=(40, 80)) -> float:
    """Mults per output of r pairs of 1-D passes over the direct k x k conv, as the input side N
    grows: both algorithms are run on N x N inputs and their multiplications counted; the
    ratio is (r/k)(N/O + 1) with O = N - k + 1, i.e. A + B/O, so two sizes extrapolate it
    to O -> infinity exactly (Richardson)."""
    rng = np.random.default_rng(0)
    ratios, outs = [], []
    for n in sizes:
        x, kernel = rng.normal(size=(n, n)), rng.normal(size=(k, k))
        u, v = rng.normal(size=(r, k)), rng.normal(size=(r, k))
        direct, separable = CountingArray(), CountingArray()
        out = n - k + 1
        for i in range(out):
            for j in range(out):
                direct.dot(kernel.reshape(-1), x[i:i + k, j:j + k].reshape(-1))
        for q in range(r):
            rows = np.array([[separable.dot(v[q], x[i, j:j + k]) for j in range(out)] for i in range(n)])
            for i in range(out):
                for j in range(out):
                    separable.dot(u[q], rows[i:i + k, j])
        ratios.append(separable.mults / direct.mults)
        outs.append(out)
    (r1, r2), (o1, o2) = ratios, outs
    return (r2 * o2 - r1 * o1) / (o2 - o1)
