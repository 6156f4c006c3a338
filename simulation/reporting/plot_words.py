"""Words on the figures: human labels for columns, the pair, the months and the parameters a figure covers,
and what a figure holds fixed or pools over (read from the data it shows)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.reporting.plot_style import _month_words, _value_text


def pair_words(column: str, actors: tuple[str, ...] | None = None) -> str:
    """A pair column in words: 'russia_china' -> 'Russia-China'.

    Parameters
    ----------
    column : str
        The pair's column name.
    actors : tuple of str, optional
        The actors' names, to spell them as the scenario does ('US', not 'Us').

    Returns
    -------
    str
        The pair in words.
    """
    if actors:
        from simulation.outcomes import pair_columns

        for i, j, col in pair_columns(tuple(actors)):
            if col == column:
                return f"{actors[i]}-{actors[j]}"
    return "-".join(part.capitalize() if part.islower() else part for part in column.split("_"))


def factor_paths(manifest: dict | None) -> dict[str, str]:
    """Column name -> scenario path of every swept quantity, from a sweep's manifest.

    Parameters
    ----------
    manifest : dict or None
        The sweep's manifest.

    Returns
    -------
    dict of str to str
        Each swept column's scenario path (``pressure.targets.China``).
    """
    spec = (manifest or {}).get("sweep_spec", {}) or {}
    out = {}
    for item in spec.get("vary", []) or []:
        name = item.get("label") or item.get("path", "").replace(".", "_")
        out[name] = item.get("path", name)
    return out


def factors_of(manifest: dict | None) -> list[str]:
    """The swept columns, in the sweep file's order.

    Parameters
    ----------
    manifest : dict or None
        The sweep's manifest.

    Returns
    -------
    list of str
        The swept columns (empty without a manifest).
    """
    return list((manifest or {}).get("design", {}).get("factors", []))


def human_label(name: str, manifest: dict | None = None) -> str:
    """Words for a column, for an axis or a legend.

    Outcomes read the outcome catalogue, swept scenario paths are described from the scenario
    (``pressure.targets.China`` -> "US pressure on China (0-1)"), registry keys from the registry's
    descriptions, anything else has its underscores as spaces.

    Parameters
    ----------
    name : str
        The column.
    manifest : dict, optional
        The sweep's manifest (the swept paths and who pressures whom).

    Returns
    -------
    str
        The column in words.
    """
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
    """Words for an outcome, naming the focal pair when the manifest says which it is.

    Parameters
    ----------
    outcome : str
        The outcome column.
    manifest : dict, optional
        The sweep's manifest.
    per_point : bool, optional
        Its meaning per design point ("mean highest level of ...", "P(...)") rather than per run.

    Returns
    -------
    str
        The outcome in words.
    """
    from simulation.outcomes import in_words

    focal = "-".join(((manifest or {}).get("base_scenario") or {}).get("focal_pair") or ())
    return in_words(outcome, focal or None, per_point)


def horizon_words(start: str | None, steps: int | None) -> str:
    """The months a run covers: 'Jan 2018 - Dec 2021 (48 months)'.

    Parameters
    ----------
    start : str or None
        The first month (YYYY-MM).
    steps : int or None
        The number of months.

    Returns
    -------
    str
        The months in words ("the scenario's horizon" when either is missing).
    """
    if not start or not steps:
        return "the scenario's horizon"
    return f"{_month_words(start, 0)} - {_month_words(start, int(steps) - 1)} ({int(steps)} months)"


def parameters_words(manifest: dict | None) -> str:
    """How the runs' behavioural parameters were chosen, in words.

    Parameters
    ----------
    manifest : dict or None
        The sweep's manifest.

    Returns
    -------
    str
        'posterior predictive (...)', 'one parameter set (...)', 'the registry's uncalibrated values (...)' or
        'parameters not recorded'.
    """
    mode = ((manifest or {}).get("sweep_spec") or {}).get("parameters")
    return {
        "posterior": "posterior predictive (parameter uncertainty and run noise)",
        "point": "one parameter set (the posterior median): run noise only",
        "registry": "the registry's uncalibrated values: run noise only",
    }.get(mode, "parameters not recorded")


def by_words(manifest: dict | None) -> str:
    """' by Dec 2021': the last month of the runs, for a title.

    Parameters
    ----------
    manifest : dict or None
        The sweep's manifest.

    Returns
    -------
    str
        The words with a leading space, or '' when the manifest does not say.
    """
    base = (manifest or {}).get("base_scenario") or {}
    if not base.get("start") or not base.get("steps"):
        return ""
    return f" by {_month_words(base['start'], int(base['steps']) - 1)}"


def scope_words(manifest: dict | None) -> str:
    """Which pair, which months, which parameters, for a figure's footer.

    Parameters
    ----------
    manifest : dict or None
        The sweep's manifest.

    Returns
    -------
    str
        'Russia-China, Jan 2018 - Dec 2021 (48 months), posterior predictive (...)'.
    """
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


def _shown_words(data: pd.DataFrame, shown: list[str], factors: list[str], manifest: dict | None) -> str:
    """'with X = 0.5; pooled over Y (11 values, 0-1)': what a figure holds fixed and pools over, or ''."""
    fixed, pooled = _fixed_and_pooled(data, shown, factors, manifest)
    parts = ("with " + ", ".join(fixed) if fixed else "", "pooled over " + "; ".join(pooled) if pooled else "")
    return "; ".join(x for x in parts if x)


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
    parts.append(f"{len(df):,} runs" + (f", {reps:,} replicates per point" if reps else ""))
    return "; ".join(parts)


def draws_words(stats: pd.DataFrame) -> str:
    """How many posterior draws and runs per draw a table rests on: '200 posterior draws x 10 runs'.

    Parameters
    ----------
    stats : pandas.DataFrame
        A ``summarise`` table with its draw columns (``draws``, ``runs_per_draw``).

    Returns
    -------
    str
        The words, with a caution when there are few runs per draw.
    """
    from simulation.core.spread import FEW_RUNS_PER_DRAW

    draws, reps = int(stats["draws"].max()), stats["runs_per_draw"]
    each = f"{reps.min():g}" if reps.min() == reps.max() else f"{reps.min():g}-{reps.max():g}"
    few = (f"; with fewer than {FEW_RUNS_PER_DRAW} runs per draw a draw's probability carries run-to-run chance"
           if reps.min() < FEW_RUNS_PER_DRAW else "")  # fmt: skip
    return f"{draws} posterior draws x {each} runs{few}"
