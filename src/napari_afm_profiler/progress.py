"""Long work is a generator that yields progress and returns its result (stardist's convention)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

T = TypeVar("T")


def drain(steps: Generator[Any, None, T], report: Callable[[Any], None] | None = None) -> T:
    """Run a progress generator to the end, handing each progress item to ``report``; return its result.

    Examples
    --------
    >>> def work():
    ...     yield "half"
    ...     return 42
    >>> drain(work())
    42
    """
    while True:
        try:
            item = next(steps)
        except StopIteration as done:
            return done.value
        if report is not None:
            report(item)
