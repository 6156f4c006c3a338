"""Global sensitivity analysis through SALib, on sweep results.

Sobol indices (first and total order, with bootstrap confidence intervals): Sobol', Math.
Comput. Simul. 55:271-280 (2001), doi:10.1016/S0378-4754(00)00270-6, with the Saltelli et al.
(2010) estimators, doi:10.1016/j.cpc.2009.09.018. Morris elementary effects: Morris,
Technometrics 33:161-174 (1991), doi:10.1080/00401706.1991.10484804; mu* from Campolongo et
al. (2007). This module only prepares outputs per design point and dispatches to SALib.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Outcomes a sensitivity analysis can target: name -> (column, how to aggregate per point)
OUTCOMES = {
    "alliance_probability": "share of runs with a formal alliance of the focal pair",
    "time_to_alliance": "month the alliance was signed (runs without one count as the horizon)",
    "final_level": "mean final ladder level of the focal pair",
}


def outcome_per_point(df: pd.DataFrame, outcome: str, horizon: int) -> np.ndarray:
    """One value per design point, in point order."""
    if outcome == "alliance_probability":
        values = df.groupby("point")["alliance"].mean()
    elif outcome == "time_to_alliance":
        step = df["alliance_month"].astype("Float64").fillna(horizon)
        values = step.groupby(df["point"]).mean()
    elif outcome == "final_level":
        values = df.groupby("point")["final_level"].mean()
    else:
        raise ValueError(f"unknown outcome {outcome}; choose from {', '.join(OUTCOMES)}")
    return values.sort_index().to_numpy(dtype=float)


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


def indices_chart(table: pd.DataFrame, method: str, outcome: str, top: int = 15):
    """Horizontal bar chart with confidence intervals, largest first."""
    import matplotlib.pyplot as plt

    from simulation.reporting.plots import SLIDE_STYLE

    if method == "sobol":
        data = table.sort_values("ST", ascending=False).head(top)[::-1]
        cols = [("ST", "ST_conf", "total order"), ("S1", "S1_conf", "first order")]
        xlabel = "Sobol index"
    else:
        data = table.sort_values("mu_star", ascending=False).head(top)[::-1]
        cols = [("mu_star", "mu_star_conf", "mu*")]
        xlabel = "Morris mu* (mean |elementary effect|)"
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(data) + 2))
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
            )
        ax.set_yticks(y, data.index)
        ax.set_xlabel(xlabel)
        ax.set_title(f"{method.capitalize()} sensitivity of {outcome.replace('_', ' ')} (bars: 95% intervals)")
        ax.axvline(0, color="black", lw=0.8)
        if len(cols) > 1:
            ax.legend(frameon=False, loc="lower right")
        fig.tight_layout()
    return fig
