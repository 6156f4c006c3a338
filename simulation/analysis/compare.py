"""Two scenarios side by side: each outcome's distribution in both, and the difference with its interval.

Both scenarios run the same seeds (common random numbers: with ``parameters="posterior"`` run k
also uses the same posterior draw in both, a draws x replicates design), so a difference comes from
the scenarios, not from different luck. The intervals are Monte Carlo error only (how sure the runs
make the pooled number), and treat the two sets of runs as independent samples, which is
conservative when paired runs are positively correlated:

- a share (yes/no outcome): Wilson score intervals per scenario (Wilson 1927) and Newcombe's hybrid
  score interval for the difference (Newcombe, Statistics in Medicine 17:873-890, 1998,
  doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I, method 10), which stays
  honest at 0 or 1 (0 of 1,000 against 0 of 1,000 is not "exactly no difference");
- a mean: mean +- 1.96 standard errors per scenario, and Welch's standard error for the difference.

Beside every probability stands its spread across posterior draws (``simulation.analysis.spread``):
the per-draw probabilities' median and 5-95%, the shares of draws below 0.05 and above 0.5, the share
of the variance between draws; and for the difference, the per-draw difference (B - A in the same
draw): its median, 5-95% and the share of draws where B is higher.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.analysis.defaults import COMPARE_OUTCOMES as DEFAULT_OUTCOMES
from simulation.outcomes import numeric_outcome

Z95 = 1.959963984540054


@dataclass
class Comparison:
    """The result of :func:`compare_outcomes`: one row per outcome, and the runs behind it."""

    names: tuple[str, str]
    table: pd.DataFrame  # outcome, label, kind, a, a_lo, a_hi, b, b_lo, b_hi, diff, diff_lo, diff_hi, spread columns
    runs_a: pd.DataFrame
    runs_b: pd.DataFrame
    scope: str
    focal: str = "the focal pair"


def _share(values: pd.Series) -> tuple[float, float, float]:
    from simulation.core.stats import wilson_interval

    k, n = float(values.sum()), len(values)
    lo, hi = wilson_interval(np.array([k]), np.array([n]))
    return k / n, float(lo[0]), float(hi[0])


def _mean(values: pd.Series) -> tuple[float, float, float, float]:
    n = len(values)
    mean = float(values.mean())
    se = float(values.std(ddof=1)) / np.sqrt(n) if n > 1 else float("nan")
    return mean, mean - Z95 * se, mean + Z95 * se, se


def compare_outcomes(
    runs_a: pd.DataFrame,
    runs_b: pd.DataFrame,
    names: tuple[str, str],
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    horizon: int | None = None,
    scope: str = "",
    focal: str | None = None,
) -> Comparison:
    """Each outcome in A and in B with 95% intervals, and B - A with its 95% interval. Where every run of
    both gave the same value (e.g. no alliance anywhere, so its month is the horizon in every run), there is
    no spread to estimate an interval from: the interval is left empty (NaN), never a zero-width one."""
    from simulation.outcomes import in_words

    rows = []
    for name in outcomes:
        entry = numeric_outcome(name, runs_a.columns)
        ya = entry.per_run(runs_a, horizon)
        yb = entry.per_run(runs_b, horizon)
        if entry.aggregation == "share":
            (pa, la, ua), (pb, lb, ub) = _share(ya), _share(yb)
            diff = pb - pa
            lo = diff - np.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
            hi = diff + np.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
        else:
            pa, la, ua, sa = _mean(ya)
            pb, lb, ub, sb = _mean(yb)
            diff = pb - pa
            se = float(np.sqrt(sa**2 + sb**2))
            lo, hi = (diff - Z95 * se, diff + Z95 * se) if se > 0 else (float("nan"), float("nan"))
            if not sa > 0:
                la = ua = float("nan")
            if not sb > 0:
                lb = ub = float("nan")
        spread = _draw_spread(runs_a, runs_b, ya, yb) if entry.aggregation == "share" else {}
        rows.append(
            {
                "outcome": name,
                "label": in_words(name, focal, per_point=True),
                "aggregation": entry.aggregation,
                "a": pa,
                "a_lo": la,
                "a_hi": ua,
                "b": pb,
                "b_lo": lb,
                "b_hi": ub,
                "diff": diff,
                "diff_lo": lo,
                "diff_hi": hi,
                **spread,
            }
        )
    return Comparison(names, pd.DataFrame(rows), runs_a, runs_b, scope, focal or "the focal pair")


def _draw_spread(runs_a: pd.DataFrame, runs_b: pd.DataFrame, ya: pd.Series, yb: pd.Series) -> dict[str, float]:
    """Each side's spread across posterior draws and the per-draw difference (runs with a ``draw`` column)."""
    from simulation.core.spread import per_draw, spread_of, weighted_quantile

    if "draw" not in runs_a.columns or "draw" not in runs_b.columns:
        return {}
    out: dict[str, float] = {}
    for side, runs, y in (("a", runs_a, ya), ("b", runs_b, yb)):
        s = spread_of(y, runs["draw"])
        out.update({f"{side}_median": s.median, f"{side}_q05": s.q05, f"{side}_q95": s.q95,
                    f"{side}_below_0_05": s.share_below, f"{side}_above_0_5": s.share_above,
                    f"{side}_share_between": s.share_between, f"{side}_draws": s.draws,
                    f"{side}_runs_per_draw": s.runs_per_draw})  # fmt: skip
    pa, pb = per_draw(ya, runs_a["draw"]), per_draw(yb, runs_b["draw"])
    both = pa.add_suffix("_a").join(pb.add_suffix("_b"), how="inner")
    if both.empty:
        return out
    d, w = (both["p_b"] - both["p_a"]).to_numpy(), np.minimum(both["runs_a"], both["runs_b"]).to_numpy()
    out.update({"diff_median": weighted_quantile(d, w, 0.5), "diff_q05": weighted_quantile(d, w, 0.05),
                "diff_q95": weighted_quantile(d, w, 0.95), "diff_share_higher": float(w[d > 0].sum() / w.sum()),
                "diff_share_lower": float(w[d < 0].sum() / w.sum())})  # fmt: skip
    return out


def compare_scenarios(
    path_a: str | Path,
    path_b: str | Path,
    runs: int = 1000,
    seed: int = 0,
    parameters: str = "posterior",
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
) -> Comparison:
    """Run two scenarios (files or shipped names) over the same ``runs`` seeds on the batch engine and compare
    ``outcomes``. Both must name the same focal pair; a pair outcome must exist in both."""
    from simulation.core.errors import InputError
    from simulation.outcomes import pair_columns
    from simulation.reporting.plots import horizon_words
    from simulation.runner import run_batch
    from simulation.world.scenario import load_scenario, scenario_id

    for name in outcomes:
        numeric_outcome(name)
    a, b = load_scenario(path_a), load_scenario(path_b)
    if tuple(a.focal_pair) != tuple(b.focal_pair):
        raise InputError(path_b, "focal_pair", f"is {'-'.join(b.focal_pair)}, not {'-'.join(a.focal_pair)} as in "
                         f"{path_a}: the focal-pair outcomes would be about different pairs")  # fmt: skip
    for name in (n for n in outcomes if n.startswith("final_") and n != "final_level"):
        for path, sc in ((path_a, a), (path_b, b)):
            numeric_outcome(name, [f"final_{c}" for _, _, c in pair_columns(tuple(sc.actors))], path)
    runs_a = run_batch(a, runs=runs, master_seed=seed, parameters=parameters)
    runs_b = run_batch(b, runs=runs, master_seed=seed, parameters=parameters)
    focal = "-".join(a.focal_pair)
    months = horizon_words(a.start, a.steps)
    if (b.start, b.steps) != (a.start, a.steps):
        months += f" and {horizon_words(b.start, b.steps)}"
    scope = (
        f"Pair: {focal}; {months}; {runs:,} runs each, the same seeds in both (master seed {seed}); "
        f"{runs_a.attrs.get('parameters', parameters)}"
    )
    if "draw" in runs_a.columns:
        draws = runs_a["draw"].nunique()
        scope += f": {draws} posterior draws x {runs / draws:g} runs each, the same draws in both"
    scope += "."
    names = (scenario_id(path_a), scenario_id(path_b))
    return compare_outcomes(runs_a, runs_b, names, outcomes, horizon=max(a.steps, b.steps), scope=scope, focal=focal)


#: The files a comparison writes into its folder.
COMPARE_FILES = ("compare.md", "compare.csv", "compare.png", "compare.svg")


def write_comparison(result: Comparison, out: Path) -> list[Path]:
    """compare.md, compare.csv and the figure (PNG and SVG) in ``out``; returns the paths.

    Each file is written to a temporary name and renamed when complete; a failure (a full disk) removes this
    comparison's files again (and the folder, if it made it and it is empty): nothing half-written is left."""
    from simulation.core.io import atomic_path, write_atomic
    from simulation.reporting.plots import save

    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(out / "compare.md", comparison_markdown(result))
        with atomic_path(out / "compare.csv") as tmp:
            result.table.to_csv(tmp, index=False)
        return [out / "compare.md", out / "compare.csv", *save(comparison_figure(result), out / "compare")]
    except OSError:
        for name in COMPARE_FILES:
            (out / name).unlink(missing_ok=True)
        if made:
            with contextlib.suppress(OSError):
                out.rmdir()
        raise


def comparison_markdown(result: Comparison) -> str:
    """The comparison as a Markdown table with its scope."""
    a, b = result.names
    lines = [
        f"# {b} compared with {a}",
        "",
        result.scope,
        "",
        f"| outcome | {a} | {b} | difference ({b} - {a}) |",
        "|---|---|---|---|",
    ]
    for r in result.table.itertuples():
        lines.append(
            f"| {r.label} | {_cell(r.a, r.a_lo, r.a_hi)} | {_cell(r.b, r.b_lo, r.b_hi)} | "
            f"{_cell(r.diff, r.diff_lo, r.diff_hi, signed=True)} |"
        )
    lines += [
        "",
        "Brackets: 95% intervals of the pooled value, Monte Carlo error only (Wilson for shares, mean +- 1.96 "
        "s.e. otherwise; the difference: Newcombe's hybrid score interval for shares, Welch's standard error "
        'for means). A month outcome counts a run where it never happened as the horizon. "Reached": at any '
        'month; "at the end": the level held at the horizon.',
        "",
    ]
    if "a_median" in result.table.columns:
        lines += [
            "## Across posterior draws",
            "",
            "What we do not know about the parameters: each probability per posterior draw (its median and "
            "5-95% over draws, the shares of draws below 0.05 and above 0.5, the share of the outcome's "
            "variance between draws rather than run-to-run chance), and the difference in the same draw.",
            "",
            f"| outcome | {a}: per draw | {b}: per draw | difference per draw |",
            "|---|---|---|---|",
        ]
        for r in result.table[result.table["aggregation"] == "share"].itertuples():
            lines.append(f"| {r.label} | {_draw_cell(r, 'a')} | {_draw_cell(r, 'b')} | "
                         f"median {r.diff_median:+.2f}, 5-95% {r.diff_q05:+.2f} to {r.diff_q95:+.2f}; "
                         f"{r.diff_share_higher:.0%} of draws higher, {r.diff_share_lower:.0%} lower |")  # fmt: skip
        lines.append("")
    return "\n".join(lines)


def _draw_cell(r, side: str) -> str:
    g = lambda k: getattr(r, f"{side}_{k}")  # noqa: E731
    between = g("share_between")
    split = "" if np.isnan(between) else f"; {between:.0%} of variance between draws"
    return (f"median {g('median'):.2f}, 5-95% {g('q05'):.2f}-{g('q95'):.2f}; {g('below_0_05'):.0%} of draws "
            f"< 0.05, {g('above_0_5'):.0%} > 0.5{split}")  # fmt: skip


def _cell(value: float, lo: float, hi: float, signed: bool = False) -> str:
    fmt = "+.3f" if signed else ".3f"
    if np.isnan(lo) or np.isnan(hi):
        return f"{value:{fmt}} (every run the same: no interval)"
    return f"{value:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"


def comparison_figure(result: Comparison):
    """Left: the focal pair's final level in A and in B (share of runs per rung, with 95% intervals).
    Right: B - A for every compared outcome that is a share, with its 95% interval."""
    import textwrap

    import matplotlib as mpl
    from matplotlib.figure import Figure

    from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
    from simulation.core.stats import wilson_interval
    from simulation.reporting.plots import OKABE_ITO, SLIDE_STYLE

    a, b = result.names
    shares = result.table[result.table["aggregation"] == "share"]
    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(14, 6.4))
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        levels = np.arange(MAX_LEVEL + 1)
        width = 0.38
        for k, (name, runs) in enumerate(((a, result.runs_a), (b, result.runs_b))):
            final = runs["final_level"].astype(int)
            counts = np.array([(final == lvl).sum() for lvl in levels])
            n = len(final)
            lo, hi = wilson_interval(counts, np.full_like(counts, n))
            share = counts / n
            left.bar(
                levels + (k - 0.5) * width,
                share,
                width=width,
                color=OKABE_ITO[k],
                label=name,
                yerr=np.vstack([share - lo, hi - share]).clip(min=0),
                capsize=3,
            )
        left.set_xticks(levels, [lbl.capitalize().replace(" ", "\n") for lbl in LEVEL_LABELS])
        left.set_ylim(0, 1)
        left.set_ylabel("Share of runs")
        left.set_title(f"Level of {result.focal} held at the end (bars: 95% intervals)")
        left.legend(frameon=False, loc="upper left")
        left.grid(axis="y", alpha=0.3)
        ys = np.arange(len(shares))[::-1]
        if "diff_q05" in shares.columns:
            right.hlines(ys, shares["diff_q05"], shares["diff_q95"], color=OKABE_ITO[2], lw=9, alpha=0.45,
                         label="per posterior draw, 5-95%")  # fmt: skip
        right.errorbar(
            shares["diff"],
            ys,
            xerr=np.vstack([shares["diff"] - shares["diff_lo"], shares["diff_hi"] - shares["diff"]]).clip(min=0),
            fmt="o",
            color="black",
            capsize=4,
            label="pooled (95% Monte Carlo interval)",
        )
        right.legend(frameon=False, loc="lower right", fontsize=10)
        right.axvline(0, color="#999999", lw=1)
        right.set_yticks(ys, ["\n".join(textwrap.wrap(label, 22)) for label in shares["label"]])
        right.set_ylim(-0.7, len(shares) - 0.3)
        right.set_xlabel("\n".join(textwrap.wrap(f"{b} minus {a}", 40)))
        right.set_title("Difference in probability")
        right.grid(axis="x", alpha=0.3)
        fig.text(0.01, 0.005, result.scope, fontsize=10, color="#444444", wrap=True)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig
