"""Project-wide exceptions: every bad input raises a subclass of one error."""

from __future__ import annotations

from pathlib import Path


class AfmProfilerError(ValueError):
    """Base class of every error the project raises on bad input."""


class AFMFormatError(AfmProfilerError):
    """A file could not be read: it is corrupt, truncated or not of the expected format.

    Parameters
    ----------
    path : str or Path
        The file that failed.
    problem : str
        What is wrong, in words a user understands.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")


class InputError(AfmProfilerError):
    """An array or argument given to a core function is unusable (shape, NaNs, units)."""
