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
        # progress that arrives after Cancel must not overwrite "cancelled"
        worker.yielded.connect(lambda value: None if worker.abort_requested else on_yield(value))
    worker.returned.connect(on_done)
    worker.errored.connect(lambda exc: _report_error(status, exc))
    if hasattr(worker, "aborted"):  # generator workers stop at their next step when cancelled
        worker.aborted.connect(lambda: setattr(status, "value", "cancelled"))

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


def _report_error(status: Any, exc: BaseException) -> None:
    """Say an error in the dock's status line and as a napari notification (never napari's bare red notice)."""
    from napari.utils.notifications import show_error

    message = f"error: {exc}"
    status.value = message
    show_error(message)
