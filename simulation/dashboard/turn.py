"""The words of a team's turn, built from a room without widgets: the team's goal in one line, the
effect of each move in plain words, what one step of pressure or coordination does (the model's
own look-ahead), last month in one line, and the numbers with their meaning and source.

Each is built once per room version and shared by the pages that show it (``Room.cached``).
"""

from __future__ import annotations

import re

import numpy as np

from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
from simulation.core.references import REFERENCES, in_words
from simulation.dashboard.common import esc
from simulation.reporting.explain import term_parameters
from simulation.rules.kernels import term_weights
from simulation.rules.terms import TERMS, TREATY_ONLY
from simulation.teaching.rooms import Room, glossary

#: One step of a stepper (pressure, coordination).
STEP = 0.05


def team_goal(room: Room, actor: str) -> str:
    """The team's aim in one line, from its role in the scenario."""
    st = room.model.structure
    a, b = st.focal_pair
    if actor == st.pressurer:
        return (
            f"Keep {a} and {b} apart and your partners with you. Your pressure is your tool, but pressure "
            "on both can push them together."
        )
    if actor == st.coordinator:
        return (
            f"Decide how far to follow {st.pressurer}'s pressure (your coordination) while keeping your ties and "
            f"trade with {a} and {b}."
        )
    if actor in (a, b):
        other = b if actor == a else a
        return (
            f"Decide how close to go with {other}: each step up needs both sides, and a formal alliance needs "
            f"{room.treaty_months} months of consent in a row."
        )
    return "Stay on good terms with every side: moving closer to one can cost you trade and trust with another."


def _sources(text: str) -> str:
    """The short citations a provenance names (else its first words: a modelling assumption, the posterior)."""
    words = in_words(text)
    found = [r.short for r in REFERENCES if r.short in words]
    if found:
        return ", ".join(dict.fromkeys(found))
    head = re.split(r"[;:\[]", words)[0].strip()
    return head[:60] or "modelling assumption"


def _advice(room: Room):
    return room.cached_month("advice-record", room.model.advice)


def contributions(room: Room, actor: str, partner: str) -> dict[str, float]:
    """Every utility term of ``actor`` towards ``partner`` this month (weighted; treaty terms only near a treaty)."""
    m = room.model
    i, j = m.actors.index(actor), m.actors.index(partner)
    rec = _advice(room)
    contrib = rec.terms[i, j] * term_weights(m.params.behaviour[0])
    if int(m.level[i, j]) < MAX_LEVEL - 1:
        contrib[list(TREATY_ONLY)] = 0.0
    return {t.name: float(contrib[k]) for k, t in enumerate(TERMS)}


def _third(room: Room, term: str, i: int, j: int) -> str:
    """The third country a term is about (the one weighing most), as ``explain.term_parameters`` picks it."""
    m = room.model
    rec = _advice(room)
    threat, level = rec.threat, m.level
    others = [k for k in range(len(m.actors)) if k not in (i, j)]
    if not others:
        return "others"
    if term in ("shared_threat", "capability"):
        k = max(others, key=lambda k: min(threat[i, k], threat[j, k]))
    elif term == "entrapment":
        k = max(others, key=lambda k: level[i, k] * threat[j, k])
    elif term == "third_party":
        k = max(others, key=lambda k: level[i, k] * threat[k, j])
    elif term == "exposure":
        k = max(others, key=lambda k: threat[k, j])
    else:
        k = max(others, key=lambda k: threat[j, k] - threat[i, k])
    return m.actors[k]


COSTS = {
    "exposure": "your trade with {c}, who fears {b}",
    "entrapment": "a quarrel between {b} and your friend {c}",
    "status": "the junior role beside {b}",
    "mistrust": "old grievances with {b}",
    "partner_threat": "you fear {b} itself",
    "autonomy": "the freedom of action a treaty takes",
    "underwriting": "backing {b} against {c}",
    "third_party": "your ties with {c}",
}
GAINS = {
    "shared_threat": "a partner against {c}",
    "economic_stake": "your trade with {b}",
    "affinity": "a like-minded partner",
    "rapport": "the leaders' rapport",
    "capability": "{b}'s strength against {c}",
}


def move_effects(room: Room, actor: str) -> dict[str, dict[str, str]]:
    """Partner -> move -> its effect in plain words ("raise: closer to China if it agrees; costs you ...")."""

    def build() -> dict[str, dict[str, str]]:
        m = room.model
        i = m.actors.index(actor)
        out = {}
        for j, b in enumerate(m.actors):
            if j == i:
                continue
            level = int(m.level[i, j])
            terms = contributions(room, actor, b)
            cost = min((t for t in terms if t in COSTS and terms[t] < -0.005), key=terms.get, default=None)
            gain = max((t for t in terms if t in GAINS and terms[t] > 0.005), key=terms.get, default=None)
            effects = {}
            if level < MAX_LEVEL:
                text = f"closer to {b} ({LEVEL_LABELS[level + 1]}) if {b} also raises"
                if level == MAX_LEVEL - 1:
                    text = f"towards a formal alliance: both sides, {room.treaty_months} months in a row"
                if cost is not None:
                    text += "; against it: " + COSTS[cost].format(b=b, c=_third(room, cost, i, j))
                effects["raise"] = text
            effects["hold"] = f"stays {LEVEL_LABELS[level]}"
            if level > 0:
                text = f"down to {LEVEL_LABELS[level - 1]}, no consent needed"
                if gain is not None:
                    text += "; you give up " + GAINS[gain].format(b=b, c=_third(room, gain, i, j))
                effects["lower"] = text
            out[b] = effects
        return out

    return room.cached_month(f"effects:{actor}", build)


def _lookahead(room: Room, change) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's advice this month (desire, intent, threat) with ``change(model)`` applied, then undone."""
    m = room.model
    p = m.params
    with room.lock:
        saved = (p.pressure_threat.copy(), p.pressure_trade.copy(), p.coordination.copy())
        try:
            change(m)
            rec = m.advice()
            return rec.desire.copy(), rec.intent.copy(), rec.threat.copy()
        finally:
            p.pressure_threat[...], p.pressure_trade[...], p.coordination[...] = saved


def _step_words(room: Room, base, down, up, involve: int, fear: tuple[int, int] | None) -> str:
    """What one step down and one step up change, as "-0.05 / now / +0.05": the fear of the pressurer
    (``fear``: target, pressurer), the largest change in a country's pull towards another among the pairs
    ``involve`` is part of (all pairs when -1), and whether the model's advice would change."""
    actors = room.model.actors
    n = len(actors)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j and (involve < 0 or involve in (i, j))]
    moved = [x for x in (down, up) if x is not None]
    i, j = max(pairs, key=lambda ij: max(abs(x[0][ij] - base[0][ij]) for x in moved))

    def trio(k: int, fmt: str, ij) -> str:
        return " / ".join("-" if x is None else format(float(x[k][ij]), fmt) for x in (down, base, up))

    words = []
    if fear is not None:
        words.append(f"{actors[fear[0]]}'s fear of {actors[fear[1]]} {trio(2, '.2f', fear)}")
    words.append(f"{actors[i]}'s pull towards {actors[j]} {trio(0, '+.2f', (i, j))}")
    flips = [(a, b, x) for x in moved for a, b in pairs if x[1][a, b] != base[1][a, b]]
    if flips:
        a, b, x = flips[0]
        move = ("lower", "hold", "raise")[int(x[1][a, b]) + 1]
        words.append(f"the model would then advise {actors[a]} to {move} with {actors[b]}")
    else:
        words.append("the model's advice stays the same")
    return "; ".join(words)


def lever_effects(room: Room, actor: str) -> dict[str, str]:
    """For each lever the team sets (``pressure|TARGET``, ``coordination``): what one step of 0.05 down or up
    does this month, from the model's own look-ahead (the advice with the lever moved, then put back)."""

    def build() -> dict[str, str]:
        m = room.model
        st = m.structure
        sit = room.situation(actor)
        out: dict[str, str] = {}
        if not (sit.controls_pressure or sit.controls_coordination):
            return out
        base = _lookahead(room, lambda _m: None)
        p = m.actors.index(st.pressurer)

        def steps(level: float, apply) -> tuple:
            got = []
            for sign in (-1, 1):
                value = round(min(1.0, max(0.0, level + sign * STEP)), 2)
                got.append(None if value == round(level, 2) else _lookahead(room, lambda mm, v=value: apply(mm, v)))
            return tuple(got)

        if sit.controls_pressure:
            for target, level in sit.pressure.items():
                k = m.actors.index(target)
                down, up = steps(level, lambda mm, v, t=target: mm.set_pressure(t, v))
                out[f"pressure|{target}"] = _step_words(room, base, down, up, k, (k, p))
        if sit.controls_coordination and sit.coordination is not None:
            down, up = steps(sit.coordination, lambda mm, v: mm.set_coordination(v))
            out["coordination"] = _step_words(room, base, down, up, -1, None)
        return out

    return room.cached_month(f"levers:{actor}", build)


def feedback_line(room: Room, actor: str) -> str:
    """Last month in one line: how many requests were done, refused, waiting or lowered."""
    feedback = room.feedback_for(actor)
    if not feedback or room.month == 0:
        return ""
    played = room.rounds[-1].moves.get(actor) if room.rounds else None
    counts: dict[str, int] = {}
    for f in feedback:
        counts[f.status] = counts.get(f.status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in counts.items())
    who = "Last month" if played is not None else "Last month the model played for you (no submit)"
    return f"{who}: {parts}. Details below."


# --------------------------------------------------------------------------- the numbers, with meaning and source


def _term_source(room: Room, name: str, i: int, j: int) -> str:
    m = room.model
    keys = term_parameters(name, m.resolved, i, j, m.level, _advice(room).threat)
    return ", ".join(dict.fromkeys(_sources(m.resolved.provenance(k)) for k in keys))


def term_sources(room: Room, actor: str) -> dict[str, str]:
    """Partner -> the short citations behind the two largest terms of ``actor`` towards it this month."""

    def build() -> dict[str, str]:
        m = room.model
        i = m.actors.index(actor)
        out = {}
        for j, b in enumerate(m.actors):
            if j == i:
                continue
            terms = contributions(room, actor, b)
            top = sorted((t for t in terms if abs(terms[t]) > 0.005), key=lambda t: -abs(terms[t]))[:2]
            out[b] = ", ".join(dict.fromkeys(s for t in top for s in _term_source(room, t, i, j).split(", ") if s))
        return out

    return room.cached_month(f"term-sources:{actor}", build)


GLOSSARY_BY_LABEL = {g["term"]: g for g in glossary()}
TERM_BY_LABEL = {t.label: t.name for t in TERMS}


def numbers_html(room: Room, actor: str) -> str:
    """The team's situation, one block per partner: each number with what it means and where it comes from."""
    return room.cached_month(f"numbers:{actor}", lambda: _numbers_html(room, actor))


def _numbers_html(room: Room, actor: str) -> str:
    m = room.model
    r = m.resolved
    s = room.situation(actor)
    i = m.actors.index(actor)
    blocks = []
    for v in s.partners:
        j = m.actors.index(v.partner)
        threat_src = (
            _sources(r.provenance(f"threat.{actor}->{v.partner}")) if f"threat.{actor}->{v.partner}" in r else ""
        )
        trade_key = r.pair_key("trade_usd_bn", actor, v.partner, False)
        trade_src = _sources(r.provenance(trade_key)) if trade_key else "no trade listed for the pair"
        rows = [
            (f"{v.threat_to_me:.2f}", "how much you fear them (0 to 1): the documents' base fear, raised by pressure, "
             "crises and aggression", threat_src),
            (f"{v.trade_share:.1%}", "their share of your trade", trade_src),
        ]  # fmt: skip
        terms = contributions(room, actor, v.partner)
        top = sorted((t for t in terms if abs(terms[t]) > 0.005), key=lambda t: -abs(terms[t]))[:3]
        for name in top:
            label = next(t.label for t in TERMS if t.name == name)
            g = GLOSSARY_BY_LABEL.get(label, {})
            src = _term_source(room, name, i, j) or g.get("source", "")
            side = "pulls you closer" if terms[name] > 0 else "holds you back"
            rows.append((f"{terms[name]:+.2f}", f"{label} ({side}): {g.get('meaning', '')}", src))
        body = "".join(
            f'<tr><td class="num">{esc(n)}</td><td>{esc(meaning)}</td><td class="src">{esc(src)}</td></tr>'
            for n, meaning, src in rows
        )
        blocks.append(
            f'<div class="numbers-partner" data-partner="{esc(v.partner)}"><h3>{esc(v.partner)}: {esc(v.level)}, '
            f"the model advises {esc(v.advice)} (pull {v.desire:+.2f})</h3>"
            '<table class="nt"><thead><tr><th>number</th><th>what it means</th><th>source</th></tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
    note = (
        "<p>Utility terms are in the model's units: they add up to a country's pull towards a partner "
        "(positive: it wants closer ties). The model advises <i>raise</i> when the pull clears a threshold, "
        f"<i>lower</i> when it falls below another. A formal alliance needs both sides for {room.treaty_months} "
        "months in a row.</p>"
    )
    return f'<div data-testid="numbers">{note}{"".join(blocks)}</div>'


__all__ = [
    "team_goal",
    "move_effects",
    "lever_effects",
    "feedback_line",
    "numbers_html",
    "contributions",
    "STEP",
]
