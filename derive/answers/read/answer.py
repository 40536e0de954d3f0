"""A parsed answer: the tree, what it uses, and how to evaluate, build or print it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import sympy as sp

from .evaluate import Evaluator
from .latex import AnswerTreePrinter
from .nodes import Node, is_scalar
from .to_sympy import SympyBuilder
from .vocabulary import Vocabulary, VocabularyEntry
from .nodes import Bin, Comp, Name, Relation, walk


@dataclass(frozen=True)
class Answer:
    """A parsed answer: the tree, what it uses, and how to evaluate or print it."""
    text: str
    syntax: str
    tree: Node
    vocabulary: Vocabulary
    free_indices: tuple          # sorted letters not bound by a sum: axes of the value
    index_ranges: Mapping        # index letter -> dimension name
    spelled: Mapping             # canonical name -> how the user wrote it

    @property
    def is_relation(self) -> bool:
        return isinstance(self.tree, Relation) or (isinstance(self.tree, Bin) and self.tree.op == "and")

    @property
    def names(self) -> frozenset:
        return frozenset(n.name for n in walk(self.tree) if isinstance(n, (Name, Comp)))

    @property
    def shape(self) -> tuple:
        """(rows, cols) of the value, with free indices as axes (i -> rows, j -> cols)."""
        if self.free_indices:
            dims = [self.index_ranges[i] for i in self.free_indices]
            return (dims[0], dims[1] if len(dims) > 1 else 1)
        return self.tree.shape

    def latex(self) -> str:
        return AnswerTreePrinter(self.vocabulary.latex_names())(self.tree)

    def _sizes_from(self, env: Mapping[str, Any]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for e in self.vocabulary.entries:
            if e.role == "size" and e.name in env and np.ndim(env[e.name]) == 0:
                sizes[e.name] = int(env[e.name])
        for e in self.vocabulary.entries:
            if e.shape and e.name in env:
                arr = np.asarray(env[e.name])
                for d, n in zip(e.shape, arr.shape[-len(e.shape):] if arr.ndim else ()):
                    if isinstance(d, str):
                        sizes.setdefault(d, int(n))
        return sizes

    def evaluate(self, env: Mapping[str, Any], sizes: Mapping[str, int] | None = None):
        """Value at one point: env maps canonical names to floats or arrays (vectors 1-D).

        Returns a float, or a 2-D array (a vector answer gives a column (n, 1)).
        """
        batched = {e.name: to_batched(env[e.name], e) for e in self.vocabulary.entries if e.name in env}
        out = self.evaluate_batch(batched, sizes or self._sizes_from(env))
        out = out[0]
        return float(out[0, 0]) if out.shape == (1, 1) and not self.free_indices and is_scalar(
            self.tree.shape) else out

    def evaluate_batch(self, values: Mapping[str, np.ndarray], sizes: Mapping[str, int]) -> np.ndarray:
        """Values at B points at once: values[name] has shape (B, rows, cols); result (B, r, c)."""
        values = dict(values)
        for name, n in sizes.items():
            values.setdefault(name, np.asarray(float(n)).reshape(1, 1, 1))
        ev = Evaluator(values, self.index_ranges, sizes)
        with np.errstate(all="ignore"):
            if not self.free_indices:
                return np.asarray(ev(self.tree), dtype=float)
            dims = [sizes[self.index_ranges[i]] for i in self.free_indices]
            rows = dims[0]
            cols = dims[1] if len(dims) > 1 else 1
            out = None
            for r in range(rows):
                for c in range(cols):
                    ev.index[self.free_indices[0]] = r
                    if len(dims) > 1:
                        ev.index[self.free_indices[1]] = c
                    v = np.asarray(ev(self.tree), dtype=float)
                    if out is None:
                        out = np.empty((v.shape[0], rows, cols))
                    out[:, r, c] = v[:, 0, 0]
            return out

    def to_sympy(self, env: Mapping[str, Any], sizes: Mapping[str, Any] | None = None,
                 as_written: bool = False):
        """SymPy form; env maps canonical names to Symbols, explicit Matrices or MatrixSymbols.

        With free indices the result is an explicit Matrix over their ranges (sizes must be
        whole numbers then). ``as_written`` (for a proof with sizes symbolic): entry positions
        as the answer writes them (g_i is ``g[i, 0]``, i from 1) and, with free indices, the
        one entry at the free indices as positive integer symbols named by their letters.
        """
        sizes = dict(sizes or {})
        for e in self.vocabulary.entries:
            obj = env.get(e.name)
            if e.shape and obj is not None:
                for d, n in zip(e.shape, obj.shape if len(e.shape) == 2 else obj.shape[:1]):
                    if isinstance(d, str):
                        sizes.setdefault(d, int(n) if getattr(n, "is_Integer", False) else n)
        full_env = dict(env)
        for e in self.vocabulary.entries:
            if e.role == "size" and e.name not in full_env:
                value = sizes.get(e.name)
                if value is None:
                    value = sp.Symbol(e.name, integer=True, positive=True)
                full_env[e.name] = sp.Integer(value) if isinstance(value, int) else value
        builder = SympyBuilder(full_env, self.index_ranges, sizes, as_written)
        if as_written:
            # One entry, at free indices that are symbols: i runs over 1..size, as written.
            for i in self.free_indices:
                builder.index[i] = sp.Symbol(i, integer=True, positive=True)
            return builder(self.tree)
        if not self.free_indices:
            return builder(self.tree)
        dims = [sizes[self.index_ranges[i]] for i in self.free_indices]
        rows, cols = dims[0], (dims[1] if len(dims) > 1 else 1)

        def entry(r, c):
            builder.index[self.free_indices[0]] = r
            if len(dims) > 1:
                builder.index[self.free_indices[1]] = c
            return builder(self.tree)
        return sp.Matrix(rows, cols, entry)


def to_batched(value, entry: VocabularyEntry, dtype=float) -> np.ndarray:
    """One point's value as a (1, rows, cols) array: vectors become columns. ``dtype=object``
    keeps exact or high-precision numbers as they are."""
    arr = np.asarray(value, dtype=dtype)
    if entry.rank == 0:
        return arr.reshape(1, 1, 1)
    if entry.rank == 1:
        return arr.reshape(1, -1, 1)
    return arr.reshape((1,) + arr.shape[-2:])
