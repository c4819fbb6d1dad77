"""The "Roughness" dock widget: ISO 25178 parameters of image layers, per image, tile or label.

Results go into a sortable table in the dock (rows select labels in the viewer and back),
into the labels layer's ``features`` (shown on hover), to CSV, and into a per-class plot.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import CheckBox, ComboBox, Container, FileEdit, FloatSpinBox, PushButton, Select, SpinBox, Table
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import (
    add_plot_canvas,
    export_table_csv,
    is_calibrated,
    label_of_selected_row,
    layer_choices,
    make_scrollable,
    refuse,
    reports_errors,
    select_row_of_label,
    snapshot,
    text_line,
)
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler._napari.widgets._workers import start_worker

if TYPE_CHECKING:
    import napari

WHOLE_IMAGE = "(none: whole image)"
NO_CLASSES = "(no classes: histogram)"
TILES = ("1x1", "2x2", "3x3", "4x4")
MAX_TOOLTIP_LINES = 40


class RoughnessWidget(Container):
    """Compute roughness parameters of one or several channels, optionally per labelled region."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        from napari_afm_profiler.roughness import GROUPS

        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.table_data: Any = None  # pandas DataFrame of the last result
        self._syncing = False
        self.images = Select(label="channels (images)", choices=self._image_choices)
        self.labels_layer = ComboBox(label="labels", choices=self._labels_choices)
        self.groups = Select(label="parameter groups", choices=list(GROUPS), value=list(GROUPS))
        from napari_afm_profiler.roughness.settings import LEVEL_CHOICES

        self.level = ComboBox(label="F-operator (levelling)", choices=list(LEVEL_CHOICES), value="plane")
        self.s_filter = FloatSpinBox(label="S-filter λs (nm, 0 = none)", min=0.0, max=1e6, step=0.5, value=0.0)
        self.l_filter = FloatSpinBox(label="L-filter λc (nm, 0 = none)", min=0.0, max=1e7, step=10.0, value=0.0)
        self.l_robust = CheckBox(label="robust L-filter (ISO 16610-71)", value=False)
        self.region_level = ComboBox(label="regions levelled by", choices=[("own fit", "own"),
                                     ("substrate fit of the image", "substrate"), ("none (mean only)", "none")],
                                     value="own")
        self.surface_label = text_line(label="evaluated surface", value="")
        self.erosion = SpinBox(label="erode region border (px)", min=0, max=50, value=0)
        self.tiles = ComboBox(label="tiles (no labels)", choices=list(TILES), value="1x1")
        self.tile_rows = CheckBox(label="one row per tile", value=False)
        self.wolf = FloatSpinBox(label="Wolf pruning (% of Sz)", min=0.0, max=50.0, step=0.5, value=5.0)
        self.acf_s = FloatSpinBox(label="Sal/Str threshold s", min=0.01, max=0.99, step=0.05, value=0.2)
        self.smr_c = FloatSpinBox(label="Smr(c): c (nm)", min=-1e6, max=1e6, step=0.5, value=0.0)
        self.smc_mr = FloatSpinBox(label="Smc(mr): mr (%)", min=0.0, max=100.0, step=1.0, value=10.0)
        self.run_button = PushButton(text="Compute")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.table = Table()
        self.table.native.setSortingEnabled(True)
        self.table.native.setMinimumHeight(160)
        self.csv_path = FileEdit(label="CSV file", mode="w", filter="*.csv", value="roughness.csv")
        self.export_button = PushButton(text="Export CSV")
        self.plot_parameter = ComboBox(label="plot parameter", choices=[])
        self.plot_classes = ComboBox(label="classes from", choices=self._class_choices)
        self.extend([self.images, self.labels_layer, self.groups, self.level, self.s_filter, self.l_filter, self.l_robust,
                     self.region_level, self.surface_label, self.erosion, self.tiles, self.tile_rows, self.wolf,
                     self.acf_s, self.smr_c, self.smc_mr, self.run_button, self.cancel, self.status, self.table,
                     self.csv_path, self.export_button, self.plot_parameter, self.plot_classes])
        self._add_plot()
        self.run_button.changed.connect(self.run)
        self.cancel.changed.connect(self._cancel)
        self.export_button.changed.connect(self.export_csv)
        self.plot_parameter.changed.connect(self.plot)
        self.plot_classes.changed.connect(self.plot)
        self.table.native.itemSelectionChanged.connect(self._row_selected)
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(lambda *_: self.reset_choices())
        self._followed: set[int] = set()
        self.viewer.layers.events.inserted.connect(self._follow_labels)
        self._follow_labels()
        remember_settings(self, "roughness")
        make_scrollable(self)  # taller than a 1280 x 800 screen otherwise

    # choices -------------------------------------------------------------------------------
    def _image_choices(self, *_: Any) -> list[Any]:
        return layer_choices(self.viewer, "image")
    def _labels_choices(self, *_: Any) -> list[Any]:
        return [(WHOLE_IMAGE, None), *layer_choices(self.viewer, "labels")]
    def _class_choices(self, *_: Any) -> list[str]:
        layer = self.labels_layer.value if hasattr(self, "labels_layer") else None
        extra: list[str] = []
        if layer is not None:
            features = layer.features
            from pandas.api.types import is_float_dtype

            extra = [c for c in features.columns if c != "index" and not is_float_dtype(features[c])]
        return [NO_CLASSES, *extra]

    # running -------------------------------------------------------------------------------
    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled"

    def _inputs(self) -> tuple[dict[str, np.ndarray], tuple[float, float], np.ndarray | None]:
        layers = list(self.images.value)
        if not layers:
            raise ValueError("choose at least one image layer")
        pixel = (float(layers[0].scale[-2]), float(layers[0].scale[-1]))
        for ly in layers[1:]:
            if not np.allclose(ly.scale[-2:], pixel, rtol=1e-6):
                raise ValueError(f"pixel sizes differ: {layers[0].name} {pixel} vs {ly.name} {tuple(ly.scale[-2:])}")
        if not is_calibrated(layers[0]):
            raise ValueError(f"{layers[0].name} has no pixel size in nm (scale is in pixels)")
        channels = {ly.name: snapshot(ly.data, np.float64) for ly in layers}
        labels_layer = self.labels_layer.value
        labels = None if labels_layer is None else snapshot(labels_layer.data)
        return channels, pixel, labels

    @reports_errors("Roughness")
    def run(self, *_: Any) -> Any:
        """Compute in a worker (progress, cancel); show the table and write layer features."""
        from napari_afm_profiler.roughness import RoughnessSettings, channel_table_steps

        try:
            channels, pixel, labels = self._inputs()
            settings = RoughnessSettings(level=self.level.value, wolf_pruning_pct=self.wolf.value,
                                         acf_threshold=self.acf_s.value, smr_c_nm=self.smr_c.value,
                                         smc_mr_pct=self.smc_mr.value, s_filter_nm=self.s_filter.value or None,
                                         l_filter_nm=self.l_filter.value or None, l_filter_robust=self.l_robust.value)
            groups = list(self.groups.value)
            if not groups:
                raise ValueError("choose at least one parameter group")
        except ValueError as exc:
            refuse(self.status, "Roughness", str(exc))
            return None
        self.echo = settings.echo()
        self.surface_label.value = f"surface: {self.echo['surface']}; {self.echo['operators']}"
        region_level = self.region_level.value
        tiles = None if labels is not None or self.tiles.value == "1x1" else tuple(map(int, self.tiles.value.split("x")))
        tile_rows = bool(self.tile_rows.value and tiles is not None)
        erosion = self.erosion.value
        labels_layer = self.labels_layer.value

        @thread_worker(progress={"total": 0, "desc": "roughness"}, ignore_errors=True)
        def work():
            steps = channel_table_steps(channels, pixel_size_nm=pixel, labels=labels, groups=groups,
                                        settings=settings, border_erosion_px=erosion, tiles=tiles, tile_rows=tile_rows,
                                        region_level=region_level)
            return (yield from steps)

        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]}: {step[1]} / {step[2]}"

        def done(table: Any) -> None:
            self.show_table(table, labels_layer)

        self.worker = start_worker(work(), status=self.status, buttons=[self.run_button], cancel=self.cancel,
                                   on_done=done, on_yield=report)
        return self.worker

    def show_table(self, table: Any, labels_layer: Any) -> None:
        """Display a RoughnessTable, store it in the labels layer's features, refresh the plot."""
        df = table.to_pandas()
        self.table_data = df
        self.table.native.setSortingEnabled(False)
        self.table.value = {c: [_cell(v) for v in df[c]] for c in df.columns}
        self.table.native.setSortingEnabled(True)
        if labels_layer is not None:
            labels_layer.features = _merge_features(labels_layer.features, df)
            labels_layer.metadata = {**labels_layer.metadata, "roughness_operators": dict(getattr(self, "echo", {}))}
        params = [c for c in df.columns if c != "region"]
        self.plot_parameter.choices = params
        self.plot_classes.reset_choices()
        n_warn = len(table.warnings)
        self.status.value = f"{len(df)} row(s)" + (f", {n_warn} warning(s) (hover to read)" if n_warn else "")
        lines = [f"region {r}: {w}" for r, w in table.warnings[:MAX_TOOLTIP_LINES]]
        if n_warn > MAX_TOOLTIP_LINES:
            lines.append(f"... and {n_warn - MAX_TOOLTIP_LINES} more (undefined values are empty cells)")
        self.status.tooltip = "\n".join(lines)
        self.plot()

    # table <-> labels ------------------------------------------------------------------------
    def _row_selected(self) -> None:
        layer = self.labels_layer.value
        label = label_of_selected_row(self.table)
        if not self._syncing and layer is not None and label is not None:
            self._syncing = True
            layer.selected_label = label
            self._syncing = False

    def _follow_labels(self, *_: Any) -> None:
        import napari

        for ly in self.viewer.layers:
            if isinstance(ly, napari.layers.Labels) and id(ly) not in self._followed:
                ly.events.selected_label.connect(self._label_selected)
                self._followed.add(id(ly))

    def _label_selected(self, event: Any) -> None:
        layer = self.labels_layer.value
        if layer is not None and event.source is layer:
            self.select_region(int(layer.selected_label))

    def select_region(self, region: int) -> None:
        """Select the table row of ``region`` (called when the labels layer's selected label changes)."""
        if self._syncing:
            return
        self._syncing = True
        select_row_of_label(self.table, region)
        self._syncing = False

    # export and plot -------------------------------------------------------------------------
    @reports_errors("Roughness")
    def export_csv(self, *_: Any) -> Path | None:
        """Write the last table to the chosen CSV file (atomically), with the operators that made it."""
        frame = self.table_data
        if frame is not None:
            frame = frame.assign(**getattr(self, "echo", {}))
        return export_table_csv(frame, self.csv_path.value, self.status, "nothing to export yet: press Compute")

    def _add_plot(self) -> None:
        self.figure, self.canvas = add_plot_canvas(self, (5.0, 3.0), 220)
    def plot(self, *_: Any) -> None:
        """Draw the chosen parameter per class (or its histogram)."""
        from napari_afm_profiler.roughness.plots import parameter_distribution_figure

        column = self.plot_parameter.value
        if self.table_data is None or column is None or column not in self.table_data:
            return
        classes = None
        layer = self.labels_layer.value
        by = self.plot_classes.value
        if layer is not None and by not in (None, NO_CLASSES) and by in layer.features:
            lookup = dict(zip(layer.features["index"], layer.features[by]))
            classes = [lookup.get(r, "unassigned") for r in self.table_data["region"]]
        parameter_distribution_figure(self.table_data[column].to_numpy(), column, classes=classes, figure=self.figure)
        self.canvas.draw_idle()


def _cell(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(f"{value:.6g}")
    return int(value)


def _merge_features(existing: Any, df: Any) -> Any:
    """Merge new parameter columns keyed by label (``index``) with the layer's other columns (e.g. a class)."""
    new = df.rename(columns={"region": "index"})
    if existing is None or len(existing.columns) == 0 or "index" not in existing:
        return new
    keep = [c for c in existing.columns if c not in new.columns or c == "index"]
    return new.merge(existing[keep], on="index", how="left")
