"""``derive check`` on the command line: an answer that starts with '-' is the answer, not
an option; ``--`` is documented; a part without answers refuses one, as in Python; an answer
the shell split into words is refused with the command to type; the terminal shows the
status once, mathematics in Unicode (never LaTeX or markup) and a long counterexample
summarised, while ``--json`` keeps the LaTeX and the whole record."""
import json
import re

import pytest

from derive.cli.main import main, parser


def run(capsys, *argv):
    try:
        status = main(list(argv))
    except SystemExit as exit_:   # argparse's own errors
        status = exit_.code
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize("argv, status, verdict", [
    (["check", "softmax.ce_grad", "-y+s"], 0, "correct"),
    (["check", "softmax.ce_grad", "-y+s", "--json"], 0, "correct"),
    (["check", "--json", "softmax.ce_grad", "-s+y"], 1, "incorrect"),
    (["check", "softmax.ce_grad", "-y/s"], 2, "invalid"),             # read, then refused as maths
    (["check", "softmax.ce_grad", "--", "-y+s"], 0, "correct"),
    (["check", "--json", "softmax.ce_grad", "--", "--json"], 2, "invalid"),
    (["check", "activation.sigmoid_grad", "-sigma(z)(1-sigma(z))"], 1, "incorrect"),
    (["check", "softmax.ce_grad", "-y+s", "--timeout", "30"], 0, "correct"),
])
def test_an_answer_starting_with_a_dash_is_the_answer(capsys, argv, status, verdict):
    code, out, err = run(capsys, *argv)
    assert code == status, err
    assert "unrecognized arguments" not in err and "expected one argument" not in err
    options = argv[: argv.index("--")] if "--" in argv else argv
    if "--json" in options:
        assert json.loads(out)["status"] == verdict
    else:
        assert out.startswith(f"{verdict} — ")


def test_options_are_still_options(capsys):
    args = parser().parse_args(["check", "softmax.ce_grad", "-y", "--rev", "--seed", "3", "--syntax=text"])
    assert (args.answer, args.reveal, args.seed, args.syntax) == (["-y"], True, 3, "text")
    code, _, err = run(capsys, "check", "softmax.ce_grad", "s - y", "--timeout", "-1")
    assert code == 2 and "timeout must be a number of seconds" in err


def test_the_help_documents_answers_with_a_dash(capsys):
    code, out, _ = run(capsys, "check", "--help")
    assert code == 0
    assert "starts with '-'" in " ".join(out.split()) and "--" in out


def test_a_part_without_answers_refuses_one_on_the_command_line(capsys):
    code, out, _ = run(capsys, "check", "softmax.shift", "softmax(z)", "--json")
    verdict = json.loads(out)
    assert code == 2 and verdict["status"] == "invalid"
    assert verdict["message"].startswith("softmax.shift takes no answer; the parts that do: ")


RAW = re.compile(r"\\[a-zA-Z]|\$|``|\*\*")   # LaTeX commands, inline-math dollars, RST marks


def test_an_answer_split_into_words_names_them_and_the_command_to_type(capsys):
    code, out, err = run(capsys, "check", "softmax.ce_grad", "-y", "+", "s")
    assert code == 2 and out == ""
    assert "unrecognized arguments" not in err and "usage:" not in err
    assert "split it into 3 words: -y + s" in err
    assert "derive check softmax.ce_grad '-y + s'" in err
    code, out, _ = run(capsys, "check", "--json", "softmax.ce_grad", "s", "-", "y")
    verdict = json.loads(out)
    assert code == 2 and verdict["status"] == "invalid" and "'s - y'" in verdict["message"]


def test_the_status_is_said_once(capsys):
    code, out, _ = run(capsys, "check", "softmax.ce_grad", "s - y")
    assert code == 0
    assert out.splitlines()[0] == "correct — proved for all sizes: an identity with the sizes as symbols."
    assert "Correct" not in out


@pytest.mark.parametrize("part, answer, shown, latex", [
    ("batchnorm.grad_x", "gamma*g_i/sqrt(sigma^2+eps)", ["understood: (γ gᵢ)/√(σ² + ε)", "x̂ᵢ", "μ and σ²"],
     "\\frac{\\gamma g_{i}}"),
    ("optim.gd_step_bound", r"0 < \epsilon \le 2/\lambda_{\max}", ["ε = 2/λₘₐₓ", "understood: 0 < ε ≤ 2/λₘₐₓ"],
     "\\lambda_{\\max}"),
    ("softmax.ce_grad", "s - y + (C-2)*(C-3)*(C-4)*s", ["the term (C - 2) (C - 3) (C - 4) s should not be there"],
     "\\left(C - 2\\right)"),
    ("softmax.ce_grad", "y - s", ["y = (0, 1)", "first difference at entry 1"], "y - s"),
])
def test_the_terminal_shows_mathematics_in_unicode(capsys, part, answer, shown, latex):
    code, out, _ = run(capsys, "check", part, answer, "--reveal")
    assert code == 1
    assert not RAW.search(out), out
    for text in shown:
        assert text in out, out
    _, raw, _ = run(capsys, "check", part, answer, "--reveal", "--json")
    assert latex in raw.replace("\\\\", "\\"), "--json keeps the LaTeX"


def test_a_conv_counterexample_is_summarised_and_whole_in_json(capsys):
    answer = r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,i+h,j+w}"
    code, out, _ = run(capsys, "check", "conv.grad_weight_2d", answer)
    assert code == 1 and not RAW.search(out), out
    assert "entry f = 0, c = 0, h = 0, w = 0: your answer -87, expected -80" in out
    assert "36 of 36 entries differ" in out
    assert "X (2×2×5×4), G (2×3×2×1)" in out
    assert len(out) < 1200, "the tensors' values stay in --json"
    _, raw, _ = run(capsys, "check", "conv.grad_weight_2d", answer, "--json")
    counter = json.loads(raw)["counterexample"]
    assert counter["differing"] == counter["entries"] == 36
    assert len(counter["tensors"]["X"]) == 2 and counter["entry"] == {"f": 0, "c": 0, "h": 0, "w": 0}


def test_whole_numbers_print_as_integers(capsys):
    _, out, _ = run(capsys, "check", "conv.params", "K^2*C_in*C_out", "--json")
    verdict = json.loads(out)
    values = verdict["counterexample"]["values"]
    assert all(isinstance(v, int) for v in values.values()), values
    assert isinstance(verdict["counterexample"]["answer"], int)
    assert ".0" not in verdict["message"]


def test_a_long_list_of_sizes_reads_as_their_ranges(capsys):
    from derive.cli.answers import summarise_sizes
    tuples = ", ".join(f"(1, {c}, 3)" for c in range(1, 13))
    text = f"proved at (B, C, s) = (1, 1, 1) and (2, 2, 2); equal at (B, C, s) = {tuples}, with g=1."
    assert summarise_sizes(text) == ("proved at (B, C, s) = (1, 1, 1) and (2, 2, 2); equal at 12 sizes "
                                     "(B = 1, C = 1..12, s = 3; all listed by --json), with g=1.")
    code, out, _ = run(capsys, "check", "conv.grad_bias", r"\sum_{a,i,j} G_{a,f,i,j}", "--timeout", "120")
    assert code == 0 and len(out) < 700 and "proved for all sizes with g=1, P=0, d=1" in out, out
    _, raw, _ = run(capsys, "check", "conv.grad_bias", r"\sum_{a,i,j} G_{a,f,i,j}", "--timeout", "120", "--json")
    assert json.loads(raw)["evidence"].startswith("proved for all sizes"), raw
