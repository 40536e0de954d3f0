"""Notation symbols: a plain name that orders terms, and the LaTeX the one printer writes."""
import pickle

import sympy as sp

from derive.model.functions import Notation
from derive.render.printing import latex

D_MU = Notation("dl_dmu", r"\frac{\partial l}{\partial \mu}")


def test_a_notation_symbol_prints_its_latex_and_keeps_a_plain_name():
    assert D_MU.name == "dl_dmu" and D_MU.name.isidentifier()
    assert latex(D_MU / sp.Symbol("m")) == r"\frac{\frac{\partial l}{\partial \mu}}{m}"


def test_it_leads_plain_symbols_in_a_sum_as_a_latex_named_symbol_did():
    x = sp.Symbol("x")
    assert latex(x + D_MU) == latex(x + sp.Symbol(r"\frac{\partial l}{\partial \mu}"))


def test_notation_symbols_order_by_name_among_themselves():
    hat, var = Notation("dl_dhat_x_i", r"\hat{x}_i"), Notation("dl_dsigma2", r"\sigma^2")
    assert latex(var + D_MU + hat) == r"\hat{x}_i + \mu + \sigma^2".replace(r"\mu", r"\frac{\partial l}{\partial \mu}")


def test_it_survives_pickling_and_substitution():
    copy = pickle.loads(pickle.dumps(D_MU))
    assert copy == D_MU and copy.latex == D_MU.latex
    assert (D_MU + 1).subs(D_MU, 2) == 3
