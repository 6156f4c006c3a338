"""Explanations: why an actor moved, in plain words, with the values the run used and their sources.

Everything here reads the run's ``Resolved`` scenario, so a value a scenario sets is quoted as
the run used it, "set by the scenario", never as the registry's default. Terms, their labels
and the families they read come from the declaration in ``rules/terms.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.core.calendar import month_label
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
from simulation.core.references import in_words
from simulation.rules.terms import TERMS, TREATY_ONLY
from simulation.world.build import build_params
from simulation.world.registry import split_pair
from simulation.world.resolve import Resolved

TERM_LABELS = {t.name: t.label for t in TERMS}
TERMS_BY_NAME = {t.name: t for t in TERMS}


def term_parameters(term: str, resolved: Resolved, i: int, j: int, level: np.ndarray, threat: np.ndarray) -> list[str]:
    """Keys a term rests on for actor i towards partner j, that the run used: the term's declared ``sources``
    (rules/terms.py) with ``{a}`` the actor, ``{b}`` the partner and ``{c}`` the third party its
    ``third_party`` scores highest (the largest contributor).

    Parameters
    ----------
    term
        The term's name.
    resolved
        The run's resolved scenario (keys it does not hold are left out).
    i, j
        The actor's and the partner's indices.
    level, threat
        This month's levels and threat perceptions [n, n].

    Returns
    -------
    list of str
        Registry keys, in the order the declaration gives them.
    """
    declared = TERMS_BY_NAME[term]
    names = {"a": resolved.actors[i], "b": resolved.actors[j]}
    if declared.third_party is not None:
        others = [k for k in range(resolved.n) if k not in (i, j)]
        if not others:
            return []
        pick = declared.third_party
        names["c"] = resolved.actors[max(others, key=lambda k: pick(i, j, k, level, threat))]
    keys = [_source_key(resolved, template.format(**names)) for template in declared.sources]
    return [k for k in keys if k is not None and k in resolved]


def _source_key(resolved: Resolved, key: str) -> str | None:
    """The key as the run holds it: a symmetric pair in the order the registry or scenario lists it."""
    family, _, suffix = key.partition(".")
    pair = split_pair(suffix) if resolved.registry.shapes().get(family) in ("pair", "directed_pair") else None
    if pair is None:
        return key
    return resolved.pair_key(family, pair[0], pair[1], pair[2])


def _wish(intent: str, partner_intent: str, before: int, after: int, consent: int, treaty_steps: int) -> str:
    """What became of the actor's wish: done, refused, waiting for treaty consent, or lowered by the other side."""
    if intent == "raise":
        if after > before:
            return "raised (both wanted it)"
        if after < before:
            return "the other side lowered it instead"
        if before == MAX_LEVEL - 1 and partner_intent == "raise":
            return f"treaty talks: consent held {consent} of {treaty_steps} months"
        return "refused by the partner (it did not want to climb)"
    if intent == "lower":
        return "lowered" if after < before else "could not lower further"
    if after < before:
        return "lowered by the other side"
    if after > before:
        return "raised"
    return "held"


def explain_decision(row: pd.Series | dict, resolved: Resolved, level: np.ndarray, threat: np.ndarray) -> str:
    """A paragraph explaining one decision row of the ``decisions`` table.

    Parameters
    ----------
    row
        One row of a run's ``decisions`` table.
    resolved
        The run's resolved scenario (values as the run used them, with their sources).
    level, threat
        The month's levels and threat perceptions [n, n].

    Returns
    -------
    str
        The decision in words, then one line per quoted value behind its largest terms.
    """
    a, b = row["actor"], row["partner"]
    i, j = resolved.index(a), resolved.index(b)
    before_level = int(row["level_before"])
    before = LEVEL_LABELS[before_level]
    intent = row["intent"]
    treaty = before_level >= MAX_LEVEL - 1
    names = [t.name for k, t in enumerate(TERMS) if treaty or k not in TREATY_ONLY]
    contributions = {t: float(row[f"term_{t}"]) for t in names}
    pulls = sorted((t for t in names if contributions[t] > 0), key=lambda t: -contributions[t])[:2]
    costs = sorted((t for t in names if contributions[t] < 0), key=lambda t: contributions[t])[:2]
    desire = row["treaty_desire"] if before_level == MAX_LEVEL - 1 and intent == "raise" else row["desire"]
    if intent == "raise":
        head = f"{a} wants to raise its relationship with {b} above {before}: desire {desire:+.2f} exceeds the bar " \
               f"{row['raise_threshold']:+.2f}."  # fmt: skip
    elif intent == "lower":
        head = f"{a} wants to lower its relationship with {b} below {before}: desire {desire:+.2f} fell under " \
               f"{row['lower_threshold']:+.2f}."  # fmt: skip
    else:
        head = f"{a} holds its {before} with {b} (desire {desire:+.2f})."
    parts = [head]
    if pulls:
        parts.append("Pulling closer: " + ", ".join(f"{TERM_LABELS[t]} {contributions[t]:+.2f}" for t in pulls) + ".")
    if costs:
        parts.append("Holding back: " + ", ".join(f"{TERM_LABELS[t]} {contributions[t]:+.2f}" for t in costs) + ".")
    parts.append(f"Resting constant {row['anchor']:+.2f}; noise {row['noise']:+.2f}.")
    lines = [" ".join(parts)]
    for t in pulls + costs:
        for key in term_parameters(t, resolved, i, j, level, threat):
            lines.append(f"  - {TERM_LABELS[t]}: {in_words(resolved.cite(key))}")
    return "\n".join(lines)


def event_log(
    decisions: pd.DataFrame, levels: np.ndarray, resolved: Resolved, threats: dict[int, np.ndarray] | None = None
) -> list[dict]:
    """Entries for every change of level and every wish to change, in month order.

    Each entry says what the actor wished (``intent``) and what became of it (``outcome``):
    done, refused by the partner, waiting for treaty consent, or lowered by the other side.

    Parameters
    ----------
    decisions
        A run's ``decisions`` table.
    levels
        The run's levels [T + 1, n, n].
    resolved
        The run's resolved scenario.
    threats
        Threat perceptions by month, where recorded (else the month-0 base threat).

    Returns
    -------
    list of dict
        One entry per change or wish to change: step, date, actor, partner, intent, outcome, levels and
        the explanation.
    """
    treaty_steps = int(round(resolved.value("treaty_consent_steps")))
    base_threat = None
    entries = []
    notable = decisions[(decisions["intent"] != "hold") | (decisions["level_before"] != decisions["level_after"])]
    for _, row in notable.iterrows():
        step = int(row["step"])
        if threats is not None and step in threats:
            threat = threats[step]
        else:
            if base_threat is None:
                base_threat = build_params(resolved).threat[0]
            threat = base_threat
        before, after = int(row["level_before"]), int(row["level_after"])
        entries.append(
            {
                "step": step,
                "date": month_label(resolved.start, step),
                "actor": row["actor"],
                "partner": row["partner"],
                "intent": row["intent"],
                "outcome": _wish(
                    row["intent"],
                    row.get("partner_intent", "hold"),
                    before,
                    after,
                    int(row.get("consent_months", 0)),
                    treaty_steps,
                ),  # fmt: skip
                "level_before": LEVEL_LABELS[before],
                "level_after": LEVEL_LABELS[after],
                "explanation": explain_decision(row, resolved, levels[step], threat),
            }
        )
    return entries


def event_log_markdown(entries: list[dict], title: str) -> str:
    lines = [f"# Event log: {title}", ""]
    lines.append("Every change of alignment and every wish to change, what became of the wish, the utility terms")
    lines.append("and the values the run used (with their sources) behind the largest terms.")
    lines.append("")
    for e in entries:
        changed = e["level_before"] != e["level_after"]
        move = f"{e['level_before']} -> **{e['level_after']}**" if changed else f"stays {e['level_before']}"
        lines.append(f"## {e['date']} (month {e['step']}): {e['actor']} wishes to {e['intent']} ties with "
                     f"{e['partner']}: {e['outcome']} ({move})")  # fmt: skip
        lines.append("")
        lines.append(e["explanation"])
        lines.append("")
    return "\n".join(lines)
