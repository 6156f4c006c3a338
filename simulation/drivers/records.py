"""What the rules did in one month of an explained run: the record the agents and explanations read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.rules.params import Scratch


@dataclass(frozen=True)
class MonthRecord:
    """What the rules did in one month of the run (copies: safe to keep)."""

    month: int  # the month these decisions were taken in (0-based)
    level_before: np.ndarray  # [n, n]
    level_after: np.ndarray  # [n, n]
    threat: np.ndarray
    trade: np.ndarray
    terms: np.ndarray  # [n, n, K] unweighted
    desire: np.ndarray
    treaty_desire: np.ndarray
    intent: np.ndarray
    pressure_threat: np.ndarray  # [n] after the policy rule
    coordination: np.ndarray  # [n]
    consent_months: np.ndarray  # [n, n] months of treaty consent so far


def _record(month: int, before: np.ndarray, after: np.ndarray, s: Scratch, streak: np.ndarray) -> MonthRecord:
    return MonthRecord(
        month=month,
        level_before=before,
        level_after=after.copy(),
        threat=s.threat.copy(),
        trade=s.trade.copy(),
        terms=s.terms.copy(),
        desire=s.desire.copy(),
        treaty_desire=s.treaty_desire.copy(),
        intent=s.intent.copy(),
        pressure_threat=s.pressure_threat.copy(),
        coordination=s.coordination.copy(),
        consent_months=streak.copy(),
    )
