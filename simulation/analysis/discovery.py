"""Scenario discovery: which combinations of conditions make an alliance of the focal pair likely?

PRIM (Friedman and Fisher, Statistics and Computing 9:123-143, 1999,
doi:10.1023/A:1008894516817) as implemented in the EMA Workbench (Kwakkel, Environmental
Modelling & Software 96:239-250, 2017, doi:10.1016/j.envsoft.2017.06.054). A design point is
'of interest' when its share of runs with an alliance exceeds a threshold; PRIM peels the
swept space to boxes dense in such points. Columns are cast to float first (PRIM fails on
integer columns under pandas 3).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.errors import InputError

#: The files a discovery writes into its folder (nothing else there is touched).
DISCOVERY_FILES = (
    "discovery.md",
    "discovery.json",
    "prim_box.png",
    "prim_box.svg",
    "prim_box.csv",
    "prim_trajectory.csv",
)


def default_discovery_dir(results: Path, outcome: str, threshold: float, min_density: float = 0.8) -> Path:
    """Where a discovery goes unless --out says otherwise: inside the sweep's own folder, one folder per
    outcome, threshold and (when not the default 0.8) density, e.g. ``results/flagship/discovery-alliance-0.5``
    or ``.../discovery-entente-0.5-density0.95``: no discovery replaces another's."""
    results = Path(results)
    folder = results if results.is_dir() else results.parent
    density = "" if min_density == 0.8 else f"-density{min_density:g}"
    return folder / f"discovery-{outcome}-{threshold:g}{density}"


def check_discovery_folder(out: Path, identity: dict, overwrite: bool) -> None:
    """A discovery writes into a folder with none of its files; a folder holding a discovery (the same one made
    earlier, or another) is written again only with --overwrite."""
    present = [name for name in DISCOVERY_FILES if (out / name).exists()]
    if not present or overwrite:
        return
    try:
        earlier = json.loads((out / "discovery.json").read_text("utf-8"))
    except (OSError, ValueError):
        earlier = None
    if isinstance(earlier, dict) and earlier.get("identity") == identity:
        raise InputError(
            out, "--out", "holds this discovery, made earlier; not replaced (add --overwrite to make it again)"
        )
    what = "a discovery of other results or settings" if isinstance(earlier, dict) else f"{present[0]}"
    raise InputError(out, "--out", f"holds {what}; not overwritten (use another --out, or add --overwrite)")


@dataclass
class DiscoveryResult:
    x: pd.DataFrame  # one row per design point (swept values)
    y: np.ndarray  # bool per point
    trajectory: pd.DataFrame  # coverage/density/mass/res_dim along the peeling
    chosen: int
    limits: pd.DataFrame  # min/max per restricted dimension of the chosen box
    coverage: float
    density: float
    mass: float


def prim_boxes(x: pd.DataFrame, y: np.ndarray, min_density: float = 0.8) -> DiscoveryResult:
    """Run PRIM and choose the box with the most coverage whose density is at least ``min_density``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    x = x.astype(float)
    if y.sum() == 0:
        raise InputError(None, "--threshold", "no design point is of interest at this threshold; lower it")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, np.asarray(y, dtype=bool), peel_alpha=0.05, paste_alpha=0.05, mass_min=0.02)
        box = finder.find_box()
    traj = box.peeling_trajectory.copy()
    ok = traj[traj["density"] >= min_density]
    chosen = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
    lims = box.box_lims[chosen]
    restricted = [
        c
        for c in x.columns
        if not (np.isclose(lims[c].iloc[0], x[c].min()) and np.isclose(lims[c].iloc[1], x[c].max()))
    ]
    limits = pd.DataFrame(
        {
            "min": [lims[c].iloc[0] for c in restricted],
            "max": [lims[c].iloc[1] for c in restricted],
            "swept_min": [x[c].min() for c in restricted],
            "swept_max": [x[c].max() for c in restricted],
        },
        index=pd.Index(restricted, name="parameter"),
    )
    row = traj.loc[chosen]
    return DiscoveryResult(
        x,
        np.asarray(y, dtype=bool),
        traj,
        chosen,
        limits,
        float(row["coverage"]),
        float(row["density"]),
        float(row["mass"]),
    )


def _scope(manifest: dict, points: int, runs: int) -> str:
    """What a discovery figure rests on, in words."""
    base = manifest.get("base_scenario") or {}
    mode = (manifest.get("sweep_spec") or {}).get("parameters", "posterior")
    mode_words = "posterior predictive" if mode == "posterior" else f"parameters: {mode}"
    focal = "-".join(base.get("focal_pair") or ()) or "the focal pair"
    from simulation.reporting.plots import horizon_words

    horizon = horizon_words(base.get("start"), base.get("steps"))
    return (
        f"{manifest.get('sweep_title', '')}. Pair: {focal}; {horizon}; {points:,} design points, "
        f"{runs:,} runs; {mode_words}. Inputs not listed are unrestricted."
    )


def discovery_figure(result: DiscoveryResult, title: str, labels: dict[str, str] | None = None, scope: str = ""):
    """The peeling trajectory (coverage against density) and the chosen box's limits, in words."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from simulation.reporting.plots import SLIDE_STYLE

    labels = labels or {}
    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(14, 6.6))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
        t = result.trajectory
        sc = ax1.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=30)
        ax1.scatter([result.coverage], [result.density], s=160, facecolors="none", edgecolors="red", lw=2)
        ax1.set_xlabel("coverage (share of points of interest inside)")
        ax1.set_ylabel("density (share inside that are of interest)")
        ax1.set_title("PRIM peeling trajectory (red: chosen box)")
        ax1.set_xlim(0, 1.03)  # both are shares: the whole 0-1 scale, never beyond
        ax1.set_ylim(0, 1.03)
        bar = fig.colorbar(sc, ax=ax1, label="restricted inputs")
        bar.locator = mpl.ticker.MaxNLocator(integer=True)
        bar.update_ticks()
        lim = result.limits
        ys = np.arange(len(lim))
        span = (lim["swept_max"] - lim["swept_min"]).replace(0, 1)
        ax2.barh(ys, np.ones(len(lim)), left=0, color="#dddddd", height=0.5)
        ax2.barh(
            ys,
            (lim["max"] - lim["min"]) / span,
            left=(lim["min"] - lim["swept_min"]) / span,
            color="#2166ac",
            height=0.5,
        )
        names = [labels.get(i, str(i).replace("parameters.", "")) for i in lim.index]
        ax2.set_yticks(  # the numbers beside each name: the axis itself stays within the swept range
            ys,
            [
                f"{name}\nbox {row['min']:.2f} - {row['max']:.2f} of {row['swept_min']:.2f} - {row['swept_max']:.2f}"
                for name, (_, row) in zip(names, lim.iterrows(), strict=True)
            ],
        )
        ax2.set_xlim(0, 1)
        ax2.set_ylim(-0.8, len(lim) - 0.2)
        ax2.set_xlabel("share of the swept range (blue: the box; grey: the rest)")
        ax2.set_title(f"Box: coverage {result.coverage:.2f}, density {result.density:.2f}")
        fig.suptitle(title)
        if scope:
            fig.text(0.01, 0.005, scope, fontsize=10, color="#444444", wrap=True)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def discover_from_results(
    results: Path,
    threshold: float,
    out: Path | None = None,
    min_density: float = 0.8,
    outcome: str = "alliance_reached",
    overwrite: bool = False,
) -> str:
    """PRIM on a sweep's results: a design point is of interest when its value of ``outcome`` (the
    catalogue's aggregation: a share of runs, a mean) exceeds ``threshold``. Writes into ``out`` (default:
    :func:`default_discovery_dir`, inside the sweep's folder) the files of DISCOVERY_FILES."""
    from simulation.outcomes import numeric_outcome
    from simulation.outcomes import outcome as catalogue_outcome
    from simulation.reporting.plots import human_label, outcome_words, save
    from simulation.sweeps.execute import read_results

    try:  # a share's threshold is a probability: checked before reading anything
        asked = catalogue_outcome(outcome)
    except KeyError:
        asked = None  # checked against the results' columns below, with the list of what they hold
    if asked is not None and asked.aggregation == "share" and not 0 <= threshold < 1:
        raise InputError(None, "--threshold", f"{threshold:g} is not a probability below 1 ({asked.label} is a share)")
    df, manifest = read_results(results)
    factors = list(manifest.get("design", {}).get("factors", []))
    if not factors:
        raise InputError(results, None, "these results vary nothing; scenario discovery needs a sweep")
    missing = [c for c in ("point", *factors) if c not in df.columns]
    if missing:
        raise InputError(results, None, f"no column '{missing[0]}': not the results of a complete sweep")
    entry = numeric_outcome(outcome, df.columns, results)
    words = outcome_words(outcome, manifest, per_point=True)
    per_point = df.groupby("point")
    x = per_point[factors].first()
    horizon = (manifest.get("base_scenario") or {}).get("steps")
    p = entry.per_point(df, horizon)
    if not (p > threshold).any():
        raise InputError(results, "--threshold", f"no design point has {words} above {threshold:g} (highest "
                         f"{p.max():.3f}); lower the threshold or choose another --outcome")  # fmt: skip
    from simulation.sweeps.folder import sha256_file

    out = Path(out) if out is not None else default_discovery_dir(results, outcome, threshold, min_density)
    source = Path(results) / "results.parquet" if Path(results).is_dir() else Path(results)
    identity = {"results_sha256": sha256_file(source), "outcome": outcome, "threshold": threshold,
                "min_density": min_density}  # fmt: skip
    check_discovery_folder(out, identity, overwrite)
    result = prim_boxes(x, (p > threshold).to_numpy(), min_density)
    out.mkdir(parents=True, exist_ok=True)
    labels = {c: human_label(c, manifest) for c in x.columns}
    fig = discovery_figure(result, f"Where {words} > {threshold:g}", labels, _scope(manifest, len(x), len(df)))
    save(fig, out / "prim_box")
    result.limits.to_csv(out / "prim_box.csv")
    result.trajectory.to_csv(out / "prim_trajectory.csv")
    share = result.y.mean()
    lines = [
        f"# Scenario discovery: where is {words} > {threshold:g}?",
        "",
        f"Sweep: {manifest.get('sweep_title', '')} ({len(x):,} design points, {len(df):,} runs). "
        f"{share:.1%} of points are of interest.",
        "",
        f"PRIM box (most coverage at density >= {min_density:g}): coverage {result.coverage:.2f} "
        f"(share of interesting points inside), density {result.density:.2f} (share of points inside that "
        f"are interesting), mass {result.mass:.2f} (share of all points inside).",
        "",
        result.limits.rename(index=labels).round(3).to_markdown(),
        "",
        "Parameters not listed are unrestricted. Figures: prim_box.png/.svg; tables: prim_box.csv, prim_trajectory.csv.",
        "",
    ]
    text = "\n".join(lines)
    (out / "discovery.md").write_text(text, "utf-8")
    record = {"kind": "discovery", "results": str(source.absolute()), "identity": identity}
    (out / "discovery.json").write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    return text
