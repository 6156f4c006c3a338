"""Figures with matplotlib, sized and lettered to be read on a slide; saved as PNG and SVG.

Nothing here touches a user's matplotlib settings: no backend is chosen and no ``rcParams`` are
changed (styles apply inside ``rc_context`` only). Figures are made as ``matplotlib.figure.Figure``
objects without pyplot, so they need no window system, display in a notebook and are freed when
dropped.

Sweep figures work for any design (grid, LHS, Sobol, Morris): a swept quantity with more than
12 distinct values is binned into quantile bins, every figure says what it pools over, labels
are human words, and a figure that would need more than 12 legend entries is refused with one
line (:class:`TooManyEntries`). Colours are the Okabe-Ito palette (colour-blind safe, legible
on white).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
#: deficiencies; yellow is left out (too faint on white).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
#: At most this many legend entries (lines, groups) in one figure.
MAX_LEGEND_ENTRIES = 12
#: A swept quantity with more distinct values than this is binned.
MAX_LEVELS_UNBINNED = 12

SLIDE_STYLE = {
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 13,
    "legend.fontsize": 11,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "alliance-sim",
}
LEVEL_COLOURS = ["#b2182b", "#bdbdbd", "#92c5de", "#4393c3", "#2166ac", "#053061"]


class TooManyEntries(InputError):
    """A figure would need more than ``MAX_LEGEND_ENTRIES`` legend entries."""


def new_figure(figsize: tuple[float, float]) -> tuple[Figure, object]:
    """A figure and its one axes, without pyplot (no backend, no global figure list)."""
    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot()


def save(fig: Figure, path_stem: Path) -> list[Path]:
    """Save ``fig`` as PNG (150 dpi) and SVG next to each other; returns the paths."""
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    from simulation.core.io import atomic_path

    paths = []
    for ext in ("png", "svg"):
        path = path_stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:  # a full disk never leaves half a figure under its name
            fig.savefig(
                tmp, format=ext, dpi=150, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None
            )
        paths.append(path)
    return paths


def pair_words(column: str, actors: tuple[str, ...] | None = None) -> str:
    """'russia_china' -> 'Russia-China' (the actors' own spelling when they are given)."""
    if actors:
        from simulation.outcomes import pair_columns

        for i, j, col in pair_columns(tuple(actors)):
            if col == column:
                return f"{actors[i]}-{actors[j]}"
    return "-".join(part.capitalize() if part.islower() else part for part in column.split("_"))


#: Line styles combined with the palette so that no two of up to 24 pairs look alike.
LINE_STYLES = ("-", "--", ":")


def alignment_over_time(
    trajectories: pd.DataFrame,
    pairs: list[str],
    title: str,
    focal: str | None = None,
    actors: tuple[str, ...] | None = None,
    scope: str | None = None,
) -> Figure:
    """Alignment level of every pair, month by month; the ``focal`` pair's column (default: the
    first of ``pairs``) drawn thick and black; the others each in their own colour and line style,
    labelled in words ("Russia-China"); ``scope`` (one run: its seed and parameters) under the title."""
    focal = pairs[0] if focal is None and pairs else focal
    _check_entries(len(pairs), "pairs")
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((11.5, 6.2))
        x = pd.to_datetime(trajectories["date"]) if "date" in trajectories else trajectories.index
        palette = tuple(c for c in OKABE_ITO if c != "#000000")  # black is the focal pair's
        others = [p for p in pairs if p != focal]
        for pair in pairs:
            emphasis = pair == focal
            k = others.index(pair) if not emphasis else 0
            offset = 0 if emphasis else (k - len(others) / 2) * 0.025  # keep overlapping step lines apart
            ax.step(
                x,
                trajectories[pair] + offset,
                where="post",
                label=pair_words(pair, actors) + (" (focal pair)" if emphasis else ""),
                lw=3.5 if emphasis else 1.8,
                color="black" if emphasis else palette[k % len(palette)],
                ls="-" if emphasis else LINE_STYLES[(k // len(palette)) % len(LINE_STYLES)],
                zorder=3 if emphasis else 2,
            )
        ax.set_yticks(range(MAX_LEVEL + 1), [label.capitalize() for label in LEVEL_LABELS])
        ax.set_ylim(-0.3, MAX_LEVEL + 0.3)
        ax.set_title(title)
        ax.set_xlabel("Month")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        fig.autofmt_xdate()
        if scope:
            fig.text(0.01, 0.005, scope, fontsize=10, color="#444444", wrap=True)
        fig.tight_layout(rect=(0, 0.04 if scope else 0, 1, 1))
    return fig


def alignment_network(levels: np.ndarray, actors: tuple[str, ...], title: str) -> Figure:
    """The actors as a network; edges coloured and widened by alignment level."""
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((7.5, 7))
        graph = nx.Graph()
        graph.add_nodes_from(actors)
        n = len(actors)
        for i in range(n):
            for j in range(i + 1, n):
                graph.add_edge(actors[i], actors[j], level=int(levels[i, j]))
        pos = nx.circular_layout(graph)
        for level in range(MAX_LEVEL + 1):
            edges = [(u, v) for u, v, d in graph.edges(data=True) if d["level"] == level]
            if not edges:
                continue
            nx.draw_networkx_edges(
                graph,
                pos,
                edgelist=edges,
                ax=ax,
                width=1.0 + 1.6 * level,
                edge_color=LEVEL_COLOURS[level],
                style="dashed" if level == 0 else "solid",
            )
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=2600, node_color="#fdfdfd", edgecolors="#333333")
        nx.draw_networkx_labels(graph, pos, ax=ax, font_size=13, font_weight="bold")
        handles = [
            Line2D([], [], color=LEVEL_COLOURS[k], lw=1.0 + 1.6 * k, ls="--" if k == 0 else "-")
            for k in range(MAX_LEVEL + 1)
        ]
        ax.legend(
            handles,
            [label.capitalize() for label in LEVEL_LABELS],
            loc="lower center",
            bbox_to_anchor=(0.5, -0.2),
            ncol=3,
            frameon=False,
        )
        ax.set_title(title)
        ax.set_axis_off()
        ax.margins(0.15)
        fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- sweep figures: labels


def factor_paths(manifest: dict | None) -> dict[str, str]:
    """Column name -> scenario path of every swept quantity, from a sweep's manifest."""
    spec = (manifest or {}).get("sweep_spec", {}) or {}
    out = {}
    for item in spec.get("vary", []) or []:
        name = item.get("label") or item.get("path", "").replace(".", "_")
        out[name] = item.get("path", name)
    return out


def factors_of(manifest: dict | None) -> list[str]:
    """The swept columns, in the sweep file's order."""
    return list((manifest or {}).get("design", {}).get("factors", []))


def human_label(name: str, manifest: dict | None = None) -> str:
    """Words for a column: outcomes from the outcome catalogue, swept scenario paths described
    from the scenario (``pressure.targets.China`` -> "US pressure on China (0-1)"), registry keys
    from the registry's descriptions, anything else with its underscores as spaces."""
    import simulation.outcomes as outcomes

    if name in getattr(outcomes, "OUTCOME_NAMES", ()):
        return outcomes.label(name)
    path = factor_paths(manifest).get(name, name)
    base = (manifest or {}).get("base_scenario", {}) or {}
    pressure = base.get("pressure", {}) or {}
    by = pressure.get("by") or "the pressuring actor's"
    coord = pressure.get("coordinated_by") or "the coordinating actor's"
    parts = path.split(".")
    if parts[:2] == ["pressure", "targets"] and len(parts) >= 3:
        return f"{by} pressure on {parts[2]} (0-1)"
    if parts[:2] == ["pressure", "coordination"]:
        return f"{coord} coordination with {by} pressure (0-1)"
    key = path[len("parameters.") :] if path.startswith("parameters.") else path
    try:
        from simulation.world.registry import default_registry

        reg = default_registry()
        if key in reg:
            p = reg[key]
            who = f" ({p.of.replace('_', ' ')})" if p.of else ""
            return f"{p.family.replace('_', ' ')}{who}"
    except Exception:  # noqa: BLE001 - a label is never worth failing a figure
        pass
    if name.startswith("final_") and name not in getattr(outcomes, "OUTCOME_NAMES", ()):
        return outcomes.label(name)
    return name.replace("_", " ")


def outcome_words(outcome: str, manifest: dict | None = None, per_point: bool = False) -> str:
    """Words for an outcome (its per-point meaning with ``per_point``: "mean highest level of ..."), naming
    the focal pair when the manifest says which it is."""
    from simulation.outcomes import in_words

    focal = "-".join(((manifest or {}).get("base_scenario") or {}).get("focal_pair") or ())
    return in_words(outcome, focal or None, per_point)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_binary(series: pd.Series) -> bool:
    return series.dtype == bool or set(pd.unique(series.dropna())) <= {0, 1}


# --------------------------------------------------------------------------- sweep figures: data


def binned(values: pd.Series, max_levels: int = MAX_LEVELS_UNBINNED, bins: int = 8) -> tuple[pd.Series, bool]:
    """``values`` as they are if they take at most ``max_levels`` distinct values (a grid), else the
    centre of their quantile bin (``bins`` bins of about equal counts); and whether it binned."""
    if values.nunique() <= max_levels or not pd.api.types.is_numeric_dtype(values):
        return values, False
    codes = pd.qcut(values, q=bins, duplicates="drop")
    centres = codes.map(lambda iv: (iv.left + iv.right) / 2).astype(float)
    return centres, True


def summarise(data: pd.DataFrame, keys: list[str], outcome: str) -> pd.DataFrame:
    """Per group: runs ``n``, ``mean`` of ``outcome`` and a 95% band (``lo``, ``hi``): Wilson for a
    yes/no outcome, mean +- 1.96 standard errors otherwise (Monte Carlo error of the pooled value).

    A yes/no outcome of posterior-predictive runs (a ``draw`` column) also gets its spread across
    posterior draws (``simulation.core.spread``): ``draws``, ``runs_per_draw``, ``d05``, ``d50``, ``d95``
    (per-draw probabilities' 5%, median, 95%), ``below`` / ``above`` (shares of draws with P < 0.05 /
    > 0.5) and ``between`` (share of the variance between draws); only when every group has at least two
    runs per draw (with one, a draw's "probability" is its one run's 0 or 1)."""
    from simulation.core.stats import wilson_interval

    y = data[outcome].astype(float)
    g = y.groupby([data[k] for k in keys], observed=True)
    out = pd.DataFrame({"n": g.count(), "mean": g.mean(), "sd": g.std(ddof=1)}).reset_index()
    if _is_binary(data[outcome]):
        out["lo"], out["hi"] = wilson_interval((out["mean"] * out["n"]).round().to_numpy(), out["n"].to_numpy())
        if "draw" in data.columns:
            drawn = _draw_columns(data, keys, outcome)
            if not drawn.empty and drawn["runs_per_draw"].min() >= 2:  # one run per draw: no per-draw chance
                out = out.merge(drawn, on=keys, how="left")
    else:
        half = 1.96 * out["sd"].fillna(0.0) / np.sqrt(out["n"].clip(lower=1))
        out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    return out


def _draw_columns(data: pd.DataFrame, keys: list[str], outcome: str) -> pd.DataFrame:
    """Per group of ``keys``: the spread of ``outcome`` across posterior draws (see ``summarise``)."""
    from simulation.core.spread import spread_of

    rows = []
    for key, sub in data.groupby([data[k] for k in keys], observed=True):
        sp = spread_of(sub[outcome].astype(float), sub["draw"])
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                     "draws": sp.draws, "runs_per_draw": sp.runs_per_draw, "d05": sp.q05, "d50": sp.median,
                     "d95": sp.q95, "below": sp.share_below, "above": sp.share_above,
                     "between": sp.share_between})  # fmt: skip
    return pd.DataFrame(rows)


def draws_words(stats: pd.DataFrame) -> str:
    """'200 posterior draws x 10 runs' for a ``summarise`` table with the draw columns."""
    from simulation.core.spread import FEW_RUNS_PER_DRAW

    draws, reps = int(stats["draws"].max()), stats["runs_per_draw"]
    each = f"{reps.min():g}" if reps.min() == reps.max() else f"{reps.min():g}-{reps.max():g}"
    few = (f"; with fewer than {FEW_RUNS_PER_DRAW} runs per draw a draw's probability carries run-to-run chance"
           if reps.min() < FEW_RUNS_PER_DRAW else "")  # fmt: skip
    return f"{draws} posterior draws x {each} runs{few}"


def _filter(df: pd.DataFrame, fix: dict[str, float] | None) -> pd.DataFrame:
    data = df
    for col, value in (fix or {}).items():
        data = data[np.isclose(data[col].astype(float), value)]
    return data


def _month_words(start: str, step: int) -> str:
    """'Dec 2021' for month ``step`` after ``start`` (YYYY-MM)."""
    import calendar

    from simulation.core.calendar import month_label

    year, month = month_label(start, step).split("-")
    return f"{calendar.month_abbr[int(month)]} {year}"


def horizon_words(start: str | None, steps: int | None) -> str:
    """'Jan 2018 - Dec 2021 (48 months)': the months a run covers."""
    if not start or not steps:
        return "the scenario's horizon"
    return f"{_month_words(start, 0)} - {_month_words(start, int(steps) - 1)} ({int(steps)} months)"


def parameters_words(manifest: dict | None) -> str:
    """How the runs' behavioural parameters were chosen, in words."""
    mode = ((manifest or {}).get("sweep_spec") or {}).get("parameters")
    return {
        "posterior": "posterior predictive (parameter uncertainty and run noise)",
        "point": "one parameter set (the posterior median): run noise only",
        "registry": "the registry's uncalibrated values: run noise only",
    }.get(mode, "parameters not recorded")


def by_words(manifest: dict | None) -> str:
    """' by Dec 2021' (the last month of the runs), or '' when the manifest does not say."""
    base = (manifest or {}).get("base_scenario") or {}
    if not base.get("start") or not base.get("steps"):
        return ""
    return f" by {_month_words(base['start'], int(base['steps']) - 1)}"


def scope_words(manifest: dict | None) -> str:
    """Which pair, which months, which parameters: 'Russia-China, Jan 2018 - Dec 2021 (48 months), posterior
    predictive (...)'."""
    base = (manifest or {}).get("base_scenario") or {}
    focal = "-".join(base.get("focal_pair") or ()) or "the focal pair"
    return f"{focal}, {horizon_words(base.get('start'), base.get('steps'))}, {parameters_words(manifest)}"


def _fixed_and_pooled(data: pd.DataFrame, shown: list[str], factors: list[str], manifest: dict | None):
    """The swept quantities a figure does not show, split into those the data holds at one value (fixed,
    with that value) and those it pools over (with their range), read from the data itself."""
    fixed, pooled = [], []
    for f in factors:
        if f in shown or f not in data:
            continue
        values = pd.unique(data[f].dropna())
        if len(values) == 1:
            fixed.append(f"{human_label(f, manifest)} = {_value_text(values[0])}")
        elif len(values) > 1:
            lo, hi = np.min(values), np.max(values)
            pooled.append(f"{human_label(f, manifest)} ({len(values)} values, {_value_text(lo)}-{_value_text(hi)})")
    return fixed, pooled


def _pooled_note(
    df: pd.DataFrame,
    shown: list[str],
    factors: list[str],
    fix: dict | None,
    manifest: dict | None,
    binned_cols: list[str],
) -> str:
    """A sentence saying what a figure pools over, read from the data it shows (so a subset says so)."""
    fixed, pooled = _fixed_and_pooled(df, shown, factors, manifest)
    parts = []
    if pooled:
        parts.append("pooled over " + "; ".join(pooled))
    if fixed:
        parts.append("with " + ", ".join(fixed))
    if binned_cols:
        parts.append("binned: " + ", ".join(human_label(c, manifest) for c in binned_cols) + " (quantile bins)")
    reps = (manifest or {}).get("design", {}).get("replicates")
    parts.append(f"{len(df):,} runs" + (f", {reps} replicates per point" if reps else ""))
    return "; ".join(parts)


#: Modelling choice: a point estimate from fewer runs than this is flagged on a figure (a share's 95%
#: interval is then wider than about +-0.18).
MIN_RUNS_PER_POINT = 30


def _check_entries(count: int, what: str, source: str | None = None) -> None:
    if count > MAX_LEGEND_ENTRIES:
        raise TooManyEntries(
            source,
            what,
            f"{count} legend entries (more than {MAX_LEGEND_ENTRIES}); choose a column with fewer "
            "values, or fix one with --fix COLUMN=VALUE",
        )


def _hue_groups(data: pd.DataFrame, hue: str | None) -> tuple[list[tuple[object, pd.DataFrame]], bool]:
    if hue is None:
        return [(None, data)], False
    values, was_binned = binned(data[hue], bins=4)
    groups = list(data.groupby(values, observed=True, sort=True))
    _check_entries(len(groups), hue)
    return groups, was_binned


def _value_text(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float | np.floating) else str(value)


# --------------------------------------------------------------------------- sweep figures


def _footer(fig: Figure, lines: list[str]) -> float:
    """Grey lines of scope under a figure; returns the share of the height they take."""
    text = "\n".join(line for line in lines if line)
    if not text:
        return 0.0
    fig.text(0.01, 0.005, text, fontsize=9.5, color="#444444", va="bottom", wrap=True)
    return 0.025 + 0.028 * text.count("\n")


def _few_runs_warning(counts: pd.Series) -> str | None:
    few = int((counts < MIN_RUNS_PER_POINT).sum())
    if not few:
        return None
    return (
        f"Warning: {few} of {len(counts)} points rest on fewer than {MIN_RUNS_PER_POINT} runs "
        f"(fewest {int(counts.min())}): read them with their bands"
    )


def alliance_probability(
    df: pd.DataFrame,
    x: str,
    hue: str | None = None,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """P(``outcome``) (or its mean) against ``x`` with 95% bands, one line per value of ``hue``.

    Works for any design: ``x`` is binned into quantile bins when it takes more than 12 values
    (an LHS or Sobol sample); ``hue`` into 4. Other swept quantities are pooled (the footer says
    which, and which are fixed) unless fixed in ``fix``. More than 12 lines are refused
    (:class:`TooManyEntries`); points resting on fewer than ``MIN_RUNS_PER_POINT`` runs are flagged.
    """
    data = _filter(df, fix)
    factors = factors if factors is not None else factors_of(manifest)
    groups, hue_binned = _hue_groups(data, hue)
    binary = _is_binary(df[outcome])
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((9.5, 6.6))
        xs_all, x_binned = binned(data[x])  # bin on the whole design, not per line
        counts, spread_stats = [], []
        for k, (value, g) in enumerate(groups):
            s = summarise(g.assign(**{x: xs_all.loc[g.index]}), [x], outcome)
            counts.append(s["n"])
            colour = "black" if hue is None else OKABE_ITO[k % len(OKABE_ITO)]
            sign = "~" if hue_binned else "="
            label = None if hue is None else f"{human_label(hue, manifest)} {sign} {_value_text(value)}"
            ax.plot(s[x], s["mean"], marker="o", color=colour, label=label, lw=2.2)
            ax.fill_between(s[x], s["lo"], s["hi"], color=colour, alpha=0.35, lw=0)
            if "d05" in s.columns:
                spread_stats.append(s)
                ax.fill_between(s[x], s["d05"], s["d95"], color=colour, alpha=0.10, lw=0)
                ax.plot(s[x], s["d05"], color=colour, lw=0.9, ls=":")
                ax.plot(s[x], s["d95"], color=colour, lw=0.9, ls=":")
                ax.plot(s[x], s["d50"], color=colour, lw=1.6, ls="--")
        ax.set_xlabel(human_label(x, manifest))
        ax.set_ylabel(_capital(outcome_words(outcome, manifest, per_point=True)))
        if binary:
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        band = "Wilson 95%" if binary else "mean +- 1.96 s.e."
        if spread_stats:
            band = f"dark: {band} of the pooled value; light, dotted: 5-95% of the per-draw probabilities; dashed: median draw"
        ax.set_title(
            "\n".join(textwrap.wrap(
                f"{_capital(outcome_words(outcome, manifest, per_point=True))}{by_words(manifest)} (bands: {band})", 70, break_on_hyphens=False
            )),
            fontsize=13,
        )  # fmt: skip
        note = _pooled_note(
            data,
            [x] + ([hue] if hue else []),
            factors,
            fix,
            manifest,
            [c for c, b in ((x, x_binned), (hue, hue_binned)) if b and c],
        )
        warning = _few_runs_warning(pd.concat(counts)) if counts else None
        drawn = ""
        if spread_stats:
            drawn = (f"Across posterior draws: {draws_words(pd.concat(spread_stats))} per point; the light band is "
                     "what we do not know about the parameters, the dark one how sure the runs make the pooled value")  # fmt: skip
        rect = _footer(fig, [_capital(scope_words(manifest)), note, drawn, warning or ""])
        if hue is not None:
            ax.legend(frameon=False, loc="best")
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def main_effects(
    df: pd.DataFrame, factors: list[str], outcome: str = "alliance_reached", manifest: dict | None = None
) -> Figure:
    """One panel per swept quantity: the outcome (binned) against it, pooling over all the others
    (main effects, the marginal means of a sampled design), with 95% bands."""
    if not factors:
        raise InputError(None, "--kind", "main effects need at least one swept quantity")
    binary = _is_binary(df[outcome])
    n = len(factors)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(4.8 * cols, 3.9 * rows + 1.0))
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
        counts = []
        for k, factor in enumerate(factors):
            ax = axes[k // cols][k % cols]
            xs, _ = binned(df[factor])
            s = summarise(df.assign(**{factor: xs}), [factor], outcome)
            counts.append(s["n"])
            colour = OKABE_ITO[0]
            ax.plot(s[factor], s["mean"], marker="o", color=colour, lw=2)
            ax.fill_between(s[factor], s["lo"], s["hi"], color=colour, alpha=0.25, lw=0)
            ax.set_xlabel(human_label(factor, manifest), fontsize=11)
            if binary:
                ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
        for k in range(n, rows * cols):
            axes[k // cols][k % cols].set_axis_off()
        for r in range(rows):
            axes[r][0].set_ylabel(_capital(outcome_words(outcome, manifest, per_point=True)), fontsize=11)
        fig.suptitle(
            f"Main effects on {outcome_words(outcome, manifest, per_point=True)}: each panel pools over the others"
        )
        rect = _footer(
            fig,
            [
                _capital(scope_words(manifest)),
                f"{len(df):,} runs; bands: {'Wilson 95%' if binary else 'mean +- 1.96 s.e.'}; "
                "quantities with more than 12 values in quantile bins",
                _few_runs_warning(pd.concat(counts)) or "",
            ],
        )
        fig.tight_layout(rect=(0, rect, 1, 0.95))
    return fig


def _share_text(p: float) -> str:
    """A probability in two decimals that never rounds a rare event to 0 or a near-certain one to 1."""
    if p in (0.0, 1.0):
        return f"{p:.0f}"
    if 0 < p < 0.005:
        return "<0.01"
    if 0.995 < p < 1:
        return ">0.99"
    return f"{p:.2f}"


def _range_text(lo: float, hi: float) -> str:
    """A 5-95% range in two decimals, never one that reads as a zero-width interval ("0.00-0.00"): one
    whose ends round alike keeps its small end visible ("0.00 to <0.01"); per-draw quantiles that are equal
    say that 90% or more of the draws give that value ("90%+ at 0")."""
    if lo == hi:
        return f"90%+ at {lo:.3g}"
    if f"{lo:.2f}" == f"{hi:.2f}":
        return f"{_share_text(lo)} to {_share_text(hi)}"
    return f"{lo:.2f}-{hi:.2f}"


def _cell_text_colour(value: float, vmin: float, vmax: float) -> str:
    """White on the dark end of cividis, black on the light end."""
    share = 0.0 if not np.isfinite(value) or vmax <= vmin else (value - vmin) / (vmax - vmin)
    return "white" if share < 0.55 else "black"


def alliance_heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """Mean of ``outcome`` over two swept quantities (each binned if it takes more than 12 values), each
    cell labelled with its value and its 95% interval (Wilson for a share); the fixed values and what is
    pooled in the title and footer."""
    data = _filter(df, fix)
    factors = factors if factors is not None else factors_of(manifest)
    xs, xb = binned(data[x], bins=6)
    ys, yb = binned(data[y], bins=6)
    framed = data.assign(**{x: xs, y: ys})
    stats = summarise(framed, [y, x], outcome)
    table = stats.pivot(index=y, columns=x, values="mean")
    binary = _is_binary(df[outcome])
    fixed, _ = _fixed_and_pooled(data, [x, y], factors, manifest)
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((9.6, 8.2))
        values = table.to_numpy(dtype=float)
        vmin, vmax = (0.0, 1.0) if binary else (np.nanmin(values), np.nanmax(values))
        im = ax.imshow(values, origin="lower", cmap="cividis", vmin=vmin, vmax=vmax, aspect="auto")
        if table.shape[0] <= 12 and table.shape[1] <= 12:
            col_of = {v: k for k, v in enumerate(table.columns)}
            row_of = {v: k for k, v in enumerate(table.index)}
            small = 7 if table.shape[1] > 8 else 8.5
            drawn = "d05" in stats.columns
            for row in stats.itertuples(index=False):
                yv, xv, mean, lo, hi, runs = getattr(row, y), getattr(row, x), row.mean, row.lo, row.hi, int(row.n)
                cx, cy = col_of[xv], row_of[yv]
                colour = _cell_text_colour(mean, vmin, vmax)
                if drawn:
                    below = _range_text(row.d05, row.d95)
                else:
                    below = _range_text(lo, hi) if runs >= MIN_RUNS_PER_POINT else f"n={runs}"
                if binary and mean in (0.0, 1.0):  # every run gave the same value: say so, not "0.00-0.00"
                    below = f"{runs if mean else 0:,}/{runs:,} runs"
                elif not binary and hi - lo < 1e-12:
                    below = f"all {runs:,} runs"
                top = _share_text(mean) if binary else f"{mean:.2f}"
                ax.text(cx, cy + 0.12, top, ha="center", va="center", fontsize=small + 1.5, color=colour)
                ax.text(cx, cy - 0.2, below, ha="center", va="center", fontsize=small - 1, color=colour)
        ax.set_xticks(range(len(table.columns)), [f"{v:.3g}" for v in table.columns], rotation=45)
        ax.set_yticks(range(len(table.index)), [f"{v:.3g}" for v in table.index])
        ax.set_xlabel(human_label(x, manifest) + (" (quantile bins)" if xb else ""))
        ax.set_ylabel(human_label(y, manifest) + (" (quantile bins)" if yb else ""))
        words = outcome_words(outcome, manifest, per_point=True)
        fig.colorbar(im, ax=ax, label=_capital(words), shrink=0.85)
        heading = _capital(words) + by_words(manifest) + (",\n" + ", ".join(fixed) if fixed else "")
        ax.set_title(heading, fontsize=14)
        note = _pooled_note(data, [x, y], factors, fix, manifest, [c for c, b in ((x, xb), (y, yb)) if b])
        cell = "each cell: the value and its 95% interval" + (" (Wilson)" if binary else " (mean +- 1.96 s.e.)")
        if "d05" in stats.columns:
            cell = (f"each cell: the pooled probability and, below it, the 5-95% range of its per-draw probabilities "
                    f"({draws_words(stats)}): what we do not know about the parameters")  # fmt: skip
        if (stats["n"] < MIN_RUNS_PER_POINT).any():
            cell += f", or its run count n where fewer than {MIN_RUNS_PER_POINT} runs make an interval unreliable"
        if table.isna().to_numpy().any():
            cell += "; white: no design point in that cell"
        rect = _footer(
            fig,
            [_capital(scope_words(manifest)), f"{note}; {cell}", _few_runs_warning(stats["n"]) or ""],
        )
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def per_draw_probabilities(
    df: pd.DataFrame,
    x: str,
    hue: str | None = None,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
    values: list[float] | None = None,
    manifest: dict | None = None,
) -> Figure:
    """The distribution of the per-draw probabilities of ``outcome`` at chosen cells: per value of ``x``
    (``values``, default all) and of ``hue`` (side by side), a histogram of the posterior draws'
    probabilities (each draw: the share of its runs where the outcome happened) drawn sideways, its bars
    as wide as the share of draws in them; with the pooled value (diamond), the per-draw median (bar)
    and, above, the shares of draws below 0.05 and above 0.5. Needs a ``draw`` column."""
    from simulation.core.spread import LIKELY, RARE, per_draw, spread_of

    if "draw" not in df.columns:
        raise InputError(None, "draw", "these runs record no posterior draw: nothing to show per draw")
    data = _filter(df, fix)
    xs = sorted(pd.unique(data[x])) if values is None else list(values)
    hues = [None] if hue is None else sorted(pd.unique(data[hue]))
    _check_entries(len(hues), hue or "--hue")
    width = 0.84 / len(hues)
    edges = np.linspace(-0.05, 1.05, 12)  # 11 bins of 0.1 centred on 0, 0.1, ..., 1
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((max(10.0, 1.25 * len(xs) * len(hues) + 2.5), 7.0))
        reps, handles = [], []
        for k, hv in enumerate(hues):
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            for i, xv in enumerate(xs):
                cell = data[np.isclose(data[x].astype(float), float(xv))]
                if hv is not None:
                    cell = cell[cell[hue] == hv]
                if cell.empty:
                    continue
                y = cell[outcome].astype(float)
                table = per_draw(y, cell["draw"])
                sp = spread_of(y, cell["draw"])
                reps.append(sp.runs_per_draw)
                centre = i + (k - (len(hues) - 1) / 2) * width
                share, _ = np.histogram(table["p"], bins=edges, weights=table["runs"] / table["runs"].sum())
                mids = (edges[:-1] + edges[1:]) / 2
                half = 0.46 * width * share  # a bar with every draw in it spans the strip
                ax.barh(mids, 2 * half, left=centre - half, height=0.085, color=colour, alpha=0.75, lw=0)
                ax.plot([centre - 0.45 * width, centre + 0.45 * width], [sp.median] * 2, color="black", lw=2)
                ax.scatter([centre], [sp.pooled], marker="D", s=55, color="white", edgecolor="black", zorder=3)
                ax.text(centre, 1.07, f"{sp.share_below:.0%}\n{sp.share_above:.0%}", ha="center", va="bottom",
                        fontsize=10, color=colour)  # fmt: skip
            if hv is not None:
                handles.append(mpl.patches.Patch(color=colour, alpha=0.75,
                                                  label=f"{human_label(hue, manifest)} = {_value_text(hv)}"))  # fmt: skip
        ax.set_xticks(range(len(xs)), [_value_text(float(v)) for v in xs])
        ax.set_xlim(-0.6, len(xs) - 0.4)
        ax.set_xlabel(human_label(x, manifest))
        ax.set_ylabel("Probability in one posterior draw")
        ax.set_ylim(-0.07, 1.2)
        ax.set_yticks(np.linspace(0, 1, 6))
        for level in (RARE, LIKELY):
            ax.axhline(level, color="#999999", lw=0.8, ls=":")
        ax.grid(axis="y", alpha=0.25)
        ax.set_title(
            "\n".join(textwrap.wrap(f"{_capital(outcome_words(outcome, manifest, per_point=True))}: how it varies "
                                     "across posterior draws (bar width: share of draws)", 70, break_on_hyphens=False)), fontsize=13)  # fmt: skip
        handles += [Line2D([], [], marker="D", color="black", markerfacecolor="white", ls="", label="pooled over runs"),
                    Line2D([], [], color="black", lw=2, label="median draw")]  # fmt: skip
        ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=2, fontsize=11)
        fixed, _ = _fixed_and_pooled(data, [x] + ([hue] if hue else []), factors_of(manifest), manifest)
        each = f"{min(reps):g}" if reps and min(reps) == max(reps) else f"{min(reps or [0]):g}-{max(reps or [0]):g}"
        draws = int(data["draw"].nunique())
        rect = _footer(fig, [
            _capital(scope_words(manifest)) + ("; with " + ", ".join(fixed) if fixed else ""),
            f"{draws} posterior draws x {each} runs per cell: a draw's probability is a share of {each} runs, so it "
            f"carries run-to-run chance; above each histogram: the share of draws with P < {RARE:g} (top) and with "
            f"P > {LIKELY:g} (below it); dotted lines at {RARE:g} and {LIKELY:g}",
        ])  # fmt: skip
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def time_to_alliance(
    df: pd.DataFrame,
    by: str | None = None,
    start: str | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """Runs per month in which the focal pair signed a formal alliance (runs with an alliance only), one
    outline per value of ``by``; says which share of runs had one (with its interval), what the shown
    runs hold fixed and pool over, and warns when few runs had one. No run with an alliance: refused
    (an empty figure says nothing)."""
    from simulation.core.stats import proportion

    month = "alliance_month"
    data = df[df[month].notna()] if month in df else df.iloc[:0]
    if data.empty:
        raise InputError(
            None, "--kind", f"no run of these {len(df):,} reached a formal alliance: no time-to-alliance figure"
        )
    factors = factors if factors is not None else factors_of(manifest)
    start = start or ((manifest or {}).get("base_scenario") or {}).get("start")
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((9.5, 6.4))
        bins = np.arange(0, int(data[month].max()) + 3) - 0.5
        groups, was_binned = _hue_groups(data, by)
        for k, (value, g) in enumerate(groups):
            sign = "~" if was_binned else "="
            ax.hist(
                g[month].astype(float),
                bins=bins,
                histtype="bar" if len(groups) == 1 else "step",  # several groups: outlines, none hidden
                lw=0 if len(groups) == 1 else 2.2,
                color="#555555" if len(groups) == 1 else OKABE_ITO[k % len(OKABE_ITO)],
                label=None if by is None else f"{human_label(by, manifest)} {sign} {_value_text(value)}",
            )
        if by is not None:
            ax.legend(frameon=False)
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("Month the alliance was signed" + (f" (0 = {_month_words(start, 0)})" if start else ""))
        ax.set_ylabel("Runs (count)")
        share, lo, hi = proportion(len(data), len(df))
        ax.set_title(f"Time to a formal alliance: {len(data):,} of {len(df):,} runs reached one ({share:.1%}, 95% {lo:.1%}-{hi:.1%})",
                     fontsize=13)  # fmt: skip
        fixed, pooled = _fixed_and_pooled(df, [by] if by else [], factors, manifest)
        shows = "; ".join(
            x for x in ("with " + ", ".join(fixed) if fixed else "", "pooled over " + "; ".join(pooled) if pooled else "") if x
        )  # fmt: skip
        if by is not None:
            values = pd.unique(df[by].dropna())
            shown = f"one outline per {human_label(by, manifest)} ({len(values)} values, "
            shown += (
                f"{_value_text(np.min(values))}-{_value_text(np.max(values))}; a value without an alliance has none)"
            )
            shows = "; ".join(x for x in (shown, shows) if x)
        warning = (
            f"Warning: only {len(data)} runs had an alliance: the shape of this histogram is not reliable"
            if len(data) < MIN_RUNS_PER_POINT
            else ""
        )
        drawn = ""
        if "draw" in df.columns:
            from simulation.core.spread import spread_of

            had = df[month].notna().astype(float)
            drawn = f"P(an alliance at any month), across posterior draws: {spread_of(had, df['draw']).words()}"
        rect = _footer(fig, [_capital(scope_words(manifest)), shows, drawn, warning])
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def final_alignment(
    df: pd.DataFrame,
    by: str,
    manifest: dict | None = None,
    factors: list[str] | None = None,
    scope: str | None = None,
) -> Figure:
    """Distribution of the focal pair's final level across runs, for each value (or bin) of ``by``; the
    black bars mark the 95% interval of P(entente or closer); ``scope`` (default: from the manifest) and
    what is fixed or pooled in the footer."""
    from simulation.core.stats import wilson_interval

    values, was_binned = binned(df[by])
    _check_entries(values.nunique(), by)
    shares = df["final_level"].groupby(values, observed=True).value_counts(normalize=True).unstack(fill_value=0)
    shares = shares.reindex(columns=range(MAX_LEVEL + 1), fill_value=0)
    n = values.groupby(values, observed=True).size().reindex(shares.index)
    close = shares[[lvl for lvl in range(MAX_LEVEL + 1) if lvl >= 4]].sum(axis=1)
    lo, hi = wilson_interval((close * n).round().to_numpy(), n.to_numpy())
    factors = factors if factors is not None else factors_of(manifest)
    focal = "-".join(((manifest or {}).get("base_scenario") or {}).get("focal_pair") or ()) or "the focal pair"
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((10, 6.6))
        bottom = np.zeros(len(shares))
        xs = np.arange(len(shares))
        for level in range(MAX_LEVEL + 1):
            ax.bar(
                xs,
                shares[level],
                bottom=bottom,
                color=LEVEL_COLOURS[level],
                label=LEVEL_LABELS[level].capitalize(),
                width=0.85,
            )
            bottom += shares[level].to_numpy()
        boundary = 1 - close.to_numpy()
        ax.errorbar(
            xs,
            boundary,
            yerr=np.vstack([(1 - lo) - boundary, boundary - (1 - hi)]).clip(min=0),
            fmt="none",
            ecolor="black",
            capsize=5,
            lw=1.6,
            label="95% interval of P(entente or closer at the end)",
        )
        ax.set_xticks(xs, [_value_text(v) for v in shares.index], rotation=45 if len(xs) > 6 else 0)
        ax.set_xlabel(human_label(by, manifest) + (" (quantile bins)" if was_binned else ""))
        ax.set_ylabel("Share of runs")
        ax.set_title(f"Level of {focal} held at the end")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        fixed, pooled = _fixed_and_pooled(df, [by], factors, manifest)
        shows = "; ".join(
            x for x in ("with " + ", ".join(fixed) if fixed else "", "pooled over " + "; ".join(pooled) if pooled else "") if x
        )  # fmt: skip
        runs = f"{int(n.min()):,}" if n.min() == n.max() else f"{int(n.min()):,}-{int(n.max()):,}"
        rect = _footer(
            fig,
            [_capital(scope if scope is not None else scope_words(manifest)), f"{runs} runs per bar" + (f"; {shows}" if shows else ""),
             _few_runs_warning(n) or ""],
        )  # fmt: skip
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def fan_chart(
    df: pd.DataFrame,
    by: str | None = None,
    values: list[float] | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
    scope: str | None = None,
    start: str | None = None,
) -> Figure:
    """Mean, median and 10-90% / 25-75% bands of the focal pair's level over time, across runs (the
    bands show the spread of runs; the mean's own 95% interval is drawn as a thin band around it)."""
    if "trajectory" not in df:
        raise InputError(None, "--kind", "the results hold no trajectories (add trajectory to the sweep's outcomes)")
    groups = [(None, df)]
    if by is not None and values is not None:
        groups = [(v, df[np.isclose(df[by].astype(float), v)]) for v in values]
    was_binned = False
    if by is not None and values is None:
        keys, was_binned = binned(df[by], bins=3)
        groups = list(df.groupby(keys, observed=True))
    _check_entries(len(groups), by or "--by")
    factors = factors if factors is not None else factors_of(manifest)
    base = (manifest or {}).get("base_scenario") or {}
    focal = "-".join(base.get("focal_pair") or ()) or "the focal pair"
    start = start or base.get("start")
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((10.5, 6.6))
        sizes = []
        for k, (value, g) in enumerate(groups):
            traj = np.stack(g["trajectory"].to_numpy()).astype(float)
            sizes.append(len(traj))
            t = np.arange(traj.shape[1])
            q10, q25, q50, q75, q90 = np.percentile(traj, [10, 25, 50, 75, 90], axis=0)
            colour = "black" if len(groups) == 1 else OKABE_ITO[k % len(OKABE_ITO)]
            sign = "~" if was_binned else "="
            label = "mean" if by is None else f"{human_label(by, manifest)} {sign} {_value_text(value)} (mean)"
            mean = traj.mean(axis=0)
            ax.plot(t, mean, color=colour, lw=2.5, label=label)
            half = 1.96 * traj.std(axis=0, ddof=1) / np.sqrt(len(traj)) if len(traj) > 1 else 0 * mean
            ax.fill_between(t, mean - half, mean + half, color=colour, alpha=0.35, lw=0)
            if len(groups) == 1:  # one fan: both bands and the median, as steps (levels are whole rungs)
                ax.fill_between(t, q10, q90, color=colour, alpha=0.12, lw=0, step="post")
                ax.fill_between(t, q25, q75, color=colour, alpha=0.25, lw=0, step="post")
                ax.step(t, q50, where="post", color=colour, lw=1, ls="--")
        ax.set_yticks(range(MAX_LEVEL + 1), [label.capitalize() for label in LEVEL_LABELS])
        if start:
            ticks = np.arange(0, len(t), 12)
            ax.set_xticks(ticks, [_month_words(start, int(m)) for m in ticks])
        ax.set_xlabel("Month")
        if len(groups) == 1:
            ax.set_title(
                f"Level of {focal} across runs (bands: 10-90% and 25-75% of runs; dashed: median)", fontsize=13
            )
        else:  # overlapping fans are unreadable: means only, each with its interval
            ax.set_title(f"Mean level of {focal} across runs (bands: 95% interval of each mean)", fontsize=13)
        ax.legend(frameon=False, loc="lower right")
        ax.grid(axis="y", alpha=0.3)
        fixed, pooled = _fixed_and_pooled(df, [by] if by else [], factors, manifest)
        shows = "; ".join(
            x for x in ("with " + ", ".join(fixed) if fixed else "", "pooled over " + "; ".join(pooled) if pooled else "") if x
        )  # fmt: skip
        runs = f"{min(sizes):,}" if min(sizes) == max(sizes) else f"{min(sizes):,}-{max(sizes):,}"
        rect = _footer(
            fig,
            [_capital(scope if scope is not None else scope_words(manifest)),
             f"{runs} runs per line" + ("; the dark band around the mean: its 95% interval" if len(groups) == 1 else
             "; the spread of runs of one group: draw it alone (--fix)") + (f"; {shows}" if shows else "")],
        )  # fmt: skip
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


# --------------------------------------------------------------------------- the default set

from simulation.reporting.figure_kinds import SWEEP_FIGURES  # noqa: E402 - the names without matplotlib


def is_grid(df: pd.DataFrame, factors: list[str]) -> bool:
    """Whether every swept quantity takes few enough values to be shown unbinned."""
    return all(df[f].nunique() <= MAX_LEVELS_UNBINNED for f in factors)


def sweep_figures(
    df: pd.DataFrame,
    manifest: dict,
    out: Path,
    kinds: tuple[str, ...] = SWEEP_FIGURES,
    x: str | None = None,
    y: str | None = None,
    hue: str | None = None,
    by: str | None = None,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
) -> list[Path]:
    """Draw and save (PNG and SVG) the figures of a sweep's results; returns the paths written.

    Defaults read the design: ``x`` is the first swept quantity, ``y`` the second; a third is the
    ``hue`` only for a grid design (a sampled design pools over it instead). A figure that does
    not apply (a heatmap with one swept quantity, a fan chart without trajectories) is skipped
    when drawing the default set and refused when asked for by name.
    """
    from simulation.outcomes import numeric_outcome

    factors = factors_of(manifest) or [c for c in (x, y, hue) if c]
    entry = numeric_outcome(outcome, df.columns)
    if outcome not in df.columns and entry.derive is not None:  # e.g. entente, from max_level
        df = df.assign(**{outcome: entry.derive[1](df[entry.derive[0]])})
    for name, value in (("--x", x), ("--y", y), ("--hue", hue), ("--by", by)):
        if value is not None and value not in df.columns:
            raise InputError(None, name, f"no column '{value}' (swept: {', '.join(factors) or 'none'})")
    for col in fix or {}:
        if col not in df.columns:
            raise InputError(None, "--fix", f"no column '{col}' (swept: {', '.join(factors) or 'none'})")
    grid = is_grid(df, factors)
    x = x or (factors[0] if factors else None)
    y = y or (factors[1] if len(factors) > 1 else None)
    if hue is None and grid and len(factors) > 2 and factors[2] not in (fix or {}):
        hue = factors[2]
    explicit = len(kinds) == 1
    written: list[Path] = []
    for kind in kinds:
        if kind in ("probability", "heatmap", "main_effects") and x is None:
            if explicit:
                raise InputError(None, "--x", "this sweep varied nothing; choose --kind time, final or fan")
            continue
        if kind == "probability":
            fig = alliance_probability(df, x, hue=hue, outcome=outcome, fix=fix, manifest=manifest, factors=factors)
        elif kind == "main_effects":
            fig = main_effects(_filter(df, fix), [f for f in factors if f not in (fix or {})] or [x], outcome, manifest)
        elif kind == "heatmap":
            if y is None:
                if explicit:
                    raise InputError(None, "--y", "a heatmap needs two swept quantities")
                continue
            fig = alliance_heatmap(df, x, y, outcome=outcome, fix=fix, manifest=manifest, factors=factors)
        elif kind == "time":
            try:
                fig = time_to_alliance(_filter(df, fix), by=by, manifest=manifest, factors=factors)
            except InputError:
                if explicit:
                    raise
                continue  # no run with an alliance: no empty figure
        elif kind == "final":
            fig = final_alignment(_filter(df, fix), by=by or x or "replicate", manifest=manifest, factors=factors)
        elif kind == "fan":
            if "trajectory" not in df:
                if explicit:
                    raise InputError(None, "--kind", "no trajectories in these results (add trajectory to outcomes)")
                continue
            fig = fan_chart(_filter(df, fix), by=by or x, manifest=manifest, factors=factors)
        else:
            raise InputError(None, "--kind", f"unknown figure '{kind}' (known: {', '.join(SWEEP_FIGURES)})")
        written += save(fig, out / kind)
    return written
