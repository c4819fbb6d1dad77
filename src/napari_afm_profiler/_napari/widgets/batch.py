"""The "Batch" dock widget: run a batch configuration on a folder, see the table, open any row's file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from magicgui.widgets import CheckBox, Container, FileEdit, LineEdit, PushButton, SpinBox, Table
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import make_scrollable, refuse, reports_errors, text_line
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler._napari.widgets._workers import start_worker

if TYPE_CHECKING:
    import napari

MAX_ROWS_SHOWN = 2000


class BatchWidget(Container):
    """Process every AFM file of a folder with a YAML configuration (or the defaults), resumably."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.results: Any = None
        self.folder = FileEdit(label="input folder", mode="d", value="")  # no default: the user picks one
        self.recursive = CheckBox(label="include subfolders", value=False)
        self.pattern = LineEdit(label="only files matching", value="", tooltip="a glob such as **/*.spm (optional)")
        self.config = FileEdit(label="configuration (YAML)", mode="r", filter="*.yaml *.yml",
                               tooltip="leave empty for the defaults; write one with: afm-profiler batch create-config")
        self.output = FileEdit(label="output folder", mode="d")
        self.workers = SpinBox(label="worker processes", min=1, max=256, value=2)
        self.scheduler = LineEdit(label="dask scheduler", value="",
                                  tooltip="empty: a local cluster; an address such as tcp://host:8786; or serial")
        self.run_button = PushButton(text="Run batch")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.table = Table()
        self.table.native.setSortingEnabled(True)
        self.table.native.setMinimumHeight(200)
        self.open_button = PushButton(text="Open the selected row's file")
        self.extend([self.folder, self.recursive, self.pattern, self.config, self.output, self.workers, self.scheduler,
                     self.run_button, self.cancel, self.status, self.table, self.open_button])
        self.run_button.changed.connect(self.run)
        self.cancel.changed.connect(self._cancel)
        self.open_button.changed.connect(self.open_selected)
        remember_settings(self, "batch")
        make_scrollable(self)  # every dock scrolls: nothing off a small screen

    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelling: finishing the files in flight…"

    def _inputs(self) -> list[str]:
        if str(self.folder.value) in ("", "."):
            raise ValueError("choose an input folder")
        folder = Path(self.folder.value)
        if not folder.is_dir():
            raise ValueError(f"{folder} is not a folder")
        pattern = self.pattern.value.strip()
        return [str(folder / pattern)] if pattern else [str(folder)]

    @reports_errors("Batch")
    def run(self, *_: Any) -> Any:
        """Run the batch in a worker with progress and cancel; show the results table when done."""
        from napari_afm_profiler.batch import load_config, run_batch_steps

        try:
            inputs = self._inputs()
            config_path = Path(self.config.value) if str(self.config.value) not in ("", ".") else None
            if config_path is not None and not config_path.is_file():
                raise ValueError(f"the config file {config_path} does not exist (leave it empty for the defaults)")
            config = load_config(config_path)
            out = Path(self.output.value)
            if str(self.output.value) in ("", "."):
                raise ValueError("choose an output folder")
        except ValueError as exc:
            refuse(self.status, "Batch", str(exc))
            return None
        scheduler = self.scheduler.value.strip() or None
        workers = self.workers.value
        recursive = self.recursive.value

        @thread_worker(progress={"total": 0, "desc": "batch"}, ignore_errors=True)
        def work():
            return (yield from run_batch_steps(inputs, config, out, scheduler=scheduler, workers=workers,
                                               recursive=recursive))

        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]}: {step[1]} / {step[2]}"

        def done(summary: Any) -> None:
            self.show_results(summary.out_dir)
            self.status.value = summary.line() + (f" — {summary.n_errors} failed: see errors.csv" if summary.n_errors
                                                  else "")

        self.worker = start_worker(work(), status=self.status, buttons=[self.run_button], cancel=self.cancel,
                                   on_done=done, on_yield=report)
        return self.worker

    def show_results(self, out_dir: Path) -> None:
        """Load ``results.csv`` of ``out_dir`` into the table (errors as a tooltip)."""
        import pandas as pd

        self.results = pd.read_csv(out_dir / "results.csv")
        shown = self.results.head(MAX_ROWS_SHOWN)
        self.table.native.setSortingEnabled(False)
        self.table.value = {c: [None if pd.isna(v) else v for v in shown[c]] for c in shown.columns} if len(shown) else {}
        self.table.native.setSortingEnabled(True)
        errors = pd.read_csv(out_dir / "errors.csv")
        self.status.tooltip = "\n".join(f"{Path(f).name}: {e}" for f, e in zip(errors["file"], errors["error"]))

    @reports_errors("Batch")
    def open_selected(self, *_: Any) -> list[Any]:
        """Open the file of the selected row as layers (with this plugin's reader)."""
        native = self.table.native
        rows = native.selectionModel().selectedRows() if native.selectionModel() else []
        if self.results is None or not rows:
            self.status.value = "select a row first"
            return []
        column = list(self.results.columns).index("file")
        path = native.item(rows[0].row(), column).text()
        # through the plugin's readers directly: a batch folder may hold TIFF or .npy files that
        # napari does not route to the plugin (only AFM-specific suffixes are claimed)
        from napari.layers import Layer

        from napari_afm_profiler._napari.reader import read_layers

        return [self.viewer.add_layer(Layer.create(data, kwargs, kind)) for data, kwargs, kind in read_layers(path)]
