"""How an answer was read, before any verdict (derive serve's live preview)."""
import pytest

from derive.answers.serve.preview import PROBLEM, READ, preview
from derive.errors import InvalidArgument, UnknownPart


@pytest.mark.parametrize("answer, part, latex", [
    ("s - y", "softmax.ce_grad", "s - y"),
    (r"\hat{y} - y", "softmax.ce_grad", "s - y"),                     # a spelling, read as the part's name
    ("s_i(delta_ij - s_j)", "softmax.jacobian", r"s_{i} \left(\delta_{i j} - s_{j}\right)"),   # index notation
    (r"\frac{1}{1+e^{-z}}", None, r"\frac{1}{1 + e^{-z}}"),           # no part: every name a real scalar
])
def test_an_answer_is_read_as(answer, part, latex):
    got = preview(answer, part)
    assert got.status == READ and got.latex == latex and got.message is None


@pytest.mark.parametrize("answer, part, words, position", [
    ("s - y +", "softmax.ce_grad", "ends too early", 7),
    ("", "softmax.ce_grad", "empty", 0),
    ("q + 1", "softmax.ce_grad", "unknown name 'q'", 0),
    ("s" * 3000, "softmax.ce_grad", "at most 1000", None),
    ("x +", None, "ends too early", None),
])
def test_a_problem_is_said_with_where_it_is(answer, part, words, position):
    got = preview(answer, part)
    assert got.status == PROBLEM and got.latex is None and words in got.message
    assert position is None or got.position == position
    assert not got.message.startswith("the expected expression")


def test_bad_calls_raise():
    with pytest.raises(UnknownPart):
        preview("x", "no.such_part")
    with pytest.raises(InvalidArgument, match="syntax"):
        preview("x", syntax="python")
    with pytest.raises(InvalidArgument, match="text"):
        preview(3)
