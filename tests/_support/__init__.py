"""Helpers the tests and benchmarks share (fuzzing, synthetic populations); not shipped in the wheel."""
