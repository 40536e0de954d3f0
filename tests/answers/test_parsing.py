"""The answer parser: what each spelling means (checked by evaluating the parsed tree
against a NumPy expression written independently here), what is refused and where, and
that no input whatsoever escapes as anything but a DeriveError."""
from types import SimpleNamespace as V

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.errors import AnswerSyntaxError, DeriveError
from derive.errors import AnswerLimitError, AnswerShapeError
from derive.answers.read.parse import Vocabulary, parse_answer

SOFTMAX = Vocabulary.from_variables([
    V(name="z", shape=("C",), spellings=()),
    V(name="s", shape=("C",), spellings=("yhat", r"\hat{y}", "softmax(z)")),
    V(name="y", shape=("C",), spellings=())])
DROPOUT = Vocabulary.from_variables([
    V(name="X", shape=("N", "d"), spellings=()), V(name="p", shape=(), spellings=()),
    V(name="w", shape=("d",), spellings=()), V(name="y", shape=("N",), spellings=())])
UNIT = Vocabulary.from_variables([
    V(name="w", shape=("n",), spellings=()), V(name="x", shape=("n",), spellings=()),
    V(name="p", shape=("n",), spellings=()), V(name="t", shape=(), spellings=())])
OPTIM = Vocabulary.from_variables([
    V(name="eps", shape=(), spellings=(r"\epsilon", r"\varepsilon", "epsilon")),
    V(name="lambda_max", shape=(), spellings=()), V(name="lambda_min", shape=(), spellings=()),
    V(name="H", shape=("d", "d"), spellings=()), V(name="w_0", shape=("d",), spellings=()),
    V(name="t", shape=(), spellings=())])
ADAM = Vocabulary.from_variables([
    V(name="beta_1", shape=(), spellings=()), V(name="t", shape=(), spellings=()),
    V(name="Eg", shape=(), spellings=("E[g]", r"\mathbb{E}[g]", r"\mathbb{E}[g_t]", "mu"))])
SCALAR = Vocabulary.from_variables([V(name="z", shape=(), spellings=())])
CONV = Vocabulary.from_variables([V(name=n, shape=(), spellings=()) for n in
                                  ("N", "P", "d", "K", "S", "C_in", "C_out")])
VOCABS = {"softmax": SOFTMAX, "dropout": DROPOUT, "unit": UNIT, "optim": OPTIM, "adam": ADAM,
          "scalar": SCALAR, "conv": CONV}


def point(name: str, rng):
    """A random point for a test vocabulary, at sizes where every dimension differs."""
    if name == "softmax":
        z = rng.normal(size=4)
        s = np.exp(z) / np.exp(z).sum()
        return {"z": z, "s": s, "y": np.eye(4)[rng.integers(4)]}
    if name == "dropout":
        return {"X": rng.normal(size=(5, 3)), "p": rng.uniform(0.1, 0.9), "w": rng.normal(size=3),
                "y": rng.normal(size=5)}
    if name == "unit":
        return {"w": rng.normal(size=4), "x": rng.normal(size=4), "p": rng.uniform(0.1, 0.9, 4),
                "t": rng.normal(), "n": 4}
    if name == "optim":
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        return {"eps": rng.uniform(0.01, 1), "lambda_max": rng.uniform(1, 3), "lambda_min": rng.uniform(0.1, 1),
                "H": (q * rng.uniform(0.5, 2, 3)) @ q.T, "w_0": rng.normal(size=3), "t": 3.0}
    if name == "adam":
        return {"beta_1": rng.uniform(0.5, 0.99), "t": 4.0, "Eg": rng.normal()}
    if name == "scalar":
        return {"z": rng.normal()}
    return {k: float(rng.integers(1, 6)) for k in ("N", "P", "d", "K", "S", "C_in", "C_out")}


def sig(x):
    return 1 / (1 + np.exp(-x))


# (vocabulary, answer, independent NumPy value of what it must mean)
MEANINGS = [
    ("softmax", "s - y", lambda v: v["s"] - v["y"]),
    ("softmax", "yhat - y", lambda v: v["s"] - v["y"]),
    ("softmax", r"\hat{y} - y", lambda v: v["s"] - v["y"]),
    ("softmax", "softmax(z) - y", lambda v: v["s"] - v["y"]),
    ("softmax", r"\operatorname{softmax}(z) - y", lambda v: v["s"] - v["y"]),
    ("softmax", "-(y - s)", lambda v: v["s"] - v["y"]),
    ("softmax", "diag(s) - s*s^T", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", "diag(s) - s @ s.T", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", "diag(s) - s s'", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", r"\operatorname{diag}(s) - s s^\top", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", r"\mathrm{diag}(s) - s s^{T}", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", "s_i(delta_ij - s_j)", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", r"s_i(\delta_{ij} - s_j)", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", r"s_i\left(\delta_{ij}-s_j\right)", lambda v: np.diag(v["s"]) - np.outer(v["s"], v["s"])),
    ("softmax", "2*(diag(s) - s s^T)(s - y)",
     lambda v: 2 * (np.diag(v["s"]) - np.outer(v["s"], v["s"])) @ (v["s"] - v["y"])),
    ("softmax", "2 s_j ((s_j - y_j) - sum_m s_m (s_m - y_m))",
     lambda v: 2 * v["s"] * ((v["s"] - v["y"]) - v["s"] @ (v["s"] - v["y"]))),
    ("softmax", r"2 s_j \left((s_j - y_j) - \sum_{m} s_m (s_m - y_m)\right)",
     lambda v: 2 * v["s"] * ((v["s"] - v["y"]) - v["s"] @ (v["s"] - v["y"]))),
    ("softmax", "s odot y", lambda v: v["s"] * v["y"]),
    ("softmax", r"s \odot y", lambda v: v["s"] * v["y"]),
    ("softmax", "s .* y", lambda v: v["s"] * v["y"]),
    ("softmax", "s^T y", lambda v: v["s"] @ v["y"]),
    ("softmax", "sum(s)", lambda v: v["s"].sum()),
    ("softmax", r"\|s\|^2", lambda v: v["s"] @ v["s"]),
    ("softmax", "norm(s - y)", lambda v: np.linalg.norm(v["s"] - v["y"])),
    ("softmax", "max(z)", lambda v: v["z"].max()),
    ("softmax", "exp(z)/sum(exp(z))", lambda v: v["s"]),
    ("softmax", "z_1 - z_2", lambda v: v["z"][0] - v["z"][1]),
    ("softmax", "C", lambda v: 4.0),
    ("softmax", "trace(diag(s))", lambda v: 1.0),
    ("dropout", "pX", lambda v: v["p"] * v["X"]),
    ("dropout", "p^2 X^T X + p(1-p) diag(X^T X)",
     lambda v: v["p"] ** 2 * v["X"].T @ v["X"] + v["p"] * (1 - v["p"]) * np.diag(np.diag(v["X"].T @ v["X"]))),
    ("dropout", r"\|y - pXw\|^2 + p(1-p) w^T diag(X^T X) w",
     lambda v: np.sum((v["y"] - v["p"] * v["X"] @ v["w"]) ** 2)
     + v["p"] * (1 - v["p"]) * v["w"] @ np.diag(np.diag(v["X"].T @ v["X"])) @ v["w"]),
    ("dropout", r"\sqrt{\frac{1-p}{p}}\,\mathrm{diag}(X^T X)^{1/2}",
     lambda v: np.sqrt((1 - v["p"]) / v["p"]) * np.diag(np.sqrt(np.diag(v["X"].T @ v["X"])))),
    ("dropout", "inv(X^T X + ((1-p)/p) diag(X^T X)) X^T y",
     lambda v: np.linalg.solve(v["X"].T @ v["X"] + (1 - v["p"]) / v["p"] * np.diag(np.diag(v["X"].T @ v["X"])),
                               v["X"].T @ v["y"])),
    ("dropout", "(X^T X + (1-p)/p diag(X^TX))^{-1} X^T y",
     lambda v: np.linalg.solve(v["X"].T @ v["X"] + (1 - v["p"]) / v["p"] * np.diag(np.diag(v["X"].T @ v["X"])),
                               v["X"].T @ v["y"])),
    ("dropout", "sqrt(p/(1-p))", lambda v: np.sqrt(v["p"] / (1 - v["p"]))),
    ("unit", "w_i p_i (1-p_i) x_i^2", lambda v: v["w"] * v["p"] * (1 - v["p"]) * v["x"] ** 2),
    ("unit", "w_ip_i(1-p_i)x_i^2", lambda v: v["w"] * v["p"] * (1 - v["p"]) * v["x"] ** 2),
    ("unit", "1/2*sum(p_i*(1-p_i)*w_i^2*x_i^2, i, 1, n)",
     lambda v: 0.5 * np.sum(v["p"] * (1 - v["p"]) * v["w"] ** 2 * v["x"] ** 2)),
    ("unit", r"\frac{1}{2}\sum_{i=1}^{n} p_i(1-p_i) w_i^2 x_i^2",
     lambda v: 0.5 * np.sum(v["p"] * (1 - v["p"]) * v["w"] ** 2 * v["x"] ** 2)),
    ("unit", r"\frac12 \sum_i p_i (1 - p_i) w_i^2 x_i^2",
     lambda v: 0.5 * np.sum(v["p"] * (1 - v["p"]) * v["w"] ** 2 * v["x"] ** 2)),
    ("unit", "-(t - sum_k w_k x_k) x_i", lambda v: -(v["t"] - v["w"] @ v["x"]) * v["x"]),
    ("optim", "2/lambda_max", lambda v: 2 / v["lambda_max"]),
    ("optim", r"\frac{2}{\lambda_{\min}+\lambda_{\max}}", lambda v: 2 / (v["lambda_min"] + v["lambda_max"])),
    ("optim", "(I - eps H)^t w_0",
     lambda v: np.linalg.matrix_power(np.eye(3) - v["eps"] * v["H"], 3) @ v["w_0"]),
    ("optim", r"(I - \epsilon H)^{t} w_0",
     lambda v: np.linalg.matrix_power(np.eye(3) - v["eps"] * v["H"], 3) @ v["w_0"]),
    ("optim", "H^{-1} w_0", lambda v: np.linalg.solve(v["H"], v["w_0"])),
    ("optim", "0 < eps < 2/lambda_max", lambda v: float(0 < v["eps"] < 2 / v["lambda_max"])),
    ("optim", r"0 < \varepsilon < \frac{2}{\lambda_{\max}}", lambda v: float(0 < v["eps"] < 2 / v["lambda_max"])),
    ("optim", r"0<\epsilon\le 2/\lambda_{max}", lambda v: float(0 < v["eps"] <= 2 / v["lambda_max"])),
    ("adam", "(1 - beta_1^t) E[g]", lambda v: (1 - v["beta_1"] ** 4) * v["Eg"]),
    ("adam", r"(1-\beta_1^t)\mathbb{E}[g]", lambda v: (1 - v["beta_1"] ** 4) * v["Eg"]),
    ("adam", r"\left(1-\beta_{1}^{t}\right)\mathbb{E}[g_t]", lambda v: (1 - v["beta_1"] ** 4) * v["Eg"]),
    ("adam", "(1-beta_1**t)*mu", lambda v: (1 - v["beta_1"] ** 4) * v["Eg"]),
    ("scalar", "sigma(z)*(1 - sigma(z))", lambda v: sig(v["z"]) * (1 - sig(v["z"]))),
    ("scalar", r"\sigma(z)\left(1-\sigma(z)\right)", lambda v: sig(v["z"]) * (1 - sig(v["z"]))),
    ("scalar", "sigmoid(z) - sigmoid(z)^2", lambda v: sig(v["z"]) - sig(v["z"]) ** 2),
    ("scalar", r"\sigma^2(z)", lambda v: sig(v["z"]) ** 2),
    ("scalar", "e^z/(1+e^z)^2", lambda v: np.exp(v["z"]) / (1 + np.exp(v["z"])) ** 2),
    ("scalar", r"\frac{e^{-z}}{(1+e^{-z})^2}", lambda v: np.exp(-v["z"]) / (1 + np.exp(-v["z"])) ** 2),
    ("scalar", "exp(-z)/(1+exp(-z))**2", lambda v: np.exp(-v["z"]) / (1 + np.exp(-v["z"])) ** 2),
    ("scalar", "1 - tanh(z)^2", lambda v: 1 - np.tanh(v["z"]) ** 2),
    ("scalar", r"1-\tanh^2(z)", lambda v: 1 - np.tanh(v["z"]) ** 2),
    ("scalar", "2 sigma(2z) - 1", lambda v: 2 * sig(2 * v["z"]) - 1),
    ("scalar", "2*sigma(2*z)-1", lambda v: 2 * sig(2 * v["z"]) - 1),
    ("scalar", "|z| + abs(z)", lambda v: 2 * abs(v["z"])),
    ("scalar", "relu(z) + step(z)", lambda v: max(v["z"], 0) + float(v["z"] > 0)),
    ("scalar", "z^2/2 - z/2^3", lambda v: v["z"] ** 2 / 2 - v["z"] / 8),
    ("scalar", "-z^2", lambda v: -v["z"] ** 2),
    ("scalar", "2^-1 z", lambda v: v["z"] / 2),
    ("scalar", r"\log(e^z)", lambda v: v["z"]),
    ("scalar", r"\ln \exp z", lambda v: v["z"]),
    ("scalar", "3/8", lambda v: 0.375),
    ("scalar", "0.375", lambda v: 0.375),
    ("scalar", "1e-3", lambda v: 1e-3),
    ("scalar", "(1/4)^3", lambda v: 1 / 64),
    ("scalar", "$\\frac{1}{4}$", lambda v: 0.25),
    ("conv", "floor((N + 2P - d(K-1) - 1)/S) + 1",
     lambda v: np.floor((v["N"] + 2 * v["P"] - v["d"] * (v["K"] - 1) - 1) / v["S"]) + 1),
    ("conv", r"\left\lfloor \frac{N+2P-d(K-1)-1}{S} \right\rfloor + 1",
     lambda v: np.floor((v["N"] + 2 * v["P"] - v["d"] * (v["K"] - 1) - 1) / v["S"]) + 1),
    ("conv", "K^2 C_in + C_in C_out", lambda v: v["K"] ** 2 * v["C_in"] + v["C_in"] * v["C_out"]),
    ("conv", r"K^2 C_{in} + C_{in} C_{out}", lambda v: v["K"] ** 2 * v["C_in"] + v["C_in"] * v["C_out"]),
    ("conv", r"K^{2}\cdot C_{in} + C_{in}\times C_{out}", lambda v: v["K"] ** 2 * v["C_in"] + v["C_in"] * v["C_out"]),
]


@pytest.mark.parametrize("vocab,text,meaning", MEANINGS, ids=[f"{v}:{t}" for v, t, _ in MEANINGS])
def test_parsed_answer_means_what_it_says(vocab, text, meaning, rng):
    answer = parse_answer(text, VOCABS[vocab])
    for _ in range(3):
        values = point(vocab, rng)
        got = answer.evaluate(values)
        want = np.asarray(meaning(values), dtype=float)
        got = np.asarray(got, dtype=float)
        assert got.size == want.size, (text, got.shape, want.shape)
        # A few float64 operations on O(1) values: agreement to 1e-10 relative is loose.
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-10, atol=1e-12, err_msg=text)


SAME_TREE = [
    ("softmax", "yhat - y", r"\hat{y} - y"),
    ("softmax", "diag(s) - s*s^T", r"\operatorname{diag}(s) - s s^\top"),
    ("softmax", "s_i(delta_ij - s_j)", r"s_i(\delta_{ij} - s_j)"),
    ("optim", "0 < eps < 2/lambda_max", r"0 < \epsilon < \frac{2}{\lambda_{\max}}"),
    ("optim", "eps", r"\varepsilon"),
    ("scalar", "sigma(z)*(1-sigma(z))", r"\sigma(z)\left(1-\sigma(z)\right)"),
    ("scalar", "3/8", "0.375"),
    ("scalar", "3/8", r"\frac{3}{8}"),
    ("conv", "C_in", "C_{in}"),
]


@pytest.mark.parametrize("vocab,plain,latex", SAME_TREE)
def test_both_syntaxes_give_the_same_tree(vocab, plain, latex):
    a = parse_answer(plain, VOCABS[vocab], syntax="text")
    b = parse_answer(latex, VOCABS[vocab], syntax="latex")
    assert a.tree == b.tree
    assert a.latex() == b.latex()


def test_latex_of_what_was_understood_reparses_to_the_same_tree():
    for vocab, text, _ in MEANINGS:
        answer = parse_answer(text, VOCABS[vocab])
        again = parse_answer(answer.latex(), VOCABS[vocab], syntax="latex")
        assert again.tree == answer.tree, (text, answer.latex())


def test_to_sympy_at_explicit_size_matches_numpy(rng):
    answer = parse_answer("2 s_j ((s_j - y_j) - sum_m s_m (s_m - y_m))", SOFTMAX)
    S, Y = sp.Matrix(sp.symbols("s1:4")), sp.Matrix(sp.symbols("y1:4"))
    expr = answer.to_sympy({"s": S, "y": Y, "z": sp.Matrix(sp.symbols("z1:4"))})
    values = {str(x): float(rng.uniform(0.1, 1)) for x in list(S) + list(Y)}
    got = np.array(expr.subs(values), dtype=float).ravel()
    s = np.array([values[f"s{k}"] for k in (1, 2, 3)])
    y = np.array([values[f"y{k}"] for k in (1, 2, 3)])
    np.testing.assert_allclose(got, 2 * s * ((s - y) - s @ (s - y)), rtol=1e-12)


def test_to_sympy_with_matrix_symbols_keeps_the_structure():
    C = sp.Symbol("C", integer=True, positive=True)
    s = sp.MatrixSymbol("s", C, 1)
    expr = parse_answer("s s^T - s^T s I", SOFTMAX).to_sympy({"s": s, "y": s, "z": s}, {"C": C})
    assert expr.shape == (C, C)


# (vocabulary, answer, 0-based column the error points at, words the message must contain)
INVALID = [
    ("softmax", "s s", 2, "s s^T"),
    ("softmax", "s + s s^T", 2, "cannot add"),
    ("softmax", "diag(s) s^T s s", 8, "cannot multiply"),
    ("softmax", "foo(s)", 0, "unknown name 'foo'"),
    ("softmax", "s_q", 2, "not an index letter"),
    ("softmax", "s_{ij}", 1, "takes 1 index"),
    ("softmax", "s / s", 2, "cannot divide"),
    ("softmax", "(s - y", 0, "never closed"),
    ("softmax", "s - y)", 5, "no matching"),
    ("softmax", "s -", 3, "ends too early"),
    ("softmax", "", 0, "empty"),
    ("softmax", "s ^ s", 4, "exponent must be a scalar"),
    ("softmax", "i", 0, "not bound by a sum"),
    ("softmax", "sum(s, i, 1, n)", 13, "unknown name"),
    ("softmax", "s_i s_j s_k", 8, "at most two free indices"),
    ("softmax", "s^2", 0, "only square matrices"),
    ("scalar", "z!!", 1, "factorials"),   # z! is the factorial (issue 20); z!! is refused
    ("scalar", "x!!!!", 1, "factorials"),
    ("scalar", "9^9^9^9", 4, "exponent is too large"),
    ("scalar", "2^1000", 2, "exponent is too large"),
    ("scalar", "z^(10^10)", 3, "exponent is too large"),
    ("scalar", "__import__('os')", 2, "unknown name 'import'"),
    ("scalar", "().__class__", 2, "'.' is allowed only"),
    ("scalar", "z.real", 1, "'.' is allowed only"),
    ("scalar", "lambda z: z", 8, "is not allowed"),
    ("scalar", "eval('1')", 0, "unknown name"),
    ("scalar", "z; z", 1, "not allowed"),
    ("scalar", r"\input{/etc/passwd}", 0, r"\input is not supported"),
    ("scalar", r"\sqrt[z]{2}", 5, "takes a whole number n"),   # \sqrt[3]{z} is the real cube root
    ("scalar", "sigma(z", 5, "never closed"),
    ("scalar", "1" * 40, 0, "more than 30 digits"),
    ("scalar", "1e999", 0, "exponent must be between"),
    ("scalar", "z_1", 1, "scalar and takes no subscript"),
    ("scalar", "exp(z, z)", 0, "takes one argument"),   # log(z, b) is a base-b log
    ("scalar", "sum(z, i, 1, 10^6)", 0, "terms in all"),
    ("scalar", "(" * 40 + "z" + ")" * 40, 30, "nested more than 30"),
    ("scalar", "-" * 300 + "z", 0, "nested more than"),
    ("scalar", "z" * 2000, 0, "at most 1000"),
    ("scalar", "z {", 2, "never closed"),
    ("scalar", "z < 1 > 0", 6, "one way"),
    ("optim", "lambda_mid", 0, "unknown name"),
    ("optim", "eps < H", 6, "compares scalars"),
    ("dropout", "wX", 1, "cannot multiply"),
    ("dropout", "X^2", 0, "did you mean a transpose"),
    ("dropout", "diag(X)", 0, "square matrix"),
    ("dropout", "I", 0, "size of I"),
]


@pytest.mark.parametrize("vocab,text,column,words", INVALID, ids=[f"{v}:{t[:30]}" for v, t, _, _ in INVALID])
def test_invalid_answers_point_at_the_problem(vocab, text, column, words):
    with pytest.raises(AnswerSyntaxError) as info:
        parse_answer(text, VOCABS[vocab])
    err = info.value
    assert isinstance(err, DeriveError) and isinstance(err, ValueError)
    assert words in str(err), str(err)
    assert err.position == column, (err.position, str(err))


def test_shape_and_limit_errors_are_answer_syntax_errors():
    assert issubclass(AnswerShapeError, AnswerSyntaxError)
    assert issubclass(AnswerLimitError, AnswerSyntaxError)


def test_syntax_choice_is_enforced():
    with pytest.raises(AnswerSyntaxError, match="braces"):
        parse_answer("z {", SCALAR, syntax="text")
    with pytest.raises(AnswerSyntaxError, match="plain-text syntax"):
        parse_answer(r"\hat{y} - y", SOFTMAX, syntax="text")
    with pytest.raises(AnswerSyntaxError, match="syntax must be"):
        parse_answer("s", SOFTMAX, syntax="python")
    # In LaTeX an unbraced superscript takes one character: x^12 is x^1 times 2.
    assert parse_answer("z^12", SCALAR, syntax="latex").evaluate({"z": 3.0}) == pytest.approx(6.0)
    assert parse_answer("z^12", SCALAR, syntax="text").evaluate({"z": 1.1}) == pytest.approx(1.1 ** 12)


def test_free_indices_and_their_ranges():
    a = parse_answer("s_i(delta_ij - s_j)", SOFTMAX)
    assert a.free_indices == ("i", "j") and a.shape == ("C", "C")
    b = parse_answer(r"\sum_i s_i y_i", SOFTMAX)
    assert b.free_indices == () and b.shape == (1, 1)


# --------------------------------------------------------------------------- fuzz
ALPHABET = st.sampled_from(list("szyXpwi jT0123456789.+-*/^()[]{}|_,'<>=!@\\$;:\"#~`&%?") +
                           ["sigma", "diag", "sum", "\\frac", "\\left(", "\\right)", "delta_ij", "^T",
                            "\\hat{y}", "yhat", "\\|", "softmax(z)", "e^", "lambda", "__", ".T", ".*"])


@settings(max_examples=1500, deadline=2000)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_fuzz_token_soup_raises_only_derive_errors(text):
    for vocab in (SOFTMAX, DROPOUT, SCALAR):
        try:
            parse_answer(text, vocab)
        except DeriveError:
            pass


@settings(max_examples=500, deadline=2000)
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text_raises_only_derive_errors(text):
    try:
        parse_answer(text, SOFTMAX)
    except DeriveError:
        pass


def expressions():
    leaf = st.sampled_from(["s", "y", "z", "2", "0.5", "C", "s_i", "y_j", "delta_ij", "I"])
    return st.recursive(leaf, lambda e: st.one_of(
        st.tuples(e, st.sampled_from([" + ", " - ", "*", " ", " @ ", " odot ", "/", "^"]), e).map("".join),
        st.tuples(st.sampled_from(["diag", "sigma", "exp", "log", "norm", "sum", "softmax", "inv", ""]), e)
        .map(lambda t: f"{t[0]}({t[1]})"),
        e.map(lambda x: f"{x}^T"), e.map(lambda x: f"-{x}"),
        e.map(lambda x: f"sum_m {x}")), max_leaves=12)


@settings(max_examples=1000, deadline=2000)
@given(expressions())
def test_fuzz_grammar_shaped_answers_parse_or_refuse_cleanly(text, ):
    try:
        answer = parse_answer(text, SOFTMAX)
    except DeriveError:
        return
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        try:
            answer.evaluate(point("softmax", rng))
        except (np.linalg.LinAlgError, ValueError, ArithmeticError, KeyError, IndexError):
            pass
    answer.latex()


# Inputs the fuzzers once found crashing the parser, kept as a table.
REGRESSIONS = ["^.0\\frac", "¹", "z^.5", "\\frac", "\\left", "\\left|", "|", "||", "\\|", "s_", "s_{",
               "\\sum", "\\sum_", "\\sum_{i=1}^", "sum(", "sum(s, i", "\\hat{}", "\\mathbb{}", "^T", "'",
               "\\sigma^2", "\\tanh^{2}{", "and", "0 < and", "s_{i,}", "delta_", "$", "\\\\"]


@pytest.mark.parametrize("text", REGRESSIONS)
def test_fuzz_regressions_raise_only_derive_errors(text):
    for vocab in (SOFTMAX, SCALAR, OPTIM):
        try:
            parse_answer(text, vocab)
        except DeriveError:
            pass


def test_iverson_bracket_and_index_values(rng):
    labels = Vocabulary.from_variables([V(name="y", shape=("n",), spellings=()),
                                        V(name="x", shape=("n",), spellings=())])
    values = {"y": np.array([1.0, 2.0, 2.0, 3.0]), "x": rng.normal(size=4)}
    counted = parse_answer(r"\sum_{i} [y_i = 2] x_i", labels).evaluate(values)
    assert counted == pytest.approx(values["x"][1] + values["x"][2])
    weighted = parse_answer(r"\sum_{i=1}^{n} i x_i", labels).evaluate(values)
    assert weighted == pytest.approx(np.arange(1, 5) @ values["x"])
    with pytest.raises(AnswerSyntaxError, match="without a left-hand side"):
        parse_answer("x = y", labels)
