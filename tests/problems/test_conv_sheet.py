"""The conv sheet as written (issue 18): every subscript of more than one letter braced
(H_{in}, never H_in, which prints as H_i n), and the named indices defined on the page.

Reads DERIVE_PAGES/conv.tex when DERIVE_PAGES is set, else builds the conv sheet's LaTeX."""
import os
import re
from pathlib import Path

import pytest

from derive.cli.main import main

UNBRACED = re.compile(r"(?<!\\)_([A-Za-z]{2,})")   # \_ is an escaped underscore in prose


@pytest.fixture(scope="module")
def conv_tex(tmp_path_factory) -> str:
    given = os.environ.get("DERIVE_PAGES")
    if given:
        return (Path(given) / "conv.tex").read_text(encoding="utf-8")
    out = tmp_path_factory.mktemp("conv-sheet")
    assert main(["build", "conv", "--out", str(out), "--format", "tex"]) == 0
    return (out / "conv.tex").read_text(encoding="utf-8")


def test_the_pattern_finds_an_unbraced_subscript():
    assert UNBRACED.findall(r"at $H_in = 3$, $x_{in}$, conv.grad\_bias") == ["in"]


@pytest.mark.slow
def test_no_multi_letter_subscript_is_unbraced(conv_tex):
    lines = [line for line in conv_tex.splitlines() if UNBRACED.search(line)]
    assert not lines, "\n".join(lines[:10])


@pytest.mark.slow
def test_named_indices_are_defined_on_the_sheet(conv_tex):
    for definition in (r"\gamma(c) = \left\lfloor{c g / C}\right\rfloor", r"F_g = F / g",
                       r"k_i = \left(h + P - s i\right) / d", r"o_j = \left(m + P - d j\right) / s",
                       r"\gamma(f) = \left\lfloor{f g / F}\right\rfloor"):
        assert f"${definition}$" in conv_tex, definition
