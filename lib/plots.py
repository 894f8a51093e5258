"""Figure helpers shared by chapters (one way to draw each kind of figure); saving is report.save_figure."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

sns.set_theme(style="whitegrid", context="notebook")


def image_grid(images: np.ndarray, labels=None, *, cols: int = 8, title: str = "", names=None):
    """Images (N, H, W[, C]) uint8 or float in [0, 1] on a grid, each titled by its label."""
    n = len(images)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray" if images[i].ndim == 2 else None, vmin=0, vmax=255
                      if images.dtype == np.uint8 else 1)
            if labels is not None:
                lab = int(labels[i])
                ax.set_title(names[lab] if names is not None else str(lab), fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def bars(df, *, x: str, y: str, hue: str | None = None, title: str = "", log: bool = False, ax=None,
         size=(7, 3)):
    """A seaborn bar chart of ``df`` (long format): bar = mean, whisker = min..max over the rows; the
    legend outside the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    sns.barplot(df, x=x, y=y, hue=hue, ax=ax, errorbar=("pi", 100))
    if hue is not None:
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    ax.figure.tight_layout()
    return ax.figure


def curves(df, *, metrics=("test_acc", "test_loss"), hue: str = "optimizer", row: str = "model", title: str = ""):
    """Per-epoch curves from a long frame (one row per run and epoch): a panel per ``row`` value and
    metric, a line per ``hue`` value (mean over seeds, band = min–max)."""
    long = df.melt(id_vars=["epoch", hue, row, "seed"], value_vars=list(metrics), var_name="metric")
    g = sns.relplot(long, x="epoch", y="value", hue=hue, row=row, col="metric", kind="line",
                    errorbar=("pi", 100), height=2.4, aspect=1.5, facet_kws=dict(sharey=False))
    g.set_titles("{row_name} · {col_name}")
    g.figure.suptitle(title, y=1.02)
    return g.figure


def mosaics(panels: dict, *, title: str = "", cmap: str = "RdBu_r"):
    """One panel per entry: a stack (k², n, n) of signed weight images tiled k×k, each panel scaled by its
    own largest magnitude (white = 0)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4), squeeze=False)
    for ax, (name, stack) in zip(axes.flat, panels.items()):
        k, n = int(round(len(stack) ** 0.5)), stack.shape[-1]
        tiles = np.full((k * (n + 1) - 1, k * (n + 1) - 1), np.nan)
        for i, img in enumerate(stack):
            r, c = divmod(i, k)
            tiles[r * (n + 1):r * (n + 1) + n, c * (n + 1):c * (n + 1) + n] = img
        lim = np.nanmax(np.abs(tiles))
        ax.imshow(tiles, cmap=cmap, vmin=-lim, vmax=lim)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def panel_grid(df, *, panels, row: str, hue: str = "seed", title: str = ""):
    """A row of panels per ``row`` value (the paper's Figure 3 layout): each panel ``(x, y)`` draws y against
    x, one line per ``hue`` value, points joined in epoch order."""
    rows, df = list(dict.fromkeys(df[row])), df.assign(**{hue: df[hue].astype(str)})   # hue as categories
    fig, axes = plt.subplots(len(rows), len(panels), figsize=(3.3 * len(panels), 2.5 * len(rows)), squeeze=False)
    for i, r in enumerate(rows):
        for j, (x, y) in enumerate(panels):
            ax = axes[i, j]
            sns.lineplot(df[df[row] == r], x=x, y=y, hue=hue, ax=ax, sort=False, estimator=None,
                         marker=None if x == "epoch" else ".", legend=(i, j) == (0, 0), palette="deep")
            ax.set_title(f"{r}: {y} vs {x}", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def heatmaps(panels: dict, *, xlabel: str, ylabel: str, title: str = "", cmap: str = "magma"):
    """One heat map per entry (rows × columns arrays, row 0 at the bottom), each with its colour bar."""
    fig, axes = plt.subplots(1, len(panels), figsize=(2.7 * len(panels), 3), squeeze=False)
    for ax, (name, a) in zip(axes.flat, panels.items()):
        im = ax.imshow(a, aspect="auto", origin="lower", cmap=cmap)
        ax.set_title(name, fontsize=8)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        ax.grid(False)                                   # the theme's grid would cross the cells
        fig.colorbar(im, ax=ax, fraction=0.05)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def measured_and_fitted(df, *, x: str, measured: str, fitted: str, hue: str, col: str, title: str = "",
                        logx: bool = True):
    """Measured points and a fitted curve per ``hue`` value, a panel per ``col`` value."""
    g = sns.relplot(df, x=x, y=measured, hue=hue, col=col, kind="scatter", height=3, palette="viridis")
    for ax, name in zip(g.axes.flat, df[col].unique()):
        for _, part in df[df[col] == name].groupby(hue):
            ax.plot(part[x], part[fitted], lw=1, color="grey")
    if logx:
        g.set(xscale="log")
    g.figure.suptitle(title, y=1.04)
    return g.figure


def embeddings(panels: dict, *, title: str = "", names=None):
    """One scatter per entry ``name -> (points (N, 2), labels (N,))``, coloured by class."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.6), squeeze=False)
    for ax, (name, (points, labels)) in zip(axes.flat, panels.items()):
        sc = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=3, alpha=0.7, rasterized=True)
        ax.set(title=name, xticks=[], yticks=[])
        ax.grid(False)
    handles, lab = sc.legend_elements()
    fig.legend(handles, names if names is not None else lab, loc="center right", frameon=False, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.92, 1))
    return fig
