"""Figure of a video's spotting signal with the ground-truth and predicted intervals (matplotlib, lazily)."""

import numpy as np

__all__ = ["plot_spotting"]

_COLOURS = {"micro": "tab:red", "macro": "tab:blue"}


def plot_spotting(signals, *, ground_truth=None, predictions=None, frame_numbers=None, fps=None, p=None,
                  events=None, title=None, ax=None):
    """Plot the contrast signal of each expression type with the annotated and the spotted intervals.

    Parameters
    ----------
    signals : dict
        ``{type: {"k": int, "contrast": (T,) ndarray, ...}}`` as a spotter's ``signals`` returns it.
    ground_truth, predictions : pandas.DataFrame, optional
        Intervals of this video (``onset, offset, type``; frame numbers).
    frame_numbers : (T,) array_like of int, optional
        The frame number of every signal sample (default 0..T-1).
    fps : float, optional
        Adds a time axis in seconds on top.
    p : float, optional
        Draws the threshold mean + p (max - mean) of each signal.
    events : pandas.DataFrame, optional
        Other planted events (``onset, offset, kind``; e.g. the demo's blinks and head motions), drawn in grey.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(11, 3.8), constrained_layout=True)
    else:
        fig = ax.figure
    top = 0.0
    for t, s in signals.items():
        C = np.asarray(s["contrast"], float)
        x = np.arange(C.size) if frame_numbers is None else np.asarray(frame_numbers)
        scale = np.nanmax(np.abs(C)) if np.isfinite(C).any() else 1.0
        scale = scale if scale > 0 else 1.0
        ax.plot(x, C / scale, lw=0.9, color=_COLOURS.get(t, "k"), label=f"{t} contrast (k = {s['k']})")
        if p is not None and np.isfinite(C).any():
            m, mx = np.nanmean(C), np.nanmax(C)
            ax.axhline((m + p * (mx - m)) / scale, color=_COLOURS.get(t, "k"), ls=":", lw=0.8)
        top = max(top, 1.0)
    y_gt, y_pr = 1.12, -0.25
    if events is not None:
        for r in events.itertuples():
            if r.kind not in ("micro", "macro"):
                ax.axvspan(r.onset, r.offset, color="0.85", zorder=0)
                ax.text((r.onset + r.offset) / 2, 1.02, r.kind, ha="center", fontsize=7, color="0.4")
    for df, y, lab in ((ground_truth, y_gt, "ground truth"), (predictions, y_pr, "spotted")):
        if df is None:
            continue
        for r in df.itertuples():
            ax.plot([r.onset, r.offset], [y, y], lw=6 if lab == "ground truth" else 3,
                    color=_COLOURS.get(r.type, "k"), solid_capstyle="butt")
        ax.text(ax.get_xlim()[0], y + 0.05, lab, fontsize=8)
    ax.set_ylim(-0.45, 1.3)
    ax.set_xlabel("frame")
    ax.set_ylabel("contrast (scaled to max 1)")
    if fps:
        sec = ax.secondary_xaxis("top", functions=(lambda f: f / fps, lambda s: s * fps))
        sec.set_xlabel("s")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
