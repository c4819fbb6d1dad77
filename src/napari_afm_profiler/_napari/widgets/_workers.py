"""Wiring shared by the docks that run long work: progress text, result, errors, run/cancel buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def start_worker(worker: Any, *, status: Any, buttons: Sequence[Any], cancel: Any, on_done: Callable[[Any], None],
                 on_yield: Callable[[Any], None] | None = None) -> Any:
    """Connect a napari ``thread_worker`` to a dock's controls and start it.

    While it runs the ``buttons`` are disabled and ``cancel`` enabled; errors are shown in
    ``status`` (never raised into the viewer: create workers with ``ignore_errors=True``); ``on_done``
    receives the returned value.
    """
    if on_yield is not None:
        worker.yielded.connect(on_yield)
    worker.returned.connect(on_done)
    worker.errored.connect(lambda exc: setattr(status, "value", f"error: {exc}"))

    def finished() -> None:
        cancel.enabled = False
        for button in buttons:
            button.enabled = True

    worker.finished.connect(finished)
    # connected before start, so a caller can never miss the end of a worker that is quicker
    # than its own connection to ``finished`` (tests wait on this flag)
    worker.afm_done = False
    worker.finished.connect(lambda: setattr(worker, "afm_done", True))
    cancel.enabled = True
    for button in buttons:
        button.enabled = False
    worker.start()
    return worker
