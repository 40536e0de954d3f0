"""Conv arithmetic: shapes, parameters, mults, receptive fields, block costs (issue 12)."""
PARTS = []
