"""An evaluation report on disk: plots (PNG), per-split scores and selection (CSV), summary (JSON)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from napari_afm_profiler.classify.evaluation import Evaluation
from napari_afm_profiler.classify.plots import PLOTS
from napari_afm_profiler.io.writers import atomic_write


def write_report(folder: str | Path, ev: Evaluation) -> list[Path]:
    """Write ``summary.json``, ``splits.csv``, ``selection.csv``, ``permutations.csv`` and one PNG per plot.

    Parameters
    ----------
    folder : str or Path
        Created if needed.
    ev : Evaluation

    Returns
    -------
    paths : list of Path
        Files written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    summary = dict(ev.summary(), summary_line=ev.summary_line())
    written.append(atomic_write(out / "summary.json",
                                lambda tmp: tmp.write_text(json.dumps(summary, indent=2), encoding="utf-8")))
    rows = io.StringIO()
    w = csv.writer(rows, lineterminator="\n")
    w.writerow(["split", "classes", "auc", "accuracy", "selected"])
    for kind, scores in (("true", ev.real), ("shuffled", ev.shuffled)):
        for i, s in enumerate(scores):
            w.writerow([i, kind, repr(s.auc), repr(s.accuracy), ";".join(s.selected)])
    written.append(atomic_write(out / "splits.csv", lambda tmp: tmp.write_text(rows.getvalue(), encoding="utf-8")))
    sel = io.StringIO()
    w = csv.writer(sel, lineterminator="\n")
    w.writerow(["parameter", "selected_share", "mean_gini_importance"])
    importance = ev.mean_importance()
    for name, share in ev.selection_frequency().items():
        w.writerow([name, repr(share), repr(importance[name])])
    written.append(atomic_write(out / "selection.csv", lambda tmp: tmp.write_text(sel.getvalue(), encoding="utf-8")))
    if ev.p_value is not None:
        perm = "permutation,mean_auc\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(ev.permuted_mean_aucs))
        written.append(atomic_write(out / "permutations.csv", lambda tmp: tmp.write_text(perm, encoding="utf-8")))
    for name, make in PLOTS.items():
        fig = make(ev)
        written.append(atomic_write(out / f"{name}.png", lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=120)))
    return written
