"""The names a part declares and how they may be spelled in an answer.

A :class:`Vocabulary` maps every spelling of a declared name (``yhat``, ``\\hat{y}``,
``softmax(z)``) to its canonical name; spellings are compared as lexeme keys, so
``lambda_max`` and ``\\lambda_{\\max}`` are one spelling.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .lexer import GREEK, spelling_key
from .nodes import SCALAR
from ...errors import AnswerSyntaxError

__all__ = ["Vocabulary", "VocabularyEntry"]


@dataclass(frozen=True)
class VocabularyEntry:
    """One name a part declares: canonical name, shape, other spellings, LaTeX form."""
    name: str
    shape: tuple = ()
    spellings: tuple = ()
    latex: str | None = None
    role: str = "variable"  # or "size"

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def matrix_shape(self) -> tuple:
        if not self.shape:
            return SCALAR
        if len(self.shape) == 1:
            return (self.shape[0], 1)
        return tuple(self.shape)


@dataclass(frozen=True)
class Vocabulary:
    """The names a part declares, the size symbols and the index letters it allows."""
    entries: tuple
    indices: tuple = ()
    _words: dict = field(default=None, compare=False, repr=False)
    _phrases: dict = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        words: dict[str, str] = {}
        phrases: dict[tuple, str] = {}
        for entry in self.entries:
            for spelling in (entry.name,) + tuple(entry.spellings) + _usual_aliases(entry.name):
                try:
                    key = spelling_key(spelling)
                except AnswerSyntaxError:
                    continue   # a spelling outside the answer language can never be typed
                if not key:
                    continue
                if len(key) == 1:
                    words.setdefault(key[0], entry.name)
                else:
                    phrases.setdefault(key, entry.name)
        object.__setattr__(self, "_words", words)
        object.__setattr__(self, "_phrases", phrases)

    @classmethod
    def from_variables(cls, variables: Iterable[Any], *, sizes: Sequence[str] = (),
                       indices: Sequence[str] | None = None) -> "Vocabulary":
        """Build from objects with ``name``, ``shape`` and ``spellings`` (e.g. model.Variable).

        Every dimension named in a shape is a size symbol; ``indices`` defaults to those
        of i, j, k, l, m that are not already names.
        """
        entries = []
        taken = set()
        for v in variables:
            shape = tuple(getattr(v, "shape", ()) or ())
            entries.append(VocabularyEntry(v.name, shape, tuple(getattr(v, "spellings", ()) or ()),
                                           getattr(v, "latex", None)))
            taken.add(v.name)
        dims = list(sizes)
        for e in entries:
            dims += [d for d in e.shape if isinstance(d, str)]
        for d in dict.fromkeys(dims):
            if d not in taken:
                entries.append(VocabularyEntry(d, (), (), None, "size"))
                taken.add(d)
        if indices is None:
            indices = tuple(c for c in "ijklm" if c not in taken)
        return cls(tuple(entries), tuple(indices))

    def with_keys(self, keys: Mapping[tuple, str]) -> "Vocabulary":
        """This vocabulary with more spellings, given already cut into lexeme keys
        (:func:`~.lexer.spelling_key`) -> canonical name; its own spellings win."""
        out = Vocabulary(self.entries, self.indices)
        for key, name in keys.items():
            if len(key) == 1:
                out._words.setdefault(key[0], name)
            elif key:
                out._phrases.setdefault(key, name)
        return out

    def entry(self, name: str) -> VocabularyEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def word(self, w: str) -> str | None:
        return self._words.get(w)

    def describe(self) -> str:
        parts = []
        for e in self.entries:
            kind = "size" if e.role == "size" else (("scalar", "vector", "matrix")[e.rank] if e.rank <= 2
                                                     else f"rank-{e.rank} tensor")
            spelled = [s for s in e.spellings if s != e.name]
            parts.append(f"{e.name} ({kind}" + (", also " + ", ".join(spelled) if spelled else "") + ")")
        out = "; ".join(parts)
        if self.indices:
            out += "; index letters " + ", ".join(self.indices)
        return out

    def latex_names(self) -> dict[str, str]:
        return {e.name: e.latex or _latex_of_name(e) for e in self.entries}


def _usual_aliases(name: str) -> tuple:
    """Spellings everyone uses for a few names (eps is also epsilon and varepsilon)."""
    base, sep, sub = name.partition("_")
    if base in ("eps", "epsilon", "varepsilon"):
        return tuple(b + sep + sub for b in ("eps", "epsilon", "varepsilon") if b != base)
    return ()


def _latex_of_name(entry: VocabularyEntry) -> str:
    base, _, sub = entry.name.partition("_")
    if base not in GREEK and len(base) > 2:
        for s in entry.spellings:
            if "\\" in s and "(" not in s:
                return s
    tex = "\\" + base if base in GREEK else (base if len(base) <= 2 else rf"\mathrm{{{base}}}")
    if sub:
        sub_tex = "\\" + sub if sub in ("max", "min") else sub
        tex += "_{" + sub_tex + "}"
    return tex
