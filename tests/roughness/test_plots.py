import numpy as np
import pytest

from napari_afm_profiler.roughness.plots import parameter_distribution_figure


def test_boxplot_per_class_and_histogram():
    values = np.array([1.0, 1.2, np.nan, 3.0, 3.3, 2.9])
    fig = parameter_distribution_figure(values, "Height:Sa", classes=["a", "a", "a", "b", "b", "b"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert "1 undefined" in ax.get_title() and "(nm)" in ax.get_ylabel()
    fig = parameter_distribution_figure(values, "Sdq")
    assert sum(p.get_height() for p in fig.axes[0].patches) == 5
    with pytest.raises(ValueError, match="classes"):
        parameter_distribution_figure(values, "Sa", classes=["a"])
