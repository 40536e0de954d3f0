"""The conv backward pass: gradients derived from the forward definition (issue 11)."""
PARTS = []
