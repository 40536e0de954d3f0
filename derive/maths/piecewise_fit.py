r"""The best L2 fit of a target by a one-hidden-layer ReLU network with a linear output,
f(x) = c + sum_k a_k relu(u_k x + b_k), on an interval [lo, hi].

A unit with u_k != 0 has its kink at kappa_k = -b_k / u_k and faces right (u_k > 0, active for
x > kappa_k) or left (u_k < 0); a_k relu(u_k x + b_k) = alpha_k relu(s_k (x - kappa_k)) with
s_k = sign(u_k) and alpha_k = a_k |u_k|. So for the kinks in increasing order and a choice of
faces s, f is linear in theta = (c, alpha_1, ..., alpha_n), and the mean squared error

    E(kappa, theta) = 1/(hi - lo) int_lo^hi (f(x) - g(x))^2 dx

is a quadratic in theta whose coefficients SymPy integrates exactly, piece by piece between
the kinks (f is linear on each piece). A kink at an end of the interval makes its unit either
linear or zero there, so kinks on the closed interval cover every network. The inner least
squares theta*(kappa) solves a linear system; the outer minimum over the kinks is found from
many seeded starts (SciPy) and polished with ``sympy.nsolve`` on the full gradient of the
exact error, to 30 digits.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
import sympy as sp

from ..errors import InvalidArgument
from ..model.functions import as_sympy

__all__ = ["Fit", "ReluFitProblem"]

X = sp.Symbol("x", real=True)


@dataclass(frozen=True)
class Fit:
    """A best network for one choice of faces: kinks, output weights, error, and its weights."""
    faces: tuple[int, ...]
    kinks: tuple[sp.Float, ...]
    theta: tuple[sp.Float, ...]          # (c, alpha_1, ..., alpha_n)
    error: sp.Float                      # the mean squared error E at (kinks, theta)
    gradient_norm: float                 # |grad E| over kinks and theta at the polished point

    @property
    def weights(self) -> dict:
        """Network weights that realise the fit: u_k = s_k, b_k = -s_k kappa_k, a_k = alpha_k, c."""
        return {"u": [s for s in self.faces], "b": [-s * k for s, k in zip(self.faces, self.kinks)],
                "a": list(self.theta[1:]), "c": self.theta[0]}


class ReluFitProblem:
    """The exact error of an n-unit ReLU network fitting ``target`` on [lo, hi]."""

    def __init__(self, target=sp.sin, lo=-1, hi=2, units: int = 3):
        if units < 1:
            raise InvalidArgument(f"units = {units!r}; a network needs at least one hidden unit")
        self.lo, self.hi, self.units = as_sympy(lo), as_sympy(hi), units
        if not self.lo < self.hi:
            raise InvalidArgument(f"the interval [{lo}, {hi}] is empty; need lo < hi")
        self.target = target
        self.kinks = sp.symbols(f"kappa_1:{units + 1}", real=True)
        self.theta = sp.symbols("c " + " ".join(f"alpha_{k}" for k in range(1, units + 1)), real=True)
        self._grams: dict = {}
        self._by_pieces: dict = {}

    @property
    def all_faces(self) -> list[tuple[int, ...]]:
        """Every way the units can face, for kinks in increasing order."""
        return list(itertools.product((1, -1), repeat=self.units))

    def basis_on_piece(self, faces: Sequence[int], piece: int) -> list:
        """The basis (1, phi_1, ..., phi_n) as linear functions of x on piece ``piece`` (0..n),
        the piece between kink ``piece`` and kink ``piece + 1`` (the interval's ends outside)."""
        if len(faces) != self.units or set(faces) - {1, -1}:
            raise InvalidArgument(f"faces {tuple(faces)!r}: give +1 (right) or -1 (left) for each of the "
                                  f"{self.units} units")
        out = [sp.S.One]
        for k, (s, kappa) in enumerate(zip(faces, self.kinks)):
            active = k < piece if s > 0 else k >= piece
            out.append(s * (X - kappa) if active else sp.S.Zero)
        return out

    def _pieces(self):
        ends = (self.lo,) + tuple(self.kinks) + (self.hi,)
        return [(ends[m], ends[m + 1]) for m in range(self.units + 1)]

    def error_by_pieces(self, faces: Sequence[int]) -> sp.Expr:
        """E(kappa, theta) integrating (f - g)^2 exactly on each piece, f written out there."""
        faces = tuple(faces)
        if faces not in self._by_pieces:
            self._by_pieces[faces] = self._integrate_pieces(faces)
        return self._by_pieces[faces]

    def _integrate_pieces(self, faces):
        total = sp.S.Zero
        for m, (a, b) in enumerate(self._pieces()):
            f = sum(t * phi for t, phi in zip(self.theta, self.basis_on_piece(faces, m)))
            total += sp.integrate(sp.expand((f - self.target(X)) ** 2), (X, a, b))
        return total / (self.hi - self.lo)

    def gram(self, faces: Sequence[int]) -> tuple[sp.Matrix, sp.Matrix, sp.Expr]:
        """(G, r, s0): G_ij = int phi_i phi_j, r_i = int phi_i g, s0 = int g^2, each exact."""
        faces = tuple(faces)
        if faces not in self._grams:
            self._grams[faces] = self._integrate_gram(faces)
        return self._grams[faces]

    def _integrate_gram(self, faces):
        n = self.units + 1
        G, r = sp.zeros(n, n), sp.zeros(n, 1)
        for m, (a, b) in enumerate(self._pieces()):
            phi = self.basis_on_piece(faces, m)
            for i in range(n):
                r[i] += sp.integrate(phi[i] * self.target(X), (X, a, b))
                for j in range(i, n):
                    G[i, j] += sp.integrate(sp.expand(phi[i] * phi[j]), (X, a, b))
        for i in range(n):
            for j in range(i):
                G[i, j] = G[j, i]
        return G, r, sp.integrate(self.target(X) ** 2, (X, self.lo, self.hi))

    def error_by_gram(self, faces: Sequence[int]) -> sp.Expr:
        """E = (theta^T G theta - 2 r^T theta + s0) / (hi - lo): the same error as a quadratic form."""
        G, r, s0 = self.gram(faces)
        theta = sp.Matrix(self.theta)
        return ((theta.T * G * theta)[0, 0] - 2 * (r.T * theta)[0, 0] + s0) / (self.hi - self.lo)

    @cached_property
    def _compiled(self) -> dict:
        out = {}
        for faces in self.all_faces:
            G, r, s0 = self.gram(faces)
            error = self.error_by_gram(faces)
            grad_kinks = [sp.diff(error, k) for k in self.kinks]
            out[faces] = (sp.lambdify([self.kinks], (G, r), "numpy"), float(s0),
                          sp.lambdify([self.kinks, self.theta], grad_kinks, "numpy"))
        return out

    def inner(self, faces, kinks) -> tuple[float, np.ndarray]:
        """For sorted kinks in [lo, hi]: the least-squares theta and its error (float64)."""
        gram_of, s0, _ = self._compiled[tuple(faces)]
        G, r = (np.asarray(m, dtype=float) for m in gram_of(list(kinks)))
        theta = np.linalg.lstsq(G, r.reshape(-1), rcond=1e-13)[0]   # G is singular when kinks merge
        return (s0 - float(r.reshape(-1) @ theta)) / float(self.hi - self.lo), theta

    def outer_gradient(self, faces, kinks, theta) -> np.ndarray:
        """dE*/dkappa = dE/dkappa at theta*(kappa): dE/dtheta = 0 there (the envelope theorem)."""
        return np.asarray(self._compiled[tuple(faces)][2](list(kinks), list(theta)), dtype=float)

    def search(self, faces, starts: int, rng: np.random.Generator) -> tuple[float, np.ndarray]:
        """The best sorted kinks for these faces from ``starts`` seeded L-BFGS-B runs."""
        from scipy.optimize import minimize
        lo, hi = float(self.lo), float(self.hi)

        def objective(k):
            order = np.argsort(k)
            sorted_k = k[order]
            value, theta = self.inner(faces, sorted_k)
            grad = np.empty_like(k)
            grad[order] = self.outer_gradient(faces, sorted_k, theta)
            return value, grad
        best = (np.inf, None)
        for _ in range(starts):
            start = np.sort(rng.uniform(lo, hi, size=self.units))
            found = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[(lo, hi)] * self.units,
                             options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 500})
            if found.fun < best[0]:
                best = (float(found.fun), np.sort(found.x))
        return best

    def polish(self, faces, kinks, digits: int = 30) -> Fit:
        """Solve grad E = 0 over kinks and theta with sympy.nsolve from a float64 optimum."""
        error = self.error_by_gram(faces)
        unknowns = list(self.kinks) + list(self.theta)
        equations = [sp.diff(error, u) for u in unknowns]
        _, theta = self.inner(faces, kinks)
        start = list(kinks) + list(theta)
        solution = sp.nsolve(equations, unknowns, start, prec=digits + 10, tol=sp.Float(10) ** -(digits + 5))
        at = dict(zip(unknowns, solution))
        residual = max(abs(sp.N(e.xreplace(at), digits)) for e in equations)
        k = tuple(sp.N(at[s], digits) for s in self.kinks)
        return Fit(tuple(faces), k, tuple(sp.N(at[s], digits) for s in self.theta),
                   sp.N(error.xreplace(at), digits), float(residual))

    def best(self, starts: int = 12, seed: int = 0) -> tuple[Fit, dict]:
        """The best network over every way of facing; also the float64 best error per faces."""
        rng = np.random.default_rng(seed)
        per_faces = {faces: self.search(faces, starts, rng) for faces in self.all_faces}
        faces = min(per_faces, key=lambda f: per_faces[f][0])
        return self.polish(faces, per_faces[faces][1]), {f: v for f, (v, _) in per_faces.items()}

    def network(self, weights: dict, x: np.ndarray) -> np.ndarray:
        """f(x) = c + sum_k a_k relu(u_k x + b_k) in float64."""
        u, b, a = (np.asarray([float(w) for w in weights[k]]) for k in ("u", "b", "a"))
        return float(weights["c"]) + np.maximum(np.outer(x, u) + b, 0.0) @ a

    def pieces(self, fit: Fit) -> list[tuple[float, float, float, float]]:
        """(from, to, slope, intercept) of f on each piece between the kinks."""
        out = []
        ends = [float(self.lo)] + [float(k) for k in fit.kinks] + [float(self.hi)]
        for m in range(self.units + 1):
            basis = self.basis_on_piece(fit.faces, m)
            f = sp.expand(sum(t * phi for t, phi in zip(fit.theta, basis)).xreplace(dict(zip(self.kinks, fit.kinks))))
            out.append((ends[m], ends[m + 1], float(f.coeff(X, 1)), float(f.coeff(X, 0))))
        return out
