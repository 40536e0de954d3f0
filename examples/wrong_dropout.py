"""A deliberately wrong claim, to see `derive verify` refute it:

    derive --problems examples/wrong_dropout.py verify wrong_dropout

The penalty of the expected dropout loss is p(1-p) w^T diag(X^T X) w; this file claims
(1-p)^2 instead. The closed form is refuted at the first proof size with a counterexample,
and the enumeration oracle and the Monte Carlo check disagree with it too."""
import dataclasses

from derive import get_part
from derive.functions import diag, squared_norm
from problems.dropout import quad

TITLE = "A wrong dropout regulariser"

PARTS = [dataclasses.replace(
    get_part("dropout.expected_loss"), id="wrong_dropout.expected_loss", neighbours=(), figures=(),
    title="Expected dropout loss with (1-p)^2 in place of p(1-p) (wrong on purpose)",
    result=lambda v: squared_norm(v.y - v.p * v.X * v.w) + (1 - v.p) ** 2 * quad(v.w, diag(v.X.T * v.X)),
)]
