"""Parameters and the variants a seed draws (the model: drawing, ranges, errors; no verification)."""
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive import InvalidArgument, NotParametrised, Param, ParameterOutOfRange, Parameters, ProblemDefinitionError
from derive.model.parameters import seed_bytes, variant_part, with_values

TWO_LAYER = "backprop.two_layer"


def test_same_seed_same_values_and_statement():
    part = derive.get_part(TWO_LAYER)
    a, b = variant_part(part, "alice"), variant_part(part, "alice")
    assert a[1] == b[1] and a[0].statement == b[0].statement


def test_different_seeds_different_numbers_and_neither_is_the_catalogue():
    part = derive.get_part(TWO_LAYER)
    alice, bob = variant_part(part, "alice"), variant_part(part, "bob")
    assert alice[1] != bob[1] and alice[0].statement != bob[0].statement
    assert part.parameters.defaults() not in (alice[1], bob[1])
    assert part.statement not in (alice[0].statement, bob[0].statement)


def test_the_draw_is_sha256_not_python_hash():
    # The draw is a function of SHA-256 only: recomputed here by hand for one parameter, and
    # the same in a fresh interpreter with another hash seed.
    part = derive.get_part("conv.receptive_field")
    values = variant_part(part, "alice")[1]
    choices = part.parameters.params[0].values()
    digest = hashlib.sha256("\x1f".join(["conv.receptive_field", "alice", "0", "0", "k1"]).encode()).digest()
    assert seed_bytes("conv.receptive_field", "alice", 0, 0, "k1") == digest
    if values != part.parameters.defaults():   # the first of the draws was taken
        assert values["k1"] == choices[int.from_bytes(digest, "big") % len(choices)]
    code = ("import derive; from derive.model.parameters import variant_part; "
            "print(variant_part(derive.get_part('conv.receptive_field'), 'alice')[1])")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PYTHONPATH": str(Path(derive.__file__).parents[1])})
    assert other.stdout.strip() == str(values)


def test_defaults_make_the_catalogue_part():
    part = derive.get_part("optim.adam_first_step")
    again = with_values(part, part.parameters.defaults())
    assert again.statement == part.statement and again.steps[-1].why == part.steps[-1].why


@pytest.mark.parametrize("part_id, values, message", [
    ("backprop.two_layer", {"eta": "5"}, r"parameter eta = '5' is outside its range: the learning rate takes 0.1 to 1.0"),
    ("backprop.two_layer", {"i1": "0.07"}, r"i1 = '0.07' is outside its range"),
    ("conv.receptive_field", {"k1": 4}, r"k1 = 4 is outside its range: .* takes one of 3, 5, 7"),
    ("optim.adam_first_step", {"beta_1": "1"}, r"beta_1 = '1' is outside its range"),
    ("backprop.neuron_sgd", {"x_a": 0}, r"x_a = 0 is outside its range"),
    ("backprop.neuron_sgd", {"x_a": 1, "t_a": 1, "x_b": 1, "t_b": 1}, r"the two samples are the same"),
])
def test_a_parameter_outside_its_range_is_named(part_id, values, message):
    with pytest.raises(ParameterOutOfRange, match=message):
        with_values(derive.get_part(part_id), values)


@pytest.mark.parametrize("call, error, message", [
    (lambda: variant_part(derive.get_part(TWO_LAYER), 42), InvalidArgument, r"seed must be text .* not int 42"),
    (lambda: variant_part(derive.get_part(TWO_LAYER), None), InvalidArgument, r"seed must be text"),
    (lambda: variant_part(derive.get_part(TWO_LAYER), "  "), InvalidArgument, r"non-empty"),
    (lambda: variant_part(derive.get_part(TWO_LAYER), "a\ud800"), InvalidArgument, r"UTF-8 can encode.*position 1"),
    (lambda: variant_part(derive.get_part("softmax.ce_grad"), "alice"), NotParametrised,
     r"'softmax.ce_grad' has no parameters.*backprop.two_layer"),
    (lambda: with_values(derive.get_part(TWO_LAYER), {"eta2": "0.1"}), InvalidArgument, r"unknown parameter 'eta2'"),
    (lambda: derive.variant("backprop.nope", "alice"), derive.UnknownPart, r"unknown part 'backprop.nope'"),
    (lambda: derive.variant(TWO_LAYER, 7), InvalidArgument, r"seed must be text"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("make, message", [
    (lambda: Param("a", "0.1", low="0.2", high="0.5", step="0.1"), r"default '0.1' is not among its values"),
    (lambda: Param("a", 1, choices=(1, 2), low=0), r"choices or a range, not both"),
    (lambda: Param("a", 1), r"give choices, or low, high and step"),
    (lambda: Parameters((Param("a", 1, choices=(1, 2)),), dict, lambda v: "never"), r"default parameters \{'a': 1\} are not valid: never"),
])
def test_a_bad_declaration_is_refused(make, message):
    with pytest.raises(ProblemDefinitionError, match=message):
        make()


def test_grid_values_are_exact_decimals():
    assert Param("eta", "0.1", low="0.1", high="0.3", step="0.1").values() == ("0.1", "0.2", "0.3")
    assert Param("n", 3, low=1, high=5, step=2).values() == (1, 3, 5)


def test_rates_that_make_no_progress_are_named():
    from problems import backprop
    values = {**derive.get_part(TWO_LAYER).parameters.defaults(), "eta": "-0.4"}
    assert backprop.two_layer_progress(values) == "the step at learning rate -0.4 does not lower E"
    assert backprop.two_layer_progress(derive.get_part(TWO_LAYER).parameters.defaults()) is None
    neuron = {**derive.get_part("backprop.neuron_sgd").parameters.defaults(), "eta": "-0.1"}
    assert "does not lower the loss on its sample" in backprop.sensible_neuron_run(neuron)
