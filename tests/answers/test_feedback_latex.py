"""What was understood is printed as the sheets print it: the answer tree's printer hands
every function, name, entry and delta to the sheets' printer (derive.render.printing)."""
from types import SimpleNamespace as V

import pytest
import sympy as sp

from derive.answers.read.parse import Vocabulary, parse_answer
from derive.model import functions as F
from derive.render.printing import latex

VOCAB = Vocabulary.from_variables([V(name="z", shape=()), V(name="s", shape=("C",)), V(name="y", shape=("C",)),
                                   V(name="A", shape=("C", "C")), V(name="lambda_max", shape=())])
z = sp.Symbol("z")
C = sp.Symbol("C")
s, y, A = sp.MatrixSymbol("s", C, 1), sp.MatrixSymbol("y", C, 1), sp.MatrixSymbol("A", C, C)
i, j = sp.symbols("i j")


def understood(text: str) -> str:
    return parse_answer(text, VOCAB).latex()


@pytest.mark.parametrize("text, sheet", [
    ("heaviside(z)", sp.Heaviside(z)), ("step(z)", sp.Heaviside(z)), ("H(z)", sp.Heaviside(z)),
    ("sigma(z)", F.sigma(z)), ("relu(z)", F.relu(z)), ("tanh(z)", sp.tanh(z)), ("log(z)", sp.log(z)),
    ("abs(z)", sp.Abs(z)), ("sign(z)", sp.sign(z)), ("floor(z)", sp.floor(z)), ("ceil(z)", sp.ceiling(z)),
    ("sqrt(z)", sp.sqrt(z)), ("asin(z)", sp.asin(z)), ("atanh(z)", sp.atanh(z)), ("sech(z)", sp.sech(z)),
    ("tanh(z)^2", sp.tanh(z) ** 2), ("sigma(z)^2", F.sigma(z) ** 2), ("relu(z)^2", F.relu(z) ** 2),
    ("diag(s)", F.Diag(s)), ("softmax(s)", F.Softmax(s)), ("s^T", s.T), ("inv(A)", sp.Inverse(A)),
    ("s_i", s[i, 0]), ("A_ij", A[i, j]), ("s_i delta_ij", s[i, 0] * sp.KroneckerDelta(i, j)),
    ("s odot y", sp.HadamardProduct(s, y)), ("lambda_max", sp.Symbol("lambda_max")),
    ("[[1, 2], [3, 4]]", sp.Matrix([[1, 2], [3, 4]])),
])
def test_feedback_spells_each_piece_as_the_sheets_do(text, sheet):
    assert understood(text) == latex(sheet)


def test_the_step_function_is_H_in_feedback_as_on_sheets():
    assert understood("step(-z)") == r"H\left(-z\right)" and "step" not in understood("heaviside(z)^2")


def test_the_tree_is_printed_as_typed_not_simplified():
    assert understood("z - (z - 1)") == r"z - \left(z - 1\right)"
    assert understood("exp(z)") == r"\exp\left(z\right)"   # reads back as exp(z), not as a power of e
