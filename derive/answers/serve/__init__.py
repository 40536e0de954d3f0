"""Serving checks: the worker pool with its limits, batches of submissions (grading) and
free expressions (derive.equivalent). Imports decide and read."""
