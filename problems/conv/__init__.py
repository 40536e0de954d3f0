"""Convolution: the backward pass (gradients of weights, inputs and bias, with stride, padding,
dilation and groups; Toeplitz form; low-rank kernels) and conv arithmetic (output sizes,
parameters, multiply-accumulates, receptive fields, block costs). Indices start at 0."""
from . import arithmetic, backward, networks

TITLE = "Convolution"
PARTS = [*backward.PARTS, *arithmetic.PARTS, *networks.PARTS]
