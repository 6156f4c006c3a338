"""The outcome catalogue: every outcome of a run, declared once.

Sweep choices, Parquet columns, sensitivity outcomes, calibration measures and plot labels
all read ``OUTCOMES``. Outcomes are computed from a batch's level trajectories
``levels[B, T + 1, n, n]`` and the focal pair's monthly trade. The focal pair is data (the
scenario's ``focal_pair``): no outcome names a country.

Conventions for portable tables: snake_case, identifier-safe column names; "never" is null
(pandas nullable integers, Parquet nulls); months count from 0 (the scenario's start).

Each outcome declares its kind, its column's dtype and its aggregation per design point (a share of
runs, a mean, or a mean month with "never" counted as the horizon), so sensitivity analysis,
scenario discovery and plots read every outcome the same way.

A word means one thing: an outcome about a rung says whether the rung was reached at any month
(``<rung>_reached``) or held at the end (``<rung>_at_end``), for every rung above the lowest
(``alliance_reached``, ``alliance_at_end``, ``entente_reached``, ``entente_at_end``, ...). The old names
``alliance`` and ``entente`` read both ways and are refused with the two names to use (``ambiguity``).

Adding an outcome: one ``Outcome(...)`` entry below with its function, then regenerate
``schemas/sweep.schema.json`` (it lists the outcome names): see docs/adding-an-outcome.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulation.core.ladder import MAX_LEVEL, AlignmentLevel

if TYPE_CHECKING:  # pandas is loaded by the functions that build columns, not by the catalogue's names
    import pandas as pd

#: Level at or above which two actors count as one bloc.
BLOC_LEVEL = int(AlignmentLevel.ENTENTE)


@dataclass(frozen=True)
class BatchView:
    """What outcome functions read: a batch's trajectories and what they need to name things."""

    levels: np.ndarray  # [B, T + 1, n, n] int8
    focal_trade: np.ndarray  # [B, T] USD bn
    actors: tuple[str, ...]
    focal: tuple[int, int]
    focal_base_trade: float  # the focal pair's trade with no pressure (registry), USD bn

    @property
    def focal_series(self) -> np.ndarray:
        a, b = self.focal
        return self.levels[:, :, a, b]


#: How an outcome becomes one value per design point (sensitivity, discovery, plots):
#: ``share``: the share of runs where it is true; ``mean``: the mean over runs; ``mean_censored``:
#: the mean month, runs where it never happened counting as the horizon; None: not a number.
AGGREGATIONS = {
    "share": "share of runs",
    "mean": "mean over runs",
    "mean_censored": "mean over runs, a run where it never happened counting as the horizon",
}


@dataclass(frozen=True)
class Outcome:
    """One outcome (EMA Workbench style): name, kind, dtype, label, description, how to compute it per
    run, and how to aggregate it per design point.

    Parameters
    ----------
    name
        Its column name (snake_case), e.g. ``alliance_reached``.
    kind
        ``binary``, ``level``, ``time``, ``real`` or ``category``.
    dtype
        The pandas dtype of its column (``"Int16"``: a nullable month, null meaning never).
    label
        Human words for plots and reports.
    description
        What it measures, in a sentence.
    compute
        Its values for every run of a batch, from a ``BatchView``.
    aggregation
        A key of ``AGGREGATIONS`` (``share``, ``mean``, ``mean_censored``); None: no per-point number.
    derive
        How to read it from another column of a results table that lacks it: (column, function of it).
    """

    name: str
    kind: str  # "binary", "level", "time", "real", "category"
    dtype: str  # pandas dtype of the column
    label: str  # human words for plots and reports
    description: str
    compute: Callable[[BatchView], np.ndarray | pd.Series | list]
    aggregation: str | None  # a key of AGGREGATIONS; None: no per-point number (a category)
    #: How to read it from another column of a results table that lacks it: (column, function of it).
    derive: tuple[str, Callable[[pd.Series], pd.Series]] | None = None

    @property
    def point_label(self) -> str:
        """Words for the per-point value (a probability, a mean ...)."""
        if self.aggregation == "share":
            return self.label
        if self.aggregation == "mean_censored":
            return f"mean {self.label} (never = the horizon)"
        if self.label.startswith("mean "):
            return f"{self.label} (averaged over runs)"
        return f"mean {self.label}"

    def available_in(self, columns: Iterable[str]) -> bool:
        """Whether a results table with these columns holds this outcome (or what it is derived from).

        Parameters
        ----------
        columns
            A results table's column names.

        Returns
        -------
        bool
            True when the outcome can be read from them.
        """
        cols = set(columns)
        return self.name in cols or (self.derive is not None and self.derive[0] in cols)

    def per_run(self, df: pd.DataFrame, horizon: int | None = None) -> pd.Series:
        """This outcome's value per run of a results table, as the aggregation reads it (float).

        Parameters
        ----------
        df
            A results table (one row per run).
        horizon
            The sweep's horizon in months: a ``mean_censored`` outcome counts a run where it never happened as this.

        Returns
        -------
        pandas.Series
            One float per run.

        Raises
        ------
        KeyError
            The table holds neither the outcome nor what it is derived from.
        ValueError
            The outcome has no per-point number (a category), or a ``mean_censored`` one lacks ``horizon``.
        """
        if self.name in df.columns:
            values = df[self.name]
        elif self.derive is not None and self.derive[0] in df.columns:
            values = self.derive[1](df[self.derive[0]])
        else:
            raise KeyError(self.name)
        if self.aggregation is None:
            raise ValueError(f"{self.name} is a {self.kind}: it has no per-point number")
        if self.aggregation == "mean_censored":
            if horizon is None:
                raise ValueError(f"{self.name}: the horizon is needed to count runs where it never happened")
            return values.astype("Float64").fillna(float(horizon)).astype(float)
        return values.astype(float)

    def per_point(self, df: pd.DataFrame, horizon: int | None = None) -> pd.Series:
        """One value per design point (index: point, sorted): the aggregation over its runs.

        Parameters
        ----------
        df
            A results table with a ``point`` column.
        horizon
            The sweep's horizon in months (needed by ``mean_censored`` outcomes).

        Returns
        -------
        pandas.Series
            One value per design point.
        """
        return self.per_run(df, horizon).groupby(df["point"]).mean().sort_index()


def column_name(text: str) -> str:
    """An identifier-safe snake_case column name."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def pair_columns(actors: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """(i, j, column) for every unordered pair: ``russia_china`` etc."""
    return [
        (i, j, column_name(f"{actors[i]}_{actors[j]}")) for i in range(len(actors)) for j in range(i + 1, len(actors))
    ]


def first_step_at_or_above(series: np.ndarray, level: int) -> pd.array:
    """First month where ``series[b, t] >= level`` (nullable: null if never). series: [B, T+1]."""
    import pandas as pd

    hit = series >= level
    out = pd.array(hit.argmax(axis=1).astype(np.int16), dtype="Int16")
    out[~hit.any(axis=1)] = pd.NA
    return out


def _first(level: int) -> Callable[[BatchView], pd.array]:
    def compute(v: BatchView) -> pd.array:
        return first_step_at_or_above(v.focal_series, level)

    return compute


def bloc_labels(final: np.ndarray, actors: tuple[str, ...]) -> list[str]:
    """Bloc structure per run: groups linked at entente or above, e.g. 'China+Russia | EU+US | India'."""
    B, n, _ = final.shape
    reach = (final >= BLOC_LEVEL) | np.eye(n, dtype=bool)
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))))):
        reach = (reach.astype(np.int32) @ reach.astype(np.int32)) > 0
    label = reach.argmax(axis=2)  # smallest actor index in each actor's component
    structures, inverse = np.unique(label, axis=0, return_inverse=True)
    names = []
    for row in structures:
        groups: dict[int, list[str]] = {}
        for i, lab in enumerate(row):
            groups.setdefault(int(lab), []).append(actors[i])
        parts = sorted("+".join(sorted(g)) for g in groups.values())
        parts.sort(key=lambda s: (-s.count("+"), s))
        names.append(" | ".join(parts))
    return [names[k] for k in np.asarray(inverse).ravel()]


def _stationary_share(v: BatchView, months: int = 12) -> np.ndarray:
    T = min(months, v.levels.shape[1] - 1)
    n = v.levels.shape[-1]
    iu = np.triu_indices(n, 1)
    held = v.levels[:, 1 : T + 1][:, :, iu[0], iu[1]] == v.levels[:, :1][:, :, iu[0], iu[1]]
    return held.mean(axis=(1, 2)).astype(np.float32)


def _month1_changes(v: BatchView) -> np.ndarray:
    n = v.levels.shape[-1]
    iu = np.triu_indices(n, 1)
    changed = v.levels[:, 1][:, iu[0], iu[1]] != v.levels[:, 0][:, iu[0], iu[1]]
    return changed.mean(axis=1).astype(np.float32)


def _trade_change_year1(v: BatchView) -> np.ndarray:
    months = min(12, v.focal_trade.shape[1])
    return (v.focal_trade[:, :months].mean(axis=1) / v.focal_base_trade - 1.0).astype(np.float32)


def _pair_final(name: str) -> Callable[[BatchView], np.ndarray]:
    """The final level of the pair a ``final_<a>_<b>`` column names (either order of the two)."""

    def compute(v: BatchView) -> np.ndarray:
        wanted = name.removeprefix("final_")
        for i, j, col in pair_columns(v.actors):
            if wanted in (col, column_name(f"{v.actors[j]}_{v.actors[i]}")):
                return v.levels[:, -1, i, j].astype(np.int8)
        pairs = ", ".join(f"final_{c}" for _, _, c in pair_columns(v.actors))
        raise KeyError(f"{name}: no such pair among these actors (allowed: {pairs})")

    return compute


def rung_name(level: AlignmentLevel) -> str:
    """A rung's name in outcome names: the ladder's name in snake case, ``alliance`` for the formal alliance."""
    return "alliance" if level == MAX_LEVEL else level.name.lower()


#: Rungs an outcome can name (every rung above the lowest), from the closest down.
RUNGS: tuple[AlignmentLevel, ...] = tuple(sorted((lvl for lvl in AlignmentLevel if lvl > 0), reverse=True))

#: Names that read two ways and are refused: each maps to its two meanings.
AMBIGUOUS: dict[str, tuple[str, str]] = {
    "alliance": ("alliance_reached", "alliance_at_end"),
    "entente": ("entente_reached", "entente_at_end"),
}


def ambiguity(name: str) -> str | None:
    """Why ``name`` is refused if it reads two ways (the two names to use instead); None if it does not."""
    if name not in AMBIGUOUS:
        return None
    reached, at_end = AMBIGUOUS[name]
    return f"'{name}' reads two ways: use {reached} (reached at any month) or {at_end} (held at the end of the run)"


def _rung_words(level: AlignmentLevel) -> str:
    return "a formal alliance" if level == MAX_LEVEL else f"{level.label} or closer"


def _rung_outcomes() -> list[Outcome]:
    """``<rung>_reached`` (at any month) and ``<rung>_at_end`` (held at the horizon) for every rung above the lowest."""
    out = []
    for lvl in RUNGS:
        name, words, k = rung_name(lvl), _rung_words(lvl), int(lvl)
        out += [
            Outcome(f"{name}_reached", "binary", "bool", f"P(the focal pair reached {words}, at any month)",
                    f"The focal pair was at {words} at some month (not necessarily at the end).",
                    lambda v, k=k: (v.focal_series >= k).any(axis=1), "share",
                    ("max_level", lambda s, k=k: s >= k)),
            Outcome(f"{name}_at_end", "binary", "bool",
                    f"P(the focal pair {'in' if lvl == MAX_LEVEL else 'at'} {words} at the end)",
                    f"The focal pair was at {words} at the horizon (the level held at the end).",
                    lambda v, k=k: v.focal_series[:, -1] >= k, "share",
                    ("final_level", lambda s, k=k: s >= k)),
        ]  # fmt: skip
    return out


OUTCOMES: tuple[Outcome, ...] = (
    *_rung_outcomes(),
    Outcome("alliance_month", "time", "Int16", "month of the formal alliance",
            "First month the focal pair was in a formal alliance (null: never).", _first(MAX_LEVEL), "mean_censored"),
    *(
        Outcome(f"first_month_{lvl.name.lower()}", "time", "Int16", f"month the focal pair first reached {lvl.label}",
                f"First month the focal pair was at {lvl.label} or closer (null: never).", _first(int(lvl)),
                "mean_censored")
        for lvl in AlignmentLevel if 0 < lvl < MAX_LEVEL
    ),
    Outcome("final_level", "level", "int8", "final level of the focal pair",
            "The focal pair's level at the horizon (0-5).",
            lambda v: v.focal_series[:, -1].astype(np.int8), "mean"),
    Outcome("max_level", "level", "int8", "highest level of the focal pair", "The focal pair's highest level (0-5).",
            lambda v: v.focal_series.max(axis=1).astype(np.int8), "mean"),
    Outcome("mean_level", "real", "float32", "mean level of the focal pair",
            "The focal pair's mean level over the months after the start (0-5).",
            lambda v: v.focal_series[:, 1:].mean(axis=1).astype(np.float32), "mean"),
    Outcome("trade_change_year1", "real", "float32", "focal pair's first-year trade vs its base",
            "Mean monthly trade of the focal pair over the first 12 months, relative to its registry level, minus 1.",
            _trade_change_year1, "mean"),
    Outcome("stationary_share_year1", "real", "float32", "share of pair-months at the initial level (first year)",
            "Share of every pair's months 1-12 spent at its initial level.", _stationary_share, "mean"),
    Outcome("month1_change_share", "real", "float32", "share of pairs that changed level in month 1",
            "Share of pairs whose level differs after the first month.", _month1_changes, "mean"),
    Outcome("blocs", "category", "str", "bloc structure", "Groups linked at entente or closer at the horizon.",
            lambda v: bloc_labels(v.levels[:, -1], v.actors), None),
)  # fmt: skip

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
#: Outcomes with a number per design point (everything but categories), for sensitivity, discovery, plots.
NUMERIC_OUTCOMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES if o.aggregation is not None)


def outcome(name: str) -> Outcome:
    """The declared outcome ``name``, including per-pair final levels ``final_<a>_<b>`` (the pair it names)."""
    if name in OUTCOME_NAMES:
        return OUTCOMES[OUTCOME_NAMES.index(name)]
    if name.startswith("final_") and len(name) > len("final_"):
        pair = name.removeprefix("final_").replace("_", "-")
        return Outcome(name, "level", "int8", f"final level of {pair}", f"The level of {pair} at the horizon (0-5).",
                       _pair_final(name), "mean")  # fmt: skip
    raise KeyError(name)


def numeric_outcome(name: str, columns: Iterable[str] | None = None, source: object = None, field: str = "--outcome"):
    """The catalogue outcome ``name`` if it has a number per design point (and, given ``columns``, a column
    there); anything else is a one-line error listing the allowed names."""
    from simulation.core.errors import InputError

    if (why := ambiguity(name)) is not None:
        raise InputError(source, field, why)
    available = [*NUMERIC_OUTCOMES, "final_<a>_<b>"]
    if columns is not None:
        cols = list(columns)
        available = [n for n in NUMERIC_OUTCOMES if outcome(n).available_in(cols)]
        available += [c for c in cols if _is_pair_column(c)]
    try:
        found = outcome(name)
    except KeyError:
        found = None
    if found is None or found.aggregation is None or (columns is not None and name not in available):
        why = "a category, not a number" if found is not None and found.aggregation is None else "not available"
        if found is None:
            why = "not an outcome of the catalogue"
        elif columns is not None and name not in available and found.aggregation is not None:
            why = "not kept in these results"
        raise InputError(source, field, f"'{name}' is {why} (allowed: {', '.join(available) or 'none'})")
    return found


def _is_pair_column(column: str) -> bool:
    return column.startswith("final_") and column not in OUTCOME_NAMES


def in_words(name: str, focal: str | None = None, per_point: bool = False) -> str:
    """Words for an outcome (its per-point meaning with ``per_point``), naming the focal pair ``focal``
    ("Russia-China") where the catalogue says "the focal pair"; a column outside the catalogue with its
    underscores as spaces."""
    try:
        entry = outcome(name)
    except KeyError:
        return name.replace("_", " ")
    words = entry.point_label if per_point else entry.label
    if focal:
        words = words.replace("the focal pair's", f"{focal}'s").replace("focal pair's", f"{focal}'s")
        words = words.replace("the focal pair", focal).replace("focal pair", focal)
    return words


def label(name: str) -> str:
    """Human words for a column (outcome or pair), for plots and reports."""
    try:
        return outcome(name).label
    except KeyError:
        return name.replace("_", " ")


def run_outcomes(view: BatchView, only: set[str] | None = None) -> pd.DataFrame:
    """One row per run: every catalogue outcome (in its declared dtype), then the final level of every
    pair (``final_<a>_<b>``).

    ``only``: compute just these catalogue outcomes (pair levels are always kept: they are free).
    """
    import pandas as pd

    B = view.levels.shape[0]
    data: dict[str, object] = {
        o.name: pd.array(o.compute(view), dtype=o.dtype) for o in OUTCOMES if only is None or o.name in only
    }
    final = view.levels[:, -1]
    for i, j, col in pair_columns(view.actors):
        data[f"final_{col}"] = final[:, i, j].astype(np.int8)
    return pd.DataFrame(data, index=pd.RangeIndex(B, name="run"))
