"""What a room tells its teams in words: the fate of each request (``Feedback``), the month's event log
(``describe_month``: wishes, refusals and changes worded differently), what changed since last month
(``PartnerChange``), the moves a side can make and the glossary of utility terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.core.calendar import month_label
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL, Intent
from simulation.core.references import in_words
from simulation.rules.terms import TERMS
from simulation.teaching.seminar import Situation

MOVE_ORDER = ("raise", "hold", "lower")


def possible_moves(level: int) -> tuple[str, ...]:
    """The moves a side can make at ``level``: no raise above a formal alliance, no lower below estranged."""
    return tuple(
        m for m in MOVE_ORDER if not (m == "raise" and level >= MAX_LEVEL) and not (m == "lower" and level <= 0)
    )


def glossary() -> list[dict[str, str]]:
    """Every utility term in plain words (its declared ``meaning``), with its sign and the document it rests on
    (from rules.terms)."""
    return [
        {
            "term": t.label,
            "effect": "pulls closer" if t.sign > 0 else "holds back",
            "when": "every month" if t.rung == "every" else "only when signing or keeping a formal alliance",
            "meaning": t.meaning or t.label,
            "source": in_words(t.rests_on),
        }
        for t in TERMS
    ]


# --------------------------------------------------------------------------- what became of a request


@dataclass(frozen=True)
class Feedback:
    """What became of one team's request towards one partner this month."""

    partner: str
    request: str  # raise / hold / lower: what the team asked for
    status: str  # done / refused / waiting / lowered / held / not possible
    text: str  # a sentence for the team


def request_feedback(
    actor: str,
    partner: str,
    request: str,
    partner_request: str,
    before: int,
    after: int,
    consent_months: int,
    treaty_months: int,
    partner_reason: str | None = None,
    model_reason: str | None = None,
) -> Feedback:
    """One request's fate, from both sides' requests and the levels before and after the month.

    Raising needs both sides; either side can lower; a formal alliance needs consent held for
    ``treaty_months`` months in a row (004: an alliance is negotiated, not flipped).
    ``partner_reason`` is the partner team's "why" when a person plays the partner;
    ``model_reason`` the largest utility terms behind the partner's choice when the model plays it.
    """
    now = LEVEL_LABELS[after]
    why = f' Their reason: "{partner_reason}"' if partner_reason else ""
    if not why and model_reason:
        why = f" The model plays {partner}; what weighed most for it: {model_reason}."
    if request == "raise":
        if after > before:
            return Feedback(partner, request, "done", f"Done: {partner} agreed; you are now at {now}.")
        if after < before:
            return Feedback(
                partner,
                request,
                "lowered",
                f"Lowered by the other side: you asked to raise, but {partner} lowered your ties to {now}.{why}",
            )
        if before == MAX_LEVEL - 1 and partner_request == "raise":
            return Feedback(
                partner,
                request,
                "waiting",
                f"Waiting for treaty consent: both sides want a formal alliance; consent held "
                f"{consent_months} of {treaty_months} months (still {now}).",
            )
        return Feedback(
            partner, request, "refused", f"Refused by {partner}: it did not agree to move above {now}.{why}"
        )
    if request == "lower":
        if after < before:
            return Feedback(partner, request, "done", f"Done: you lowered your ties with {partner} to {now}.")
        return Feedback(partner, request, "not possible", f"Not possible: ties with {partner} are already {now}.")
    if after < before:
        return Feedback(
            partner, request, "lowered", f"Lowered by the other side: {partner} lowered your ties to {now}.{why}"
        )
    if after > before:  # cannot happen under consent; said plainly if it ever does
        return Feedback(partner, request, "done", f"Raised to {now}.")
    return Feedback(partner, request, "held", f"Held at {now}.")


# --------------------------------------------------------------------------- the event log


@dataclass(frozen=True)
class LogEntry:
    """One line of the room's event log. ``kind``: change, refusal, treaty (waiting) or wish."""

    month: int
    date: str
    kind: str
    pair: tuple[str, str]
    text: str


def describe_month(
    actors: tuple[str, ...],
    intent: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    consent_months: np.ndarray,
    treaty_months: int,
    month: int,
    start: str,
) -> list[LogEntry]:
    """The month in words, pair by pair: changes, refusals and treaty talks, never a raise that ended lower.

    A change names who moved it and, when the other side wanted the opposite, that wish; a
    request that went nowhere is a refusal, not a change.
    """
    date = month_label(start, month)
    entries: list[LogEntry] = []
    n = len(actors)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = actors[i], actors[j]
            wa, wb = int(intent[i, j]), int(intent[j, i])
            lb, la = int(before[i, j]), int(after[i, j])

            def add(kind: str, text: str, pair: tuple[str, str] = (a, b)) -> None:
                entries.append(LogEntry(month, date, kind, pair, text))

            if la > lb:
                add("change", f"{a} and {b} raised their ties to {LEVEL_LABELS[la]} (both asked for it).")
            elif la < lb:
                lowerers = [x for x, w in ((a, wa), (b, wb)) if w == Intent.LOWER]
                who = " and ".join(lowerers) or "One side"
                other = [x for x, w in ((a, wa), (b, wb)) if w == Intent.RAISE]
                text = f"{who} lowered ties with {b if lowerers == [a] else a} to {LEVEL_LABELS[la]}"
                if len(lowerers) == 2:
                    text = f"{a} and {b} both lowered their ties to {LEVEL_LABELS[la]}"
                text += f" ({other[0]} had asked to raise them)." if other else "."
                add("change", text)
            elif wa == Intent.RAISE and wb == Intent.RAISE and lb == MAX_LEVEL - 1:
                add(
                    "treaty",
                    f"{a} and {b} both want a formal alliance: treaty consent held "
                    f"{int(consent_months[i, j])} of {treaty_months} months (still {LEVEL_LABELS[lb]}).",
                )
            elif Intent.RAISE in (wa, wb) and lb < MAX_LEVEL:
                asker, refuser = (a, b) if wa == Intent.RAISE else (b, a)
                add(
                    "refusal",
                    f"{asker} asked to raise ties with {refuser} above {LEVEL_LABELS[lb]}; "
                    f"{refuser} refused (no change).",
                )
    return entries


# --------------------------------------------------------------------------- what changed since last month


@dataclass(frozen=True)
class PartnerChange:
    """What moved between two months for one actor towards one partner, in plain words."""

    partner: str
    threat_before: float
    threat_after: float
    trade_before: float
    trade_after: float
    text: str


def _direction(before: float, after: float, tolerance: float) -> str:
    if after > before + tolerance:
        return "rose"
    if after < before - tolerance:
        return "fell"
    return "held"


def describe_change(before: Situation, after: Situation) -> dict[str, PartnerChange]:
    """For each partner: the change in how much the actor fears it, its share of trade and the largest terms."""
    prior = {v.partner: v for v in before.partners}
    out = {}
    for v in after.partners:
        b = prior.get(v.partner)
        if b is None:
            continue
        threat = _direction(b.threat_to_me, v.threat_to_me, 0.005)
        trade = _direction(b.trade_share, v.trade_share, 0.0005)
        parts = []
        if threat != "held":
            parts.append(f"your fear of {v.partner} {threat} from {b.threat_to_me:.2f} to {v.threat_to_me:.2f}")
        if trade != "held":
            parts.append(f"its share of your trade {trade} from {b.trade_share:.1%} to {v.trade_share:.1%}")
        if not parts:
            parts.append(f"threat ({v.threat_to_me:.2f}) and trade ({v.trade_share:.1%}) held")
        if v.reasons:
            was = dict(b.reasons)
            words = []
            for label, value in v.reasons[:2]:
                side = "pulls you closer" if value > 0 else "holds you back"
                moved = label in was and abs(was[label] - value) >= 0.005
                words.append(f"{label} {side} ({value:+.2f}{f', was {was[label]:+.2f}' if moved else ''})")
            parts.append("weighing most: " + "; ".join(words))
        out[v.partner] = PartnerChange(
            v.partner, b.threat_to_me, v.threat_to_me, b.trade_share, v.trade_share, "; ".join(parts) + "."
        )
    return out
