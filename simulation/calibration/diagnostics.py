"""Model criticism from a reference table: which patterns the model can meet, alone and together.

A reference table holds, for every prior draw, the value of every pattern (``reference_table``).
Before asking what the patterns say about the parameters, it says what they say about the model
(DESIGN invariant 13): a pair of patterns that prior draws almost never meet together points at a
mechanism that is missing or mis-specified, not at a parameter value to find.

- ``share``: the share of prior draws meeting each pattern, P(a);
- ``joint``/``lift``: for every pair, P(a and b) and P(a and b) / (P(a) P(b)) (1: independent;
  far below 1: the model's structure trades one for the other);
- ``all_met``: the share of draws meeting every pattern;
- ``best``: the largest number of patterns one draw meets, and the sets of patterns missed by the
  draws that come closest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.calibration.patterns import PatternsFile


@dataclass(frozen=True)
class Compatibility:
    """What a reference table says about the model (see the module docstring)."""

    ids: tuple[str, ...]
    draws: int
    share: pd.Series  # [pattern] P(met)
    joint: pd.DataFrame  # [pattern, pattern] P(both met)
    lift: pd.DataFrame  # [pattern, pattern] P(both) / (P(a) P(b)); NaN where a share is 0
    all_met: float
    best_count: int
    best_missed: list[tuple[tuple[str, ...], int]]  # (patterns missed, draws) among the closest draws

    def worst_pairs(self, top: int = 10) -> pd.DataFrame:
        """The pairs with the smallest lift (the model's structure trades one for the other)."""
        rows = []
        for a in range(len(self.ids)):
            for b in range(a + 1, len(self.ids)):
                x, y = self.ids[a], self.ids[b]
                rows.append({"a": x, "b": y, "p_a": self.share[x], "p_b": self.share[y],
                             "p_both": self.joint.loc[x, y], "lift": self.lift.loc[x, y]})  # fmt: skip
        df = pd.DataFrame(rows)
        return df.sort_values(["lift", "p_both"], na_position="first").head(top).reset_index(drop=True)

    def summary(self) -> dict:
        return {
            "draws": self.draws,
            "share_meeting_every_pattern": self.all_met,
            "most_patterns_met_by_one_draw": self.best_count,
            "patterns": len(self.ids),
            "share_met": {k: round(float(v), 4) for k, v in self.share.items()},
            "worst_pairs": [
                {k: (_number(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in self.worst_pairs(20).to_dict("records")
            ],
            "best_missed": [{"missed": list(m), "draws": n} for m, n in self.best_missed],
        }


def _number(v: float) -> float | None:
    """A JSON-safe rounded number (None for NaN)."""
    return None if v != v else round(float(v), 4)


def met_matrix(patterns: PatternsFile, values: pd.DataFrame) -> pd.DataFrame:
    """[draw, pattern] True where the draw's value meets the pattern (miss 0)."""
    return pd.DataFrame({p.id: values[p.id].map(p.miss).to_numpy() == 0 for p in patterns.patterns})


def compatibility(patterns: PatternsFile, values: pd.DataFrame, closest: int = 50) -> Compatibility:
    """Pattern compatibility of a reference table (``values``: one column per pattern id, one row per draw).

    ``best_missed`` lists the sets of patterns missed by the ``closest`` draws that meet the most.
    """
    met = met_matrix(patterns, values)
    ids = tuple(met.columns)
    m = met.to_numpy(dtype=float)
    n = max(len(m), 1)
    share = pd.Series(m.mean(axis=0) if len(m) else np.zeros(len(ids)), index=list(ids))
    joint_arr = (m.T @ m) / n
    expected = np.outer(share.to_numpy(), share.to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        lift_arr = np.where(expected > 0, joint_arr / expected, np.nan)
    joint = pd.DataFrame(joint_arr, index=list(ids), columns=list(ids))
    lift = pd.DataFrame(lift_arr, index=list(ids), columns=list(ids))
    counts = m.sum(axis=1) if len(m) else np.zeros(0)
    all_met = float((counts == len(ids)).mean()) if len(m) else 0.0
    best = int(counts.max()) if len(m) else 0
    order = np.argsort(-counts, kind="stable")[:closest]
    missed = Counter(tuple(i for i, ok in zip(ids, met.iloc[r], strict=True) if not ok) for r in order)
    return Compatibility(ids, len(m), share, joint, lift, all_met, best, missed.most_common(8))


def compatibility_markdown(summary: dict, top: int = 12) -> list[str]:
    """The model-criticism section of the calibration report, from ``Compatibility.summary()`` (as stored in
    the posterior's manifest)."""
    draws, all_met = summary["draws"], summary["share_meeting_every_pattern"]
    lines = [
        "## Model criticism: which patterns the model can meet together",
        "",
        f"From the reference table ({draws:,} prior draws): the share of draws meeting each pattern, and for "
        "pairs of patterns the share meeting both and its *lift*, P(both) / (P(a) P(b)). A lift near 1: the "
        "two are independent over the prior; far below 1: whatever meets one misses the other (a mechanism "
        "missing or mis-specified, not a parameter value to find).",
        "",
        f"**Share of prior draws meeting every pattern: {all_met:.4f}** ({round(all_met * draws)} of "
        f"{draws:,}); the most patterns one draw meets: {summary['most_patterns_met_by_one_draw']} of "
        f"{summary['patterns']}.",
        "",
        "| pattern | share of prior draws meeting it |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:.3f} |" for k, v in summary["share_met"].items()]
    lines += ["", f"The {top} least compatible pairs:", "", "| a | b | P(a) | P(b) | P(both) | lift |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in summary["worst_pairs"][:top]:
        lift = "n/a" if r["lift"] is None or r["lift"] != r["lift"] else f"{r['lift']:.2f}"
        lines.append(f"| {r['a']} | {r['b']} | {r['p_a']:.3f} | {r['p_b']:.3f} | {r['p_both']:.4f} | {lift} |")
    lines += ["", "Patterns missed by the draws that meet the most (the best-met sets):", "",
              "| patterns missed | draws |", "|---|---|"]  # fmt: skip
    for row in summary["best_missed"]:
        lines.append(f"| {', '.join(row['missed']) if row['missed'] else '(none)'} | {row['draws']} |")
    lines.append("")
    return lines


def compatibility_text(c: Compatibility, top: int = 8) -> str:
    """A terminal summary (``alliance-sim calibrate`` prints it)."""
    out = [f"Model criticism ({c.draws:,} prior draws): {c.all_met:.4f} meet every pattern; best draw meets "
           f"{c.best_count} of {len(c.ids)}."]  # fmt: skip
    out += [f"  {k:<40} {v:6.3f}" for k, v in c.share.sort_values().items()]
    out.append("Least compatible pairs (P(both), lift):")
    for _, r in c.worst_pairs(top).iterrows():
        out.append(f"  {r['a']} + {r['b']}: {r['p_both']:.4f}, lift {r['lift']:.2f}")
    return "\n".join(out)
