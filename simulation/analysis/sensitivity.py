"""Global sensitivity analysis through SALib, on sweep results.

Sobol indices (first and total order, with bootstrap confidence intervals): Sobol', Math.
Comput. Simul. 55:271-280 (2001), doi:10.1016/S0378-4754(00)00270-6, with the Saltelli et al.
(2010) estimators, doi:10.1016/j.cpc.2009.09.018. Morris elementary effects: Morris,
Technometrics 33:161-174 (1991), doi:10.1080/00401706.1991.10484804; mu* from Campolongo et
al. (2007). This module only prepares outputs per design point and dispatches to SALib.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Modelling choice: a yes/no outcome is too rare for variance-based or elementary-effect indices when
#: fewer than this share of runs have it, or fewer than this share of design points have any run with it;
#: the indices then mostly measure run noise, and the report and chart say so.
RARE_RUN_SHARE = 0.01
RARE_POINT_SHARE = 0.10


def outcome_per_point(df: pd.DataFrame, outcome: str, horizon: int) -> np.ndarray:
    """One value per design point, in point order: the catalogue outcome's own aggregation."""
    from simulation.outcomes import numeric_outcome

    return numeric_outcome(outcome, df.columns).per_point(df, horizon).to_numpy(dtype=float)


def rare_outcome_warning(df: pd.DataFrame, outcome: str, focal: str | None = None) -> str | None:
    """A sentence when a yes/no outcome is too rare for sensitivity indices to mean much, else None."""
    from simulation.outcomes import in_words
    from simulation.outcomes import outcome as catalogue

    entry = catalogue(outcome)
    if entry.aggregation != "share":
        return None
    hit = entry.per_run(df)
    run_share = float(hit.mean())
    point_share = float((hit.groupby(df["point"]).max() > 0).mean())
    if run_share >= RARE_RUN_SHARE and point_share >= RARE_POINT_SHARE:
        return None
    return (
        f"{in_words(outcome, focal)} is rare here ({run_share:.1%} of runs; {point_share:.0%} of design points have any): "
        "the indices mostly measure run noise, not drivers"
    )


def out_of_range_note(table: pd.DataFrame) -> str | None:
    """Words for Sobol estimates outside [0, 1] (sampling error of the estimators), else None."""
    if not {"S1", "ST"} <= set(table.columns):
        return None
    low = (table["S1"] < 0).sum()
    high = (table["ST"] > 1).sum()
    if not (low or high):
        return None
    return (
        "Indices are shares of variance, in [0, 1]; estimates outside it "
        f"({low} first-order below 0, {high} total-order above 1) are sampling error: read them with their intervals"
    )


def sobol_indices(problem: dict[str, Any], y: np.ndarray, second_order: bool, seed: int) -> pd.DataFrame:
    """First- and total-order Sobol indices with 95% bootstrap intervals (SALib.analyze.sobol)."""
    from SALib.analyze import sobol

    res = sobol.analyze(problem, y, calc_second_order=second_order, conf_level=0.95, seed=seed, print_to_console=False)
    return pd.DataFrame(
        {"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]},
        index=pd.Index(problem["names"], name="parameter"),
    )


def morris_indices(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, levels: int, seed: int) -> pd.DataFrame:
    """Morris mu*, mu* confidence, sigma (SALib.analyze.morris)."""
    from SALib.analyze import morris

    res = morris.analyze(problem, x, y, num_levels=levels, conf_level=0.95, seed=seed, print_to_console=False)
    return pd.DataFrame(
        {"mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"], "mu": res["mu"], "sigma": res["sigma"]},
        index=pd.Index(problem["names"], name="parameter"),
    )


def indices_chart(
    table: pd.DataFrame,
    method: str,
    outcome: str,
    top: int = 15,
    labels: dict[str, str] | None = None,
    scope: str | None = None,
    warning: str | None = None,
    outcome_label: str | None = None,
):
    """Horizontal bar chart with 95% intervals, largest first; parameters in words (``labels``), the
    outcome's per-point meaning in the title (``outcome_label``, default the catalogue's words), ``scope`` (what was varied, runs, horizon) and any
    ``warning`` (a rare outcome, estimates outside [0, 1]) under it."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from simulation.outcomes import outcome as catalogue
    from simulation.reporting.plots import SLIDE_STYLE

    labels = labels or {}
    if method == "sobol":
        data = table.sort_values("ST", ascending=False).head(top)[::-1]
        cols = [("ST", "ST_conf", "total order"), ("S1", "S1_conf", "first order")]
        xlabel = "Sobol index (share of the variance across design points)"
    else:
        data = table.sort_values("mu_star", ascending=False).head(top)[::-1]
        cols = [("mu_star", "mu_star_conf", "mu*")]
        xlabel = "Morris mu* (mean |elementary effect| over each input's range, outcome units)"
    entry = catalogue(outcome)
    notes = [n for n in (warning, out_of_range_note(table) if method == "sobol" else None) if n]
    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(11, 0.45 * len(data) + 2.6 + 0.3 * len(notes)))
        ax = fig.add_subplot()
        y = np.arange(len(data))
        height = 0.8 / len(cols)
        for k, (col, conf, label) in enumerate(cols):
            ax.barh(
                y + (k - (len(cols) - 1) / 2) * height,
                data[col],
                height=height,
                xerr=data[conf],
                label=label,
                capsize=3,
                color=("#0072B2", "#E69F00")[k],
            )
        ax.set_yticks(y, [labels.get(name, str(name)) for name in data.index])
        ax.set_xlabel(xlabel)
        words = outcome_label or entry.point_label
        ax.set_title(f"{method.capitalize()} sensitivity of {words} (bars: 95% intervals)", fontsize=14)
        ax.axvline(0, color="black", lw=0.8)
        if method == "sobol":
            ax.axvline(1, color="#999999", lw=0.8, ls=":")
        if len(cols) > 1:
            ax.legend(frameon=False, loc="lower right")
        scope_lines = textwrap.wrap(scope, 125) if scope else []
        warning_lines = [line for n in notes for line in textwrap.wrap(f"Warning: {n}.", 125)]
        height = fig.get_figheight()
        if scope_lines:
            fig.text(0.01, 0.005 + 0.2 * len(warning_lines) / height, "\n".join(scope_lines), fontsize=10,
                     color="#444444", va="bottom")  # fmt: skip
        if warning_lines:  # in red: a reader must not miss it
            fig.text(0.01, 0.005, "\n".join(warning_lines), fontsize=10.5, color="#b2182b", va="bottom")
        lines = len(scope_lines) + len(warning_lines)
        fig.tight_layout(rect=(0, (0.1 + 0.2 * lines) / height if lines else 0, 1, 1))
    return fig


def _parameter_words(mode: str) -> str:
    return {
        "posterior": "posterior predictive (each run draws its behavioural parameters from the calibrated posterior)",
        "point": "one parameter set (the posterior median)",
        "registry": "the registry's parameter values (not calibrated)",
    }.get(mode, mode)


@dataclass
class SensitivityResult:
    """What :func:`analyse_sweep` found: per outcome, its index table (inputs in words), its per-point words
    and any warning; and the report as Markdown."""

    tables: dict[str, pd.DataFrame]
    words: dict[str, str]
    warnings: dict[str, str | None]
    markdown: str


def analyse_sweep(
    sweep: Any, df: pd.DataFrame, manifest: dict, outcomes: list[str], out: Path, source: str = ""
) -> SensitivityResult:
    """Sobol or Morris indices of each outcome (its catalogue aggregation per design point) for a sweep's
    results; writes ``<method>_<outcome>.csv``, the charts and ``sensitivity.md`` into ``out``."""
    from simulation.outcomes import numeric_outcome
    from simulation.reporting.plots import horizon_words, human_label, outcome_words, save

    method = sweep.spec.design.method
    problem = sweep.salib_problem()
    labels = {name: human_label(name, manifest) for name in problem["names"]}
    horizon = horizon_words(sweep.base.start, sweep.base.steps)
    size = f"{sweep.points.shape[0]:,} design points x {sweep.spec.replicates} runs"
    scope = f"{sweep.spec.title}: {size}, horizon {horizon}; {_parameter_words(sweep.spec.parameters)}"
    lines = [
        f"# {sweep.spec.title}",
        "",
        f"Method: {method}; {size}; horizon {horizon}; {_parameter_words(sweep.spec.parameters)}."
        + (f" Sweep file: `{source}`." if source else ""),
        "",
    ]
    seed = sweep.spec.master_seed % 2**32
    tables, words_of, warnings = {}, {}, {}
    for name in outcomes:
        entry = numeric_outcome(name, df.columns)
        y = outcome_per_point(df, name, sweep.base.steps)
        if method == "sobol":
            table = sobol_indices(problem, y, sweep.spec.design.second_order, seed).sort_values("ST", ascending=False)
        else:
            table = morris_indices(problem, sweep.points, y, sweep.spec.design.levels, seed)
            table = table.sort_values("mu_star", ascending=False)
        warning = rare_outcome_warning(df, name, "-".join(sweep.base.focal_pair))
        table.to_csv(out / f"{method}_{name}.csv")
        words = outcome_words(name, manifest, per_point=True)
        fig = indices_chart(table, method, name, labels=labels, scope=scope, warning=warning, outcome_label=words)
        save(fig, out / f"{method}_{name}")
        shown = table.rename(index=labels)
        lines += [f"## {words[:1].upper() + words[1:]} (`{name}`: {entry.description})", ""]
        lines += [f"**Warning:** {note}." for note in (warning, out_of_range_note(table)) if note]
        lines += ["", shown.round(4).to_markdown(), ""]
        tables[name], words_of[name], warnings[name] = shown, words, warning
    text = "\n".join(lines)
    (out / "sensitivity.md").write_text(text, "utf-8")
    return SensitivityResult(tables, words_of, warnings, text)
