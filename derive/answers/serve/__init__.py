"""Serving checks: the worker pool with its limits, batches of submissions (grading, its
summary page, the output folder replaced as one unit) and free expressions
(derive.equivalent). Imports decide and read."""
