"""The outcome catalogue: every outcome of a run, declared once.

Sweep choices, Parquet columns, sensitivity outcomes, calibration measures and plot labels
all read ``OUTCOMES``. Outcomes are computed from a batch's level trajectories
``levels[B, T + 1, n, n]`` and the focal pair's monthly trade. The focal pair is data (the
scenario's ``focal_pair``): no outcome names a country.

Conventions for portable tables: snake_case, identifier-safe column names; "never" is null
(pandas nullable integers, Parquet nulls); months count from 0 (the scenario's start).

Adding an outcome: one ``Outcome(...)`` entry below with its function. Nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.core.ladder import MAX_LEVEL, AlignmentLevel

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


@dataclass(frozen=True)
class Outcome:
    """One outcome (EMA Workbench style): name, kind, label, description and how to compute it."""

    name: str
    kind: str  # "binary", "level", "time", "real", "category"
    label: str  # human words for plots and reports
    description: str
    compute: Callable[[BatchView], np.ndarray | pd.Series | list]


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


_LEVEL_WORDS = {lvl: lvl.label for lvl in AlignmentLevel}

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("alliance", "binary", "P(formal alliance)", "The focal pair signed a formal alliance at some month.",
            lambda v: (v.focal_series >= MAX_LEVEL).any(axis=1)),
    Outcome("alliance_month", "time", "month of the formal alliance",
            "First month the focal pair was in a formal alliance (null: never).", _first(MAX_LEVEL)),
    *(
        Outcome(f"first_month_{lvl.name.lower()}", "time", f"month the focal pair first reached {lvl.label}",
                f"First month the focal pair was at {lvl.label} or closer (null: never).", _first(int(lvl)))
        for lvl in AlignmentLevel if 0 < lvl < MAX_LEVEL
    ),
    Outcome("final_level", "level", "final level of the focal pair", "The focal pair's level at the horizon (0-5).",
            lambda v: v.focal_series[:, -1].astype(np.int8)),
    Outcome("max_level", "level", "highest level of the focal pair", "The focal pair's highest level (0-5).",
            lambda v: v.focal_series.max(axis=1).astype(np.int8)),
    Outcome("mean_level", "real", "mean level of the focal pair",
            "The focal pair's mean level over the months after the start (0-5).",
            lambda v: v.focal_series[:, 1:].mean(axis=1).astype(np.float32)),
    Outcome("trade_change_year1", "real", "focal pair's first-year trade vs its base",
            "Mean monthly trade of the focal pair over the first 12 months, relative to its registry level, minus 1.",
            _trade_change_year1),
    Outcome("stationary_share_year1", "real", "share of pair-months at the initial level (first year)",
            "Share of every pair's months 1-12 spent at its initial level.", _stationary_share),
    Outcome("month1_change_share", "real", "share of pairs that changed level in month 1",
            "Share of pairs whose level differs after the first month.", _month1_changes),
    Outcome("blocs", "category", "bloc structure", "Groups linked at entente or closer at the horizon.",
            lambda v: bloc_labels(v.levels[:, -1], v.actors)),
)  # fmt: skip

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)


def outcome(name: str) -> Outcome:
    """The declared outcome ``name``, including per-pair final levels ``final_<a>_<b>``."""
    if name in OUTCOME_NAMES:
        return OUTCOMES[OUTCOME_NAMES.index(name)]
    if name.startswith("final_"):
        return Outcome(name, "level", f"final level of {name[6:].replace('_', '-')}", "Level at the horizon.",
                       lambda v: v.levels[:, -1, 0, 0])  # fmt: skip
    raise KeyError(name)


def label(name: str) -> str:
    """Human words for a column (outcome or pair), for plots and reports."""
    try:
        return outcome(name).label
    except KeyError:
        return name.replace("_", " ")


def run_outcomes(view: BatchView, only: set[str] | None = None) -> pd.DataFrame:
    """One row per run: every catalogue outcome, then the final level of every pair (``final_<a>_<b>``).

    ``only``: compute just these catalogue outcomes (pair levels are always kept: they are free).
    """
    B = view.levels.shape[0]
    data: dict[str, object] = {o.name: o.compute(view) for o in OUTCOMES if only is None or o.name in only}
    final = view.levels[:, -1]
    for i, j, col in pair_columns(view.actors):
        data[f"final_{col}"] = final[:, i, j].astype(np.int8)
    return pd.DataFrame(data, index=pd.RangeIndex(B, name="run"))
