"""Outcomes of runs, computed from level trajectories ``[B, T + 1, n, n]``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .state import MAX_LEVEL, AlignmentLevel

#: Level at or above which two actors count as one bloc.
BLOC_LEVEL = int(AlignmentLevel.ENTENTE)


def pair_names(actors: tuple[str, ...]) -> list[tuple[int, int, str]]:
    return [
        (i, j, f"{actors[i]}-{actors[j]}")
        for i in range(len(actors))
        for j in range(i + 1, len(actors))
    ]


def first_step_at_or_above(series: np.ndarray, level: int) -> np.ndarray:
    """First step index where ``series[b, t] >= level``, or -1 if never. series: [B, T+1]."""
    hit = series >= level
    first = hit.argmax(axis=1)
    return np.where(hit.any(axis=1), first, -1)


def bloc_labels(final: np.ndarray, actors: tuple[str, ...]) -> list[str]:
    """Bloc structure per run: groups linked at entente or above, e.g. 'China+Russia | EU+US | India'.

    Connected components by transitive closure (vectorised over runs); each distinct
    structure is named once.
    """
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


def india_alignment(final: np.ndarray, actors: tuple[str, ...]) -> list[str] | None:
    """'west' if India is closer to the US than to Russia and China, 'east' if the reverse, else 'balanced'."""
    if not {"India", "US", "Russia", "China"} <= set(actors):
        return None
    i, us, ru, cn = (actors.index(a) for a in ("India", "US", "Russia", "China"))
    west = final[:, i, us].astype(int)
    east = np.maximum(final[:, i, ru], final[:, i, cn]).astype(int)
    return np.where(west > east, "west", np.where(east > west, "east", "balanced")).tolist()


def run_outcomes(levels: np.ndarray, actors: tuple[str, ...]) -> pd.DataFrame:
    """One row per run: Russia-China milestones, final level of every pair, India, blocs."""
    B = levels.shape[0]
    final = levels[:, -1]
    data: dict[str, object] = {}
    if "Russia" in actors and "China" in actors:
        r, c = actors.index("Russia"), actors.index("China")
        rc = levels[:, :, r, c]
        for lvl in AlignmentLevel:
            if lvl == AlignmentLevel.ESTRANGED:
                continue
            data[f"rc_step_{lvl.name.lower()}"] = first_step_at_or_above(rc, int(lvl)).astype(np.int16)
        data["rc_alliance"] = (rc >= MAX_LEVEL).any(axis=1)
        data["rc_alliance_step"] = data["rc_step_formal_alliance"]
        data["rc_final_level"] = rc[:, -1].astype(np.int8)
        data["rc_max_level"] = rc.max(axis=1).astype(np.int8)
        data["rc_mean_level"] = rc[:, 1:].mean(axis=1).astype(np.float32)
    for i, j, name in pair_names(actors):
        data[f"final_{name}"] = final[:, i, j].astype(np.int8)
    india = india_alignment(final, actors)
    if india is not None:
        idx = {a: actors.index(a) for a in ("India", "US", "Russia", "China")}
        data["india_us_level"] = final[:, idx["India"], idx["US"]].astype(np.int8)
        data["india_russia_level"] = final[:, idx["India"], idx["Russia"]].astype(np.int8)
        data["india_china_level"] = final[:, idx["India"], idx["China"]].astype(np.int8)
        data["india_alignment"] = india
    data["blocs"] = bloc_labels(final, actors)
    return pd.DataFrame(data, index=pd.RangeIndex(B, name="run"))
