"""derive.model: domains sample what they promise, namespaces, declarations refused with a reason."""
import numpy as np
import pytest
import sympy as sp

from derive import Derivation, Grading, Part, ProblemDefinitionError, Sheet, Slip, Variable
from derive.model.domains import ONE_HOT, SIMPLEX, SPD
from derive.model.part import Namespace

x, y = sp.symbols("x y", real=True)

def test_domains_sample_what_they_promise(rng):
    s = SIMPLEX.sample(rng, (5,))
    assert np.all(s > 0) and np.isclose(s.sum(), 1)
    y = ONE_HOT.sample(rng, (5,))
    assert sorted(y.tolist()) == [0, 0, 0, 0, 1]
    h = SPD.sample(rng, (4, 4))
    assert np.allclose(h, h.T) and np.all(np.linalg.eigvalsh(h) > 0)


def test_namespace_gives_explicit_and_general_objects():
    variables = (Variable("z", ("C",)), Variable("H", ("C", "C"), SPD, symmetric=True))
    explicit = Namespace(variables, {"C": 3})
    assert explicit.z.shape == (3, 1) and explicit.C == 3
    assert explicit.H[0, 1] == explicit.H[1, 0]
    general = Namespace(variables)
    assert isinstance(general.C, sp.Symbol) and general.z.shape == (general.C, 1)
    with pytest.raises(AttributeError, match="no variable or size 'q'"):
        general.q


@pytest.mark.parametrize("declare, message", [
    (lambda: Variable("bad name"), "letters, digits"),
    (lambda: Variable("t", ("a", "b", "c")), "more than 2 axes"),
    (lambda: Variable("s", definition=lambda v: 0), "both definition"),
    (lambda: Part("nodot", "t", Sheet("s"), Derivation(lambda v: 0, lambda v: 0, "x")), "family.part"),
    (lambda: Part("f.p", "t", Sheet("s"), Derivation(lambda v: 0, lambda v: 0, "x", (Variable("z", ("C",)),))),
     r"no proof sizes for dimensions \['C'\]"),
    (lambda: Part("f.p", "t", "s", Derivation(lambda v: 0, lambda v: 0, "x")), "sheet must be a Sheet"),
    (lambda: Part("f.p", "t", Sheet("s"), Derivation(lambda v: 0, lambda v: 0, "x"), (Slip("x", "why"),)),
     "grading must be a Grading"),
    (lambda: Part("f.p", "t", derivation=Derivation(lambda v: 0, lambda v: 0, "x")), "needs a Sheet"),
])
def test_bad_declarations_are_refused_with_a_reason(declare, message):
    with pytest.raises(ProblemDefinitionError, match=message):
        declare()


def test_a_part_is_its_three_concerns_read_through_by_the_engine_s_names():
    import dataclasses
    declared = Part("f.p", "t", Sheet("Find $y$."), Derivation(lambda v: 2 * v.x, lambda v: 2 * v.x, "y",
                                                                (Variable("x"),)), Grading(expects="y"))
    again = Part("f.p", "t", Sheet("Find $y$."), Derivation(declared.derive, declared.result, "y",
                                                             declared.variables), Grading(expects="y"))
    assert again == declared and declared.answer and declared.statement == "Find $y$."
    assert declared.slips == () and declared.steps == () and declared.oracle is None
    quiet = dataclasses.replace(declared, grading=None)
    assert quiet.grading is None and not quiet.answer and quiet.expects == ""
    changed = dataclasses.replace(declared, derivation=dataclasses.replace(declared.derivation, result_lhs="z"))
    assert changed.derivation.result_lhs == "z" and changed.sheet is declared.sheet
    with pytest.raises(TypeError):   # the concerns' fields are given to the concerns only
        Part("f.p", "t", statement="Find $y$.", derive=declared.derive, result=declared.result, result_lhs="y")
