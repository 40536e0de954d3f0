r"""Answers in index notation for the conv backward parts (issue 11, item 6): one table of
right and wrong answers, plain and LaTeX, with their verdicts and diagnoses; then what makes
the verdicts trustworthy: the counterexample's expected value recomputed by NumPy loops from
the tensors it reports, out-of-range indices contributing 0, strides above 1, the compiled
evaluator against derive.maths.tensors, and bad input refused with a clear message."""
import itertools

import numpy as np
import pytest
import sympy as sp

from derive.answers.read.index_eval import compile_index, nested_ints
from derive.answers.decide.index_judge import answer_sizes, index_vocabulary
from derive.answers.read.index_parse import parse_index_answer
from derive.answers.decide.equivalence import vocabulary
from derive.answers.decide.judge import judge
from derive.model.verdict import UNDECIDED, CORRECT, INCORRECT, INVALID, Diagnosis
from derive.maths import tensors
from derive.model.registry import get_part

RIGHT_W2 = r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i+h,s j+w}"
RIGHT_X2 = r"\sum_{f,i,j} G_{n,f,i,j} W_{f,c,h-s i,w-s j}"

# (part, answer, verdict, a fragment of the diagnosis or None)
TABLE = [
    # conv.grad_weight_2d: one right answer in every spelling, three (and more) wrong ones.
    ("conv.grad_weight_2d", RIGHT_W2, CORRECT, None),
    ("conv.grad_weight_2d", "sum(G(a,f,i,j)*X(a,c,s*i+h,s*j+w), a, i, j)", CORRECT, None),
    ("conv.grad_weight_2d", "sum(G_{a,f,i,j}*X_{a,c,s*i+h,s*j+w}, a, i, j)", CORRECT, None),
    ("conv.grad_weight_2d", r"\sum_{a=0}^{B-1}\sum_{i=0}^{H_{out}-1}\sum_{j=0}^{W_{out}-1} G_{afij}\,"
                            r"X_{a,c,si+h,sj+w}", CORRECT, None),
    ("conv.grad_weight_2d", r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,i+h,j+w}", INCORRECT, "slip: the stride forgotten"),
    ("conv.grad_weight_2d", "sum(G(a,f,i,j)*X(a,c,i+h,j+w), a, i, j)", INCORRECT, "slip: the stride forgotten"),
    ("conv.grad_weight_2d", r"\sum_{a,i,j} G_{a,f,i,j} X_{a,f,s i+h,s j+w}", INCORRECT,
     "slip: channel indices swapped"),
    ("conv.grad_weight_2d", r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i-h,s j-w}", INCORRECT,
     "slip: the kernel index with the wrong sign"),
    ("conv.grad_weight_2d", "sum(G(a,f,i,j)*X(a,c,s*i+K_h-1-h,s*j+K_w-1-w), a, i, j)", INCORRECT,
     "slip: the kernel flipped"),
    ("conv.grad_weight_2d", r"-\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i+h,s j+w}", INCORRECT, "sign:"),
    ("conv.grad_weight_2d", r"2\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i+h,s j+w}", INCORRECT, "factor: the answer is 2"),
    # conv.grad_input_2d: the kernel index h - s i leaves the kernel for most i; those terms are 0.
    ("conv.grad_input_2d", RIGHT_X2, CORRECT, None),
    ("conv.grad_input_2d", "sum(G(n,f,i,j)*W(f,c,h-s*i,w-s*j), f, i, j)", CORRECT, None),
    ("conv.grad_input_2d", r"\sum_{f,i,j} G_{n,f,i,j} W_{f,c,h-i,w-j}", INCORRECT, "slip: the stride forgotten"),
    ("conv.grad_input_2d", r"\sum_{f,i,j} G_{n,f,i,j} W_{c,f,h-s i,w-s j}", INCORRECT,
     "slip: channel indices swapped"),
    ("conv.grad_input_2d", r"\sum_{f,i,j} G_{n,f,i,j} W_{f,c,s i-h,s j-w}", INCORRECT, "slip: the kernel flipped"),
    # conv.grad_bias and conv.grad_weight_1d.
    ("conv.grad_bias", r"\sum_{a,i,j} G_{a,f,i,j}", CORRECT, None),
    ("conv.grad_bias", "sum(G(a,f,i,j), a, i, j)", CORRECT, None),
    ("conv.grad_bias", r"\sum_{i,j} G_{0,f,i,j}", INCORRECT, "slip: the batch sum forgotten"),
    ("conv.grad_bias", r"\sum_{a,f,i,j} G_{a,f,i,j}", INCORRECT, "slip: summed over the filters too"),
    ("conv.grad_weight_1d", r"\sum_{i=0}^{N-K} G_i X_{i+j}", CORRECT, None),
    ("conv.grad_weight_1d", "sum(G_i*X_(i+j), i, 0, N-K)", CORRECT, None),
    ("conv.grad_weight_1d", r"\sum_i G_i X_{i+j}", CORRECT, None),
    ("conv.grad_weight_1d", r"\sum_{i=0}^{N-K-1} G_i X_{i+j}", INCORRECT, None),   # the last term dropped
    ("conv.grad_weight_1d", r"\sum_{i} G_i X_{i-j}", INCORRECT, "slip: an index with the wrong sign"),
    ("conv.grad_weight_1d", r"\sum_{i} G_i W_{i+j}", INCORRECT, "slip: the weights in place of the input"),
]


@pytest.mark.parametrize("part_id, answer, status, diagnosis", TABLE, ids=[f"{r[0]}:{r[1]}" for r in TABLE])
def test_verdicts(part_id, answer, status, diagnosis):
    verdict = judge(get_part(part_id), answer)
    assert verdict.status == status, verdict.message
    if diagnosis:
        assert diagnosis in str(verdict.diagnosis or ""), verdict
    if status == CORRECT:
        assert "proved for all sizes" in verdict.evidence
        assert verdict.method == "proved"
    else:
        assert verdict.counterexample["answer"] != verdict.counterexample["expected"]


def test_declared_slips_are_each_named():
    for part_id in ("conv.grad_weight_2d", "conv.grad_input_2d", "conv.grad_bias", "conv.grad_weight_1d"):
        part = get_part(part_id)
        assert part.answer and part.slips
        for slip in part.slips:
            verdict = judge(part, slip.answer)
            assert verdict.status == INCORRECT and verdict.diagnosis == Diagnosis("slip", slip.why), (slip, verdict)


def numpy_grad_weight(X, G, s, f, c, h, w):
    """dE/dW[f,c,h,w] by direct loops over the output (stride s, no padding)."""
    total = 0
    for a, i, j in itertools.product(range(G.shape[0]), range(G.shape[2]), range(G.shape[3])):
        total += G[a, f, i, j] * X[a, c, s * i + h, s * j + w]
    return total


def test_counterexample_expected_value_matches_numpy_loops():
    verdict = judge(get_part("conv.grad_weight_2d"), r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,i+h,j+w}")
    ce = verdict.counterexample
    X, G = np.array(ce["tensors"]["X"]), np.array(ce["tensors"]["G"])
    v = ce["values"]
    assert v["s"] > 1   # the stride forgotten is caught only where there is a stride
    assert numpy_grad_weight(X, G, v["s"], v["f"], v["c"], v["h"], v["w"]) == ce["expected"]
    assert numpy_grad_weight(X, G, 1, v["f"], v["c"], v["h"], v["w"]) == ce["answer"]
    assert f"is {ce['answer']} but the expected value is {ce['expected']}" in verdict.message


def test_answers_are_judged_at_strides_above_one_and_pinned_case():
    for part_id in ("conv.grad_weight_2d", "conv.grad_input_2d", "conv.grad_bias"):
        rows = answer_sizes(get_part(part_id))
        assert {r["s"] for r in rows} >= {1, 2, 3}
        assert all((r["P"], r["d"], r["g"]) == (0, 1, 1) for r in rows)
    verdict = judge(get_part("conv.grad_weight_2d"), RIGHT_W2)
    assert "with g=1, P=0, d=1" in verdict.evidence


def test_out_of_range_kernel_indices_contribute_zero():
    # Summing i, j past the output (G is 0 there) and taking every kernel offset is still right.
    part = get_part("conv.grad_input_2d")
    wide = r"\sum_{f=0}^{F-1}\sum_{i=0}^{H_{in}}\sum_{j=0}^{W_{in}} G_{n,f,i,j} W_{f,c,h-s i,w-s j}"
    # Equal (a decided exact check at every tested size finds no difference), but the sums'
    # ranges differ from the form's, which the proof for every size does not yet clip.
    assert judge(part, wide).status == UNDECIDED
    answer = parse_index_answer(RIGHT_X2, index_vocabulary(part))
    x = sp.IndexedBase("W")
    entry = compile_index(x[sp.Symbol("h", integer=True) - 5, 0, 0, 0])
    assert entry({"h": 1}, {"W": [[[[7]]]]}) == 0 and entry({"h": 5}, {"W": [[[[7]]]]}) == 7
    assert answer.free == ("n", "c", "h", "w")


def test_non_integer_index_is_zero():
    x, h = sp.IndexedBase("x"), sp.Symbol("h", integer=True)
    entry = compile_index(x[h / 2])
    assert [entry({"h": k}, {"x": [1, 2, 3]}) for k in range(5)] == [1, 0, 2, 0, 3]


def test_compiled_evaluation_agrees_with_maths_tensors():
    """The fast exact evaluator and derive.maths.tensors give the same entries."""
    part = get_part("conv.grad_input_2d")
    rng = np.random.default_rng(3)
    for row in answer_sizes(part)[:4]:
        ns = part.namespace(row)
        arrays = {v.name: sp.ImmutableDenseNDimArray([sp.Integer(int(k)) for k in
                  rng.integers(-5, 6, size=int(np.prod(v.numeric_shape(ns.sizes))))], v.numeric_shape(ns.sizes))
                  for v in part.variables}
        form = part.result.form(ns.sizes)
        slow = tensors.evaluate_all(form, part.result.free, arrays["X"].shape, arrays, ns.sizes)
        fast_form = compile_index(form)
        lists = {n: nested_ints(a) for n, a in arrays.items()}
        names = [str(k) for k in part.result.free]
        fast = [fast_form({**ns.sizes, **dict(zip(names, p))}, lists)
                for p in itertools.product(*(range(n) for n in arrays["X"].shape))]
        assert fast == [int(v) for v in slow]


@pytest.mark.parametrize("answer, fragment", [
    (r"\sum_{i,j} G_{q,f,i,j}", "the index q is neither summed nor one of the free indices (f, c, h, w)"),
    (r"\sum_{a,i,j} G_{a,f}", "G has 4 indices (shape B, F, H_out, W_out), got 2"),
    (r"\sum_k G_{a,f,i,j}", "the sum over k has no bounds"),
    (r"\sum_{a,i,j} Y_{a,f,i,j}", "Y is not a tensor of this part"),
    ("__import__('os')", "unexpected '_'"),
    ("import os", "unknown name 'import'"),
    ("X.T", "write an entry such as X_{i,j,k,l} or X(i, j, k, l)"),
    (r"\sum_{s} G_{s,f,0,0}", "cannot be a summation index"),
    ("", "empty"),
])
def test_bad_input_is_invalid_with_a_clear_message(answer, fragment):
    verdict = judge(get_part("conv.grad_weight_2d"), answer)
    assert verdict.status == INVALID and fragment in verdict.message, verdict.message


def test_vocabulary_describes_rank_four_tensors():
    text = vocabulary(get_part("conv.grad_weight_2d")).describe()
    assert "X (rank-4 tensor)" in text and "b (vector, also bias)" in text


def test_a_sum_bound_past_the_limit_is_refused_not_looped():
    verdict = judge(get_part("conv.grad_bias"), r"\sum_{i=0}^{10^9} G_{0,f,0,0}")
    assert verdict.status == INVALID and "at most 1000 values" in verdict.message


def test_an_inner_bound_may_use_an_outer_index():
    answer = parse_index_answer(r"\sum_{i=0}^{H_{out}-1}\sum_{j=0}^{i} G_{0,f,i,j}",
                                index_vocabulary(get_part("conv.grad_bias")))
    G = [[[[1, 10, 100], [1, 10, 100], [1, 10, 100]]]]
    assert compile_index(answer.expr)({"H_out": 3, "f": 0}, {"G": G}) == 1 + 11 + 111
    assert answer.latex() == r"\sum_{i=0}^{H_{out} - 1} \sum_{j=0}^{i} G_{0,f,i,j}"


def test_understood_form_reads_as_typed():
    answer = parse_index_answer(RIGHT_W2, index_vocabulary(get_part("conv.grad_weight_2d")))
    assert answer.latex() == r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i + h,s j + w}"
    # bounds lead with a positive term, as the sheets print them: N - K, not - K + N
    bounded = parse_index_answer(r"\sum_{i=0}^{N-K} G_i X_{i+j}", index_vocabulary(get_part("conv.grad_weight_1d")))
    assert bounded.latex() == r"\sum_{i=0}^{N - K} G_{i} X_{i + j}"


@pytest.mark.parametrize("argv, status", [
    (["check", "conv.grad_weight_2d", RIGHT_W2], 0),
    (["check", "conv.grad_weight_2d", "sum(G(a,f,i,j)*X(a,c,i+h,j+w), a, i, j)", "--json"], 1),
    (["check", "conv.grad_input_2d", RIGHT_X2, "--reveal"], 0),
    (["check", "conv.grad_bias", r"\sum_{a,i,j} G_{a,f}"], 2),
])
def test_derive_check_command(capsys, argv, status):
    from derive.cli.main import main
    assert main(argv) == status
    out = capsys.readouterr().out
    if "--json" in argv:
        import json
        assert json.loads(out)["diagnosis"] == {"kind": "slip", "detail": "the stride forgotten"}
    if "--reveal" in argv:
        assert "W[f,c,h - i s,w - j s]" in out   # the terminal prints indices in brackets


RIGHT_2D = r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i+h,s j+w}"


@pytest.mark.parametrize("extra, size", [
    ("(s-1)*(s-2)*(s-3)*(s-4)*(s-5)*G_{0,f,0,0}", "s=6"),
    ("(C-1)*(C-2)*(C-3)*G_{0,f,0,0}", "C=4"),
    ("(F-1)*(F-2)*(F-3)*G_{0,f,0,0}", "F=4"),
    ("(B-1)*(B-2)*(B-3)*G_{0,f,0,0}", "B=4"),
    ("(K_h-1)*(K_h-2)*(K_h-3)*G_{0,f,0,0}", "K_h=4"),
])
def test_a_term_that_vanishes_at_small_sizes_is_found_at_the_first_size_it_adds(extra, size):
    verdict = judge(get_part("conv.grad_weight_2d"), f"{RIGHT_2D} + {extra}")
    assert verdict.status == INCORRECT, verdict.message
    assert size in verdict.message


def test_a_1d_term_that_vanishes_below_k_6_is_found():
    verdict = judge(get_part("conv.grad_weight_1d"), r"\sum_{i=0}^{N-K} G_i X_{i+j} + (K-1)(K-2)(K-3)(K-4)(K-5) G_0")
    assert verdict.status == INCORRECT and "K=6" in verdict.message


# --- index notation on the shared reader (issue 19, item 2): one lexer, one grammar, one tree --

from derive.answers.read.nodes import Entry, IndexSum, walk  # noqa: E402
from derive.answers.read.parse import parse_answer  # noqa: E402
from derive.answers.read.vocabulary import Vocabulary  # noqa: E402
from derive.errors import AnswerSyntaxError  # noqa: E402


@pytest.mark.parametrize("part_id, answer, understood", [
    ("conv.grad_weight_2d", r"\sum_{aij} G_{afij} X_{a,c,si+h,sj+w}",
     r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i + h,s j + w}"),
    ("conv.grad_weight_2d", "sum(G(a,f,i,j)*X(a,c,s*i+h,s*j+w), a, i, j)",
     r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i + h,s j + w}"),
    ("conv.grad_weight_2d", r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,-h + s i,w-s j}",
     r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,- h + s i,w - s j}"),
    ("conv.grad_weight_1d", "sum(G_i*X_(i+j), i, 0, N-K)", r"\sum_{i=0}^{N - K} G_{i} X_{i + j}"),
    ("conv.grad_weight_2d", r"\frac{1}{2} G_{0,f,0,0} - G_{0,f,1,0}^2", r"\frac{G_{0,f,0,0}}{2} - G_{0,f,1,0}^{2}"),
])
def test_every_spelling_is_read_into_one_tree(part_id, answer, understood):
    parsed = parse_index_answer(answer, index_vocabulary(get_part(part_id)))
    assert parsed.latex() == understood
    nodes = list(walk(parsed.tree))
    assert any(isinstance(n, Entry) for n in nodes)


def test_the_tree_of_an_index_answer_has_entries_and_sums_over_letters():
    tree = parse_index_answer(RIGHT_W2, index_vocabulary(get_part("conv.grad_weight_2d"))).tree
    assert isinstance(tree, IndexSum) and tree.letters == ("a", "i", "j") and tree.lo is None
    assert sorted(n.name for n in walk(tree) if isinstance(n, Entry)) == ["G", "X"]


@pytest.mark.parametrize("answer, position, fragment", [
    ("__import__('os')", 0, "unexpected '_' here"),   # the first error in the text, not 'import'
    ("G_{0,f,0,0} @ 2", 12, "unexpected '@' here"),
    ("sum(G(a,f,i,j))", 0, "sum(...) needs its index"),
    ("G_{0,f,0,0}^{1/2}", 13, "whole-number exponent"),
    ("(G_{0,f,0,0}", 0, "this ( is never closed"),
    ("G_{0,f,0,0} +", 13, "ends too early; expected a number, a tensor entry"),
    (r"\sum_{a,a} G_{a,f,0,0}", 5, "an index is summed twice in one sum"),
    (r"\sum G", 0, "a sum needs its indices"),
    (r"\sum_{i,j=0}^{3} G_{0,f,i,j}", 9, "a lower bound goes with one index"),
    (r"\sum_{i=0} G_{0,f,i,0}", 7, "a lower bound needs an upper one"),
    ("G_{0,f,0,0} = 1", 12, "'=' belongs only in a sum's lower bound"),
    (r"\sum_k G_{a,f,i,j}", 5, "the sum over k has no bounds"),
    (r"\sum_{i,j} G_{q,f,i,j}", 14, "the index q is neither summed"),
    ("G_{0,f,0,0}/0", 11, "division by zero"),
    ("[G_{0,f,0,0} = 1]", 0, "an Iverson bracket [a = b] is not part of index notation"),
])
def test_invalid_index_answers_say_where_and_what_was_expected(answer, position, fragment):
    with pytest.raises(AnswerSyntaxError) as caught:
        parse_index_answer(answer, index_vocabulary(get_part("conv.grad_weight_2d")))
    assert fragment in str(caught.value) and caught.value.position == position, str(caught.value)


@pytest.mark.parametrize("answer, fragment", [
    (r"\sum_{i,j} x_i x_j", "one sum per index"),         # sums over letters are index notation
    ("sum(x_i, 2, 1, n)", "sum(body, i, lo, hi)"),
    (r"\sum_{j=1}^{i} x_j", "the index i may appear only in a subscript"),
])
def test_plain_answers_keep_their_one_letter_sums(answer, fragment):
    from types import SimpleNamespace as V
    vocab = Vocabulary.from_variables([V(name="x", shape=("n",), spellings=())])
    with pytest.raises(AnswerSyntaxError) as caught:
        parse_answer(answer, vocab)
    assert fragment in str(caught.value), str(caught.value)
