"""Figures of a classifier evaluation (matplotlib, no Qt): ROC, AUC distributions, importance, confusion."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from napari_afm_profiler.classify.evaluation import ROC_GRID, Evaluation


def _figure(figure: Figure | None, size: tuple[float, float]) -> Figure:
    fig = figure if figure is not None else Figure(figsize=size)
    fig.clear()
    return fig


def roc_figure(ev: Evaluation, figure: Figure | None = None) -> Figure:
    """Mean ROC curve over the splits with its ±1 SD band, and the shuffled-class curve.

    Parameters
    ----------
    ev : Evaluation
    figure : matplotlib Figure, optional

    Returns
    -------
    figure : matplotlib Figure
    """
    fig = _figure(figure, (4.2, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    for scores, colour, name in ((ev.real, "#4c72b0", "classes"), (ev.shuffled, "#999999", "shuffled")):
        tpr = np.array([s.tpr for s in scores])
        if np.all(np.isnan(tpr)):
            continue
        mean, sd = tpr.mean(axis=0), tpr.std(axis=0)
        auc = np.array([s.auc for s in scores])
        ax.plot(ROC_GRID, mean, color=colour, label=f"{name}: AUC {auc.mean():.2f} ± {auc.std():.2f}")
        ax.fill_between(ROC_GRID, np.clip(mean - sd, 0, 1), np.clip(mean + sd, 0, 1), color=colour, alpha=0.2)
    ax.plot([0, 1], [0, 1], ":", color="black", lw=0.8)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel(f"true-positive rate ({ev.classes[-1]})")
    ax.set_title(f"ROC over {ev.n_splits} splits", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def auc_histogram_figure(ev: Evaluation, figure: Figure | None = None) -> Figure:
    """Histograms of the real and the shuffled-class AUCs per split, titled with the valid p-value."""
    fig = _figure(figure, (4.2, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    bins = np.linspace(0.0, 1.0, 41)
    ax.hist(ev.aucs(True), bins=bins, color="#999999", alpha=0.7, label="shuffled classes")
    ax.hist(ev.aucs(), bins=bins, color="#4c72b0", alpha=0.7, label="true classes")
    ax.set_title(f"AUC per split; {ev.p_text()}", fontsize=9)
    ax.set_xlabel("AUC")
    ax.set_ylabel("splits")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def permutation_figure(ev: Evaluation, figure: Figure | None = None) -> Figure:
    """Plot the permutation test: mean AUC under permuted classes, and the observed one."""
    fig = _figure(figure, (4.2, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    if ev.p_value is None:
        ax.text(0.5, 0.5, "no permutation test run", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.hist(ev.permuted_mean_aucs, bins=np.linspace(0.0, 1.0, 51), color="#999999", label="permuted classes")
        ax.axvline(ev.observed_mean_auc, color="#c44e52", lw=2, label="observed")
        ax.set_title(f"mean AUC over {ev.permutation_splits} splits; {ev.p_text()}", fontsize=9)
        ax.legend(fontsize=8)
    ax.set_xlabel("mean AUC")
    ax.set_ylabel("permutations")
    fig.tight_layout()
    return fig


def importance_figure(ev: Evaluation, figure: Figure | None = None, top: int = 15) -> Figure:
    """How often each parameter was selected, with its mean Gini importance."""
    fig = _figure(figure, (4.6, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    freq = list(ev.selection_frequency().items())[:top]
    importance = ev.mean_importance()
    names = [k for k, _ in freq][::-1]
    ax.barh(names, [v for _, v in freq][::-1], color="#4c72b0", label="selected in share of splits")
    ax.plot([importance[n] / max(importance.values()) for n in names], names, "o", color="#dd8452",
            label="mean Gini importance (scaled)")
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("share of splits")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def confusion_figure(ev: Evaluation, figure: Figure | None = None) -> Figure:
    """Confusion matrix summed over the splits, as row percentages."""
    fig = _figure(figure, (3.6, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    total = np.sum([s.confusion for s in ev.real], axis=0).astype(float)
    share = 100.0 * total / np.maximum(total.sum(axis=1, keepdims=True), 1.0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=100)
    n = len(ev.classes)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{share[i, j]:.0f} %", ha="center", va="center",
                    color="white" if share[i, j] > 60 else "black", fontsize=9)
    ax.set_xticks(range(n), ev.classes)
    ax.set_yticks(range(n), ev.classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion (row %)", fontsize=9)
    fig.tight_layout()
    return fig


PLOTS = {"roc": roc_figure, "auc": auc_histogram_figure, "permutation": permutation_figure,
         "importance": importance_figure, "confusion": confusion_figure}
"""Every evaluation figure by name (the report writes each as ``<name>.png``)."""
