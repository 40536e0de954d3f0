"""``derive check`` on the command line: an answer that starts with '-' is the answer, not
an option; ``--`` is documented; a part without answers refuses one, as in Python."""
import json

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
        assert out.startswith(f"{verdict}:")


def test_options_are_still_options(capsys):
    args = parser().parse_args(["check", "softmax.ce_grad", "-y", "--rev", "--seed", "3", "--syntax=text"])
    assert (args.answer, args.reveal, args.seed, args.syntax) == ("-y", True, 3, "text")
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
