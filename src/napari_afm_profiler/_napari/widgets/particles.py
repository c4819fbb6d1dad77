"""The "Particles" dock (segment, measure, compare raw and deconvolved) and the "Profile" dock.

Particles: segmentation settings, a live preview of the mask on the chosen image (debounced),
and, in a worker with progress and cancel, the labels layer, the per-particle table (rows
select labels and back), the table in the labels layer's ``features``, CSV export and the
paper's figure-4 histograms of area, radius and aspect ratio for the image and, when a second
(deconvolved or reference) layer is chosen, the same particles on it.

Profile: height profiles along the last line of a Shapes layer, for several image layers on
one plot, in nm, averaged over a band; CSV export.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FileEdit,
    FloatSpinBox,
    PushButton,
    Select,
    SpinBox,
    Table,
)
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

METHODS = [("above the substrate by", "relative"), ("absolute height above", "absolute"), ("Otsu", "otsu"),
           ("local (uneven background), offset", "local")]
COMPARE_COLUMNS = ("area_nm2", "equivalent_radius_nm", "aspect_ratio")
PREVIEW = "particles preview"


class ParticlesWidget(Container):
    """Segment particles of a height layer and measure them; compare with a deconvolved layer."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.table_data: Any = None
        self.labels_layer: Any = None
        self._syncing = False
        self.image = ComboBox(label="image", choices=lambda *_: layer_choices(self.viewer, "image"))
        self.compare = ComboBox(label="also measure on", nullable=True, value=None,
                                choices=lambda *_: layer_choices(self.viewer, "image"))
        self.method = ComboBox(label="threshold", choices=METHODS, value="relative")
        self.threshold = FloatSpinBox(label="threshold (nm)", min=-1e5, max=1e5, step=0.1, value=1.0)
        self.min_area = FloatSpinBox(label="min area (nm²)", min=0.0, max=1e9, value=0.0)
        self.min_particle_height = FloatSpinBox(label="min height (nm)", min=0.0, max=1e6, value=0.0)
        self.split = CheckBox(label="split touching particles", value=True)
        self.separation = FloatSpinBox(label="min separation (nm, 0 = 4 px)", min=0.0, max=1e6, value=0.0)
        self.exclude_edge = CheckBox(label="exclude particles at the edge", value=False)
        self.preview = CheckBox(label="live preview of the mask", value=False)
        self.run_button = PushButton(text="Segment and measure")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.table = Table()
        self.table.native.setSortingEnabled(True)
        self.table.native.setMinimumHeight(160)
        self.csv_path = FileEdit(label="CSV file", mode="w", filter="*.csv", value="particles.csv")
        self.export_button = PushButton(text="Export CSV")
        self.axis_button = PushButton(text="Particle profiles (along / across)",
                                      tooltip="height profiles along and across the selected particle's major axis")
        self.extend([self.image, self.compare, self.method, self.threshold, self.min_area, self.min_particle_height, self.split,
                     self.separation, self.exclude_edge, self.preview, self.run_button, self.cancel, self.status,
                     self.table, self.csv_path, self.export_button, self.axis_button])
        self.figure, self.canvas = add_plot_canvas(self, (4.6, 3.0), 220)
        self.run_button.changed.connect(self.run)
        self.cancel.changed.connect(self._cancel)
        self.export_button.changed.connect(self.export_csv)
        self.axis_button.changed.connect(self.axis_profiles)
        self.table.native.itemSelectionChanged.connect(self._row_selected)
        for w in (self.image, self.method, self.threshold, self.preview):
            w.changed.connect(self.update_preview)
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(lambda *_: (self.image.reset_choices(), self.compare.reset_choices()))
        remember_settings(self, "particles")
        make_scrollable(self)  # taller than a 1280 x 800 screen otherwise

    # settings ---------------------------------------------------------------------------
    def _options(self, layer: Any) -> dict[str, Any]:
        if not is_calibrated(layer):
            raise ValueError(f"{layer.name} has no pixel size in nm (scale is in pixels)")
        method = self.method.value
        return {"pixel_size_nm": (float(layer.scale[-2]), float(layer.scale[-1])), "method": method,
                "threshold_nm": None if method == "otsu" else float(self.threshold.value),
                "min_area_nm2": float(self.min_area.value), "min_height_nm": float(self.min_particle_height.value),
                "split": bool(self.split.value), "min_separation_nm": float(self.separation.value) or None,
                "exclude_edge": bool(self.exclude_edge.value)}

    def update_preview(self, *_: Any) -> None:
        """Show the thresholded mask (no split, no filters) as a translucent layer; fast on 1024²."""
        from napari_afm_profiler.particles import segment_particles

        layer = self.image.value
        if not self.preview.value or layer is None or layer.ndim != 2:
            if PREVIEW in self.viewer.layers:
                self.viewer.layers.remove(PREVIEW)
            return
        try:
            options = dict(self._options(layer), split=False, min_area_nm2=0.0, min_height_nm=0.0, exclude_edge=False)
            seg = segment_particles(np.asarray(layer.data), **options)
        except (ValueError, Exception) as exc:  # noqa: BLE001 - a preview never raises into the viewer
            self.status.value = f"preview: {exc}"
            return
        mask = (seg.labels > 0).astype(np.uint8)
        if PREVIEW in self.viewer.layers:
            self.viewer.layers[PREVIEW].data = mask
        else:
            self.viewer.add_labels(mask, name=PREVIEW, scale=tuple(layer.scale), units=tuple(layer.units), opacity=0.4)
        self.status.value = f"preview: {seg.count} region(s) above {seg.threshold_nm:.3g} nm"

    # running ----------------------------------------------------------------------------
    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled"

    @reports_errors("Particles")
    def run(self, *_: Any) -> Any:
        """Segment and measure in a worker; add the labels layer, the table and the histograms."""
        from napari_afm_profiler.particles import match_particles, measure_particles, segment_particles

        layer, other = self.image.value, self.compare.value
        if layer is None or layer.ndim != 2:
            refuse(self.status, "Particles", "choose a single-image height layer")
            return None
        try:
            options = self._options(layer)
            if other is not None and other.data.shape != layer.data.shape:
                raise ValueError(f"{other.name} {other.data.shape} and {layer.name} {layer.data.shape} differ in shape")
        except ValueError as exc:
            refuse(self.status, "Particles", str(exc))
            return None
        data = snapshot(layer.data, np.float64)
        second = None if other is None else snapshot(other.data, np.float64)

        @thread_worker(progress={"total": 0, "desc": "particles"}, ignore_errors=True)
        def work():
            yield "segmenting", 1, 3
            seg = segment_particles(data, **options)
            yield "measuring", 2, 3
            table = measure_particles(data, seg.labels, pixel_size_nm=options["pixel_size_nm"],
                                      substrate_nm=seg.substrate_nm).to_pandas()
            if second is not None:
                seg2 = segment_particles(second, **options)
                after = measure_particles(second, seg2.labels, pixel_size_nm=options["pixel_size_nm"],
                                          substrate_nm=seg2.substrate_nm).to_pandas().set_index("label")
                match = match_particles(seg.labels, seg2.labels)[table["label"].to_numpy()]
                table["matched_label"] = match
                for col in COMPARE_COLUMNS + ("max_height_nm", "volume_nm3"):
                    table[f"matched_{col}"] = [after[col].get(m, np.nan) if m else np.nan for m in match]
            yield "done", 3, 3
            return seg, table

        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]} ({step[1]} / {step[2]})"

        def done(result: Any) -> None:
            seg, table = result
            self.show(layer, seg, table, other)

        self.worker = start_worker(work(), status=self.status, buttons=[self.run_button], cancel=self.cancel,
                                   on_done=done, on_yield=report)
        return self.worker

    def show(self, layer: Any, seg: Any, table: Any, other: Any) -> None:
        """Add or update the labels layer, fill the table and the labels' features, draw the histograms."""
        name = f"{layer.name} · particles"
        if name in self.viewer.layers:
            self.viewer.layers[name].data = seg.labels
            labels = self.viewer.layers[name]
        else:
            labels = self.viewer.add_labels(seg.labels, name=name, scale=tuple(layer.scale), units=tuple(layer.units),
                                            opacity=0.5)
        labels.features = table.rename(columns={"label": "index"}).assign(label=table["label"].to_numpy())
        labels.events.selected_label.connect(self._label_selected)
        self.labels_layer, self.table_data = labels, table
        self.table.native.setSortingEnabled(False)
        self.table.value = {c: [round(float(v), 4) if isinstance(v, (float, np.floating)) else v for v in table[c]]
                            for c in table.columns}
        self.table.native.setSortingEnabled(True)
        notes = "; ".join(seg.notes)
        self.status.value = (f"{len(table)} particle(s) above {seg.substrate_nm:.3g} nm substrate" +
                             (f" ({notes})" if notes else ""))
        self.plot(layer.name, None if other is None else other.name)

    def plot(self, first: str, second: str | None) -> None:
        """Histograms of area, radius and aspect ratio (the paper's figure 4), with mean ± SD."""
        fig = self.figure
        fig.clear()
        df = self.table_data
        for k, col in enumerate(COMPARE_COLUMNS):
            ax = fig.add_subplot(1, 3, k + 1)
            sets = [(first, df[col].to_numpy(float))]
            if second is not None and f"matched_{col}" in df:
                sets.append((second, df[f"matched_{col}"].to_numpy(float)))
            for label, values in sets:
                values = values[np.isfinite(values)]
                if values.size:
                    ax.hist(values, bins=15, alpha=0.6, label=f"{label[:18]}: {values.mean():.3g} ± {values.std():.2g}")
            ax.set_xlabel(col.replace("_", " "), fontsize=7)
            ax.tick_params(labelsize=6)
            ax.legend(fontsize=5)
        fig.tight_layout()
        self.canvas.draw_idle()

    @reports_errors("Particles")
    def axis_profiles(self, *_: Any) -> Any:
        """Plot height profiles along and across the selected particle's major axis (image and second layer)."""
        from napari_afm_profiler.particles import particle_axis_profiles

        layer, other = self.image.value, self.compare.value
        if self.labels_layer is None or layer is None:
            refuse(self.status, "Particles", "segment first, then select a particle")
            return None
        label = int(self.labels_layer.selected_label)
        images = {layer.name: np.asarray(layer.data, dtype=np.float64)}
        if other is not None and other.data.shape == layer.data.shape:
            images[other.name] = np.asarray(other.data, dtype=np.float64)
        try:
            along, across = particle_axis_profiles(images, np.asarray(self.labels_layer.data), label,
                                                   pixel_size_nm=(float(layer.scale[-2]), float(layer.scale[-1])))
        except Exception as exc:  # noqa: BLE001 - shown, never raised into the viewer
            refuse(self.status, "Particles", str(exc))
            return None
        fig = self.figure
        fig.clear()
        for k, (title, prof) in enumerate((("along the major axis", along), ("across it", across))):
            ax = fig.add_subplot(1, 2, k + 1)
            for name, values in prof.values.items():
                ax.plot(prof.distance_nm, values, label=name[:20])
            ax.set_title(f"particle {label}: {title}", fontsize=7)
            ax.set_xlabel("distance (nm)", fontsize=7)
            ax.tick_params(labelsize=6)
            ax.legend(fontsize=5)
        fig.tight_layout()
        self.canvas.draw_idle()
        return along, across

    # table <-> labels --------------------------------------------------------------------
    def _row_selected(self) -> None:
        label = label_of_selected_row(self.table)
        if not self._syncing and self.labels_layer is not None and label is not None:
            self._syncing = True
            self.labels_layer.selected_label = label
            self._syncing = False

    def _label_selected(self, event: Any) -> None:
        if self._syncing or event.source is not self.labels_layer:
            return
        self._syncing = True
        select_row_of_label(self.table, int(self.labels_layer.selected_label))
        self._syncing = False

    @reports_errors("Particles")
    def export_csv(self, *_: Any) -> Path | None:
        """Write the last table to the CSV file (atomically)."""
        return export_table_csv(self.table_data, self.csv_path.value, self.status, "nothing to export yet: segment first")


PROFILE_LEVELS = [("least-squares line", "line"), ("mean only", "none")]


class ProfileWidget(Container):
    """Height profiles of several image layers along the last line drawn in a Shapes layer."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.profile: Any = None
        self.parameters: Any = None  # ISO 21920-2 parameters of the last profiles (a DataFrame)
        self.images = Select(label="images", choices=lambda *_: layer_choices(self.viewer, "image"))
        self.shapes = ComboBox(label="line from (shapes)", choices=self._shape_layers)
        self.band_width = SpinBox(label="band width (px)", min=1, max=501, value=1)
        self.run_button = PushButton(text="Profile")
        self.status = text_line(value="draw a line in a Shapes layer, then press Profile")
        self.csv_path = FileEdit(label="CSV file", mode="w", filter="*.csv", value="profile.csv")
        self.export_button = PushButton(text="Export CSV")
        self.with_parameters = CheckBox(text="profile parameters (ISO 21920-2)", value=True,
                                        tooltip="Ra, Rq, Rsk, Rku, Rp, Rv, Rz, Rt, Rdq, RSm of each profile")
        self.profile_level = ComboBox(label="F-operator", choices=PROFILE_LEVELS, value="line")
        self.s_filter = FloatSpinBox(label="S-filter λs (nm, 0 = none)", min=0.0, max=1e6, step=0.5, value=0.0,
                                     tooltip="profile Gaussian (ISO 16610-21) removing wavelengths shorter than λs")
        self.l_filter = FloatSpinBox(label="L-filter λc (nm, 0 = none)", min=0.0, max=1e6, step=10.0, value=0.0,
                                     tooltip="profile Gaussian (ISO 16610-21) removing wavelengths longer than λc")
        self.parameter_table = Table()
        self.parameter_table.native.setMinimumHeight(110)
        self.parameters_path = FileEdit(label="parameters CSV", mode="w", filter="*.csv",
                                        value="profile_parameters.csv")
        self.export_parameters_button = PushButton(text="Export parameters CSV")
        self.extend([self.images, self.shapes, self.band_width, self.run_button, self.status, self.csv_path,
                     self.export_button, self.with_parameters, self.profile_level, self.s_filter, self.l_filter,
                     self.parameter_table, self.parameters_path, self.export_parameters_button])
        self.figure, self.canvas = add_plot_canvas(self, (4.6, 3.0), 220)
        self.run_button.changed.connect(self.run)
        self.export_button.changed.connect(self.export_csv)
        self.export_parameters_button.changed.connect(self.export_parameters)
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(lambda *_: (self.images.reset_choices(), self.shapes.reset_choices()))
        remember_settings(self, "profile")
        make_scrollable(self)  # every dock scrolls: nothing off a small screen

    def _shape_layers(self, *_: Any) -> list[Any]:
        import napari

        return [(ly.name, ly) for ly in self.viewer.layers if isinstance(ly, napari.layers.Shapes)]

    @reports_errors("Profile")
    def run(self, *_: Any) -> Any:
        """Profile the chosen images along the last line (in world nm, converted to each image's pixels)."""
        from napari_afm_profiler.particles import line_profile

        layers, shapes = list(self.images.value), self.shapes.value
        if not layers or shapes is None or not len(shapes.data):
            refuse(self.status, "Profile", "choose images and a Shapes layer with a line")
            return None
        ref = layers[0]
        if any(ly.data.shape != ref.data.shape for ly in layers) or ref.ndim != 2:
            refuse(self.status, "Profile", "the images must be single images of one shape")
            return None
        world = np.asarray(shapes.data[-1], dtype=np.float64)[:, -2:]
        start, end = (ref.world_to_data(world[0]), ref.world_to_data(world[-1]))
        clip = [(min(max(v, 0.0), n - 1.0)) for v, n in zip((*start[-2:], *end[-2:]), ref.data.shape * 2)]
        try:
            self.profile = line_profile({ly.name: snapshot(ly.data, np.float64) for ly in layers},
                                        (clip[0], clip[1]), (clip[2], clip[3]),
                                        pixel_size_nm=(float(ref.scale[-2]), float(ref.scale[-1])),
                                        width_px=int(self.band_width.value))
        except Exception as exc:  # noqa: BLE001 - shown, never raised into the viewer
            refuse(self.status, "Profile", str(exc))
            return None
        fig = self.figure
        fig.clear()
        ax = fig.add_subplot(1, 1, 1)
        for name, values in self.profile.values.items():
            ax.plot(self.profile.distance_nm, values, label=name[:30])
        ax.set_xlabel("distance (nm)")
        ax.set_ylabel("height (nm)")
        ax.legend(fontsize=6)
        fig.tight_layout()
        self.canvas.draw_idle()
        self.status.value = f"{len(self.profile.distance_nm)} points over {self.profile.distance_nm[-1]:.4g} nm"
        if self.with_parameters.value:
            self._show_parameters()
        return self.profile

    def _show_parameters(self) -> None:
        """ISO 21920-2 parameters of every profile into the table (the profile stays if they cannot be had)."""
        import pandas as pd

        from napari_afm_profiler.roughness.profiles import PROFILE_PARAMETERS, profiles_parameters

        try:
            results = profiles_parameters(self.profile.distance_nm, self.profile.values,
                                          level=self.profile_level.value, s_filter_nm=self.s_filter.value or None,
                                          l_filter_nm=self.l_filter.value or None)
        except ValueError as exc:
            self.parameters = None
            self.parameter_table.clear()
            refuse(self.status, "Profile", f"profile drawn; no profile parameters: {exc}")
            return
        rows = [{"image": name, **r.values, **r.operators} for name, r in results.items()]
        self.parameters = pd.DataFrame(rows)
        self.parameter_table.value = {
            "image": [r["image"] for r in rows],
            **{k: [None if r[k] is None else float(f"{r[k]:.4g}") for r in rows] for k in PROFILE_PARAMETERS}}
        operators = next(iter(results.values())).operators
        self.status.value += "; parameters after " + ", ".join(f"{k}: {v}" for k, v in operators.items())

    @reports_errors("Profile")
    def export_csv(self, *_: Any) -> Path | None:
        """Write the last profile to CSV (atomically)."""
        frame = None if self.profile is None else self.profile.to_pandas()
        return export_table_csv(frame, self.csv_path.value, self.status, "nothing to export yet: press Profile")

    @reports_errors("Profile")
    def export_parameters(self, *_: Any) -> Path | None:
        """Write the last profile parameters (one row per image, with the operators) to CSV (atomically)."""
        return export_table_csv(self.parameters, self.parameters_path.value, self.status,
                                "no profile parameters yet: tick them and press Profile")
