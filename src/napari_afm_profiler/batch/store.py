"""Batch output on disk: one part file per processed file, compiled into the tidy tables.

``OUT_DIR/parts/<key>.json`` is written atomically as soon as a file is done, so an
interrupted run loses at most the files in flight; ``results.csv``, ``results.parquet`` and
``errors.csv`` are rebuilt from the parts (atomically) during and at the end of every run.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from napari_afm_profiler.batch.process import FileOutcome
from napari_afm_profiler.io.writers import atomic_write

LEADING = ("file", "channel", "frame", "region")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


class ResultStore:
    """The output folder of a batch run.

    Parameters
    ----------
    out_dir : str or Path
        Created if needed.
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.parts = self.out_dir / "parts"
        self.parts.mkdir(parents=True, exist_ok=True)

    def _part(self, outcome: FileOutcome) -> Path:
        key = outcome.key or "unreadable-" + hashlib.sha256(outcome.file.encode()).hexdigest()[:20]
        return self.parts / f"{key}.json"

    def done_keys(self) -> set[str]:
        """Keys of files already processed without error (a re-run skips them; failed files are retried)."""
        done = set()
        for part in self.parts.glob("*.json"):
            try:
                if json.loads(part.read_text(encoding="utf-8")).get("error") is None:
                    done.add(part.stem)
            except (json.JSONDecodeError, UnicodeDecodeError, OSError):
                continue  # a damaged part is simply redone
        return done

    def add(self, outcome: FileOutcome) -> Path:
        """Record one file's outcome (atomically); an earlier failed outcome of the same file is replaced."""
        data = {"file": outcome.file, "key": outcome.key, "error": outcome.error, "seconds": outcome.seconds,
                "rows": [{k: _clean(v) for k, v in row.items()} for row in outcome.rows]}
        text = json.dumps(data)
        return atomic_write(self._part(outcome), lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def compile(self) -> tuple[int, int]:
        """Rebuild ``results.csv``, ``results.parquet`` and ``errors.csv`` from every part.

        Returns
        -------
        n_rows, n_errors : int
        """
        import pandas as pd

        rows, errors = [], []
        for part in sorted(self.parts.glob("*.json")):
            try:
                data = json.loads(part.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError, OSError):
                continue
            if data.get("error") is not None:
                errors.append({"file": data["file"], "error": data["error"]})
            rows.extend(data.get("rows", []))
        table = pd.DataFrame(rows)
        if not table.empty:
            leading = [c for c in LEADING if c in table.columns]
            table = table[leading + [c for c in table.columns if c not in leading]]
            table = table.sort_values([c for c in ("file", "channel", "frame", "region") if c in table]).reset_index(
                drop=True)
        else:
            table = pd.DataFrame(columns=["file", "channel", "region"])
        atomic_write(self.out_dir / "results.csv", lambda tmp: table.to_csv(tmp, index=False))
        try:
            import pyarrow  # noqa: F401 - Parquet needs it

            atomic_write(self.out_dir / "results.parquet", lambda tmp: table.to_parquet(tmp, index=False))
        except ImportError:
            pass
        err = pd.DataFrame(errors, columns=["file", "error"]).sort_values("file")
        atomic_write(self.out_dir / "errors.csv", lambda tmp: err.to_csv(tmp, index=False))
        return len(table), len(err)
