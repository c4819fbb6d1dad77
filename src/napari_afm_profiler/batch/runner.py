"""Running a batch: find the files, skip what is done, process the rest on dask, keep the output."""

from __future__ import annotations

import contextlib
import glob
import logging
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from napari_afm_profiler.batch.config import BatchConfig
from napari_afm_profiler.batch.process import FileOutcome, file_key, process_file
from napari_afm_profiler.batch.store import ResultStore
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain

SERIAL = "serial"
COMPILE_EVERY = 25


@dataclass(frozen=True)
class BatchSummary:
    """What a batch run did.

    Attributes
    ----------
    n_files : int
        Files found.
    n_skipped : int
        Already done with this configuration (by content hash).
    n_processed, n_errors, n_rows : int
        Processed now; of those, failed; rows in the compiled results (all runs).
    seconds : float
    out_dir : Path
    """

    n_files: int
    n_skipped: int
    n_processed: int
    n_errors: int
    n_rows: int
    seconds: float
    out_dir: Path

    def line(self) -> str:
        """One-line report (says plainly when nothing was found or no file gave a row)."""
        if self.n_files == 0:
            return "no AFM file found in the inputs: nothing to do (check the folder, the glob or the suffixes)"
        text = (f"{self.n_files} file(s): {self.n_processed} processed ({self.n_errors} failed), "
                f"{self.n_skipped} already done; {self.n_rows} rows in {self.out_dir / 'results.csv'} "
                f"({self.seconds:.1f} s)")
        if self.n_rows == 0:
            text += f"; 0 files gave rows: see {self.out_dir / 'errors.csv'}"
        return text


def discover(inputs: Iterable[str | Path], *, recursive: bool = True) -> list[Path]:
    """Files named, matched by globs, or found in folders (and their subfolders), that a reader recognises.

    Parameters
    ----------
    inputs : iterable of str or Path
    recursive : bool
        Look into the subfolders of the folders given.

    Returns
    -------
    files : list of Path
        Sorted, without duplicates. Files named explicitly are kept even when unrecognised (so
        the error report names them); files found in folders must have a supported suffix.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("a.gwy", "b.spm", "notes.txt~"):
    ...     _ = (folder / name).write_bytes(b"x")
    >>> [p.name for p in discover([folder])]
    ['a.gwy', 'b.spm']
    """
    from napari_afm_profiler.io.labels import LABEL_SUFFIXES
    from napari_afm_profiler.io.readers import detect_format

    found: dict[Path, None] = {}
    for item in inputs:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            for p in sorted(path.rglob("*") if recursive else path.glob("*")):
                if p.is_file() and detect_format(p) is not None and not _is_labels(p, LABEL_SUFFIXES):
                    found[p] = None
        elif any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError(f"no file matches {text!r}")
            for m in matches:
                if Path(m).is_file():
                    found[Path(m)] = None
        elif path.is_file():
            found[path] = None
        else:
            raise InputError(f"{text}: no such file or folder")
    return list(found)


def _is_labels(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.suffix.lower() in suffixes and "_labels" in path.stem


CONNECT_TIMEOUT_S = 5.0
"""How long a batch waits for a given dask scheduler before saying it cannot reach it."""


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[object]:
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S:g} s ({exc}); "
                             "check the address, or leave the scheduler empty for a local cluster") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_batch_steps(
    inputs: Iterable[str | Path],
    config: BatchConfig,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    recursive: bool = True,
) -> Generator[tuple[str, int, int], None, BatchSummary]:
    """Process every file not yet done; yields ``("files", done, total)``; returns a :class:`BatchSummary`.

    Parameters
    ----------
    inputs : iterable of str or Path
        Files, globs or folders.
    config : BatchConfig
    out_dir : str or Path
        Output folder (``results.csv``, ``results.parquet``, ``errors.csv``, ``parts/``).
    scheduler : str, optional
        ``"serial"`` to work in this process, a dask scheduler address (``tcp://host:8786``)
        for an existing cluster, or None for a local cluster of ``workers`` processes.
    workers : int
        Processes of the local cluster.
    recursive : bool
        Look into the subfolders of folders given in ``inputs`` too.

    Returns
    -------
    BatchSummary

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from napari_afm_profiler.batch import config_from_dict
    >>> from napari_afm_profiler.io.writers import write_image
    >>> from napari_afm_profiler.progress import drain
    >>> folder = Path(tempfile.mkdtemp())
    >>> scans = [write_image(folder / f"scan{i}.tif", np.random.default_rng(i).normal(size=(32, 32)),
    ...                      pixel_size_nm=(2.0, 2.0)) for i in range(2)]
    >>> progress = []
    >>> summary = drain(run_batch_steps(scans, config_from_dict({"roughness": {"groups": ["height"]}}), folder / "out",
    ...                                 scheduler="serial"), progress.append)
    >>> progress[-1], summary.n_rows
    (('files', 2, 2), 2)
    """
    start = time.perf_counter()
    files = discover(inputs, recursive=recursive)
    store = ResultStore(out_dir)
    done = store.done_keys()
    todo: list[tuple[str, str]] = []
    skipped = 0
    for path in files:
        try:
            key = file_key(path, config)
        except OSError as exc:
            store.add(FileOutcome(str(path), "", [], f"cannot read the file ({exc})"))
            continue
        if key in done:
            skipped += 1
        else:
            todo.append((str(path), key))
    total = len(todo)
    yield "files", 0, total
    errors = 0
    try:
        for i, outcome in enumerate(_outcomes(todo, config, scheduler, workers)):
            store.add(outcome)
            errors += outcome.error is not None
            if (i + 1) % COMPILE_EVERY == 0:
                store.compile()
            yield "files", i + 1, total
    finally:
        n_rows, _ = store.compile()
    return BatchSummary(len(files), skipped, total, errors, n_rows, time.perf_counter() - start, Path(out_dir))


def run(
    inputs: Iterable[str | Path],
    config: BatchConfig,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    recursive: bool = True,
) -> BatchSummary:
    """Process every file not yet done into ``out_dir``; the plain function beside :func:`run_batch_steps`.

    Same parameters as :func:`run_batch_steps`; returns its :class:`BatchSummary`.  A file that
    fails is recorded in ``errors.csv`` and the batch goes on; a rerun skips finished files.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from napari_afm_profiler.batch import config_from_dict
    >>> from napari_afm_profiler.io.writers import write_image
    >>> folder = Path(tempfile.mkdtemp())
    >>> scan = write_image(folder / "scan.tif", np.random.default_rng(0).normal(size=(64, 64)), pixel_size_nm=(2.0, 2.0))
    >>> config = config_from_dict({"roughness": {"groups": ["height"]}})
    >>> summary = run([scan], config, folder / "out", scheduler="serial")
    >>> summary.n_processed, summary.n_errors
    (1, 0)
    """
    return drain(run_batch_steps(inputs, config, out_dir, scheduler=scheduler, workers=workers, recursive=recursive))


def _outcomes(todo: list[tuple[str, str]], config: BatchConfig, scheduler: str | None,
              workers: int) -> Iterator[FileOutcome]:
    if not todo:
        return
    if scheduler == SERIAL:
        for path, key in todo:
            yield process_file(path, config, key)
        return
    from distributed import as_completed

    with _client(scheduler, workers) as client:
        futures = [client.submit(process_file, path, config, key, pure=False) for path, key in todo]
        try:
            for future in as_completed(futures):
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died takes only its file
                    path = todo[futures.index(future)][0]
                    outcome = FileOutcome(path, todo[futures.index(future)][1], [], f"worker failed: {exc}")
                yield outcome
                future.release()
        finally:
            for f in futures:
                f.cancel()
