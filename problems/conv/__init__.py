"""Convolution: the backward pass (gradients of weights, inputs and bias, with stride, padding,
dilation and groups; Toeplitz form; low-rank kernels) and conv arithmetic (output sizes,
parameters, multiply-accumulates, receptive fields, block costs). Indices start at 0."""
from .arithmetic import PARTS as _ARITHMETIC
from .backward import PARTS as _BACKWARD

TITLE = "Convolution"
PARTS = [*_BACKWARD, *_ARITHMETIC]
