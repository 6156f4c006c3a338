"""Explanations: why an actor moved, in plain words, with the parameters and sources behind it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import DocumentSource, Registry, default_registry
from .rules.utility import TERMS
from .state import LEVEL_LABELS
from .world import World

TERM_LABELS = {
    "shared_threat": "shared threat",
    "economic_stake": "economic stake",
    "affinity": "regime affinity",
    "rapport": "leader rapport",
    "entrapment": "entrapment risk",
    "exposure": "trade exposure",
    "status": "junior-partner status cost",
    "mistrust": "historical mistrust",
}


def _pair_key(registry: Registry, family: str, a: str, b: str) -> str | None:
    for key in (f"{family}.{a}-{b}", f"{family}.{b}-{a}"):
        if key in registry:
            return key
    return None


def term_parameters(term: str, world: World, i: int, j: int, level: np.ndarray) -> list[str]:
    """Registry keys a term rests on for actor i towards partner j (the largest contributors)."""
    a, b = world.actors[i], world.actors[j]
    reg = default_registry()
    others = [k for k in range(world.n) if k not in (i, j)]
    keys: list[str | None] = []
    if term == "shared_threat" and others:
        k = max(others, key=lambda k: min(world.threat[i, k], world.threat[j, k]))
        c = world.actors[k]
        keys = [f"threat.{a}->{c}", f"threat.{b}->{c}", "pressure_threat_gain"]
    elif term == "economic_stake":
        keys = [_pair_key(reg, "trade_usd_bn", a, b), f"total_trade_usd_bn.{a}"]
        if world.arms_share[i, j] > 0:
            keys.append(f"arms_export_share.{a}->{b}")
    elif term == "affinity":
        keys = [f"liberal_democracy_index.{a}", f"liberal_democracy_index.{b}"]
    elif term == "rapport":
        keys = [_pair_key(reg, "rapport", a, b)]
    elif term == "entrapment" and others:
        k = max(others, key=lambda k: level[i, k] * world.threat[j, k])
        c = world.actors[k]
        keys = [f"threat.{b}->{c}", _pair_key(reg, "initial_level", a, c)]
    elif term == "exposure" and others:
        k = max(others, key=lambda k: world.trade_usd_bn[i, k] * world.threat[k, j])
        c = world.actors[k]
        keys = [f"trade_vulnerability.{a}", f"threat.{c}->{b}", _pair_key(reg, "trade_usd_bn", a, c)]
    elif term == "status":
        keys = [f"status_concern.{a}", f"gdp_usd_bn.{a}", f"gdp_usd_bn.{b}"]
    elif term == "mistrust":
        keys = [f"mistrust.{a}->{b}"]
    return [k for k in keys if k is not None and k in reg]


def cite(key: str, registry: Registry | None = None) -> str:
    """'key = value (first source)': a document quote when there is one."""
    reg = registry if registry is not None else default_registry()
    p = reg[key]
    docs = [s for s in p.sources if isinstance(s, DocumentSource)]
    source = docs[0] if docs else p.sources[0]
    return f"{key} = {p.value:g} [{source.cite()}]"


def explain_decision(row: pd.Series | dict, world: World, level: np.ndarray) -> str:
    """A paragraph explaining one decision row of the ``decisions`` table."""
    a, b = row["actor"], row["partner"]
    i, j = world.index(a), world.index(b)
    before = LEVEL_LABELS[int(row["level_before"])]
    intent = row["intent"]
    desire = row["desire"]
    contributions = {t: float(row[f"term_{t}"]) for t in TERMS}
    pulls = sorted((t for t in TERMS if contributions[t] > 0), key=lambda t: -contributions[t])[:2]
    costs = sorted((t for t in TERMS if contributions[t] < 0), key=lambda t: contributions[t])[:2]
    if intent == "raise":
        head = (
            f"{a} wants to raise its relationship with {b} above {before}: desire "
            f"{desire:+.2f} exceeds the bar {row['raise_threshold']:+.2f}."
        )
    elif intent == "lower":
        head = (
            f"{a} wants to lower its relationship with {b} below {before}: desire "
            f"{desire:+.2f} fell under {row['lower_threshold']:+.2f}."
        )
    else:
        head = f"{a} holds its {before} with {b} (desire {desire:+.2f})."
    parts = [head]
    if pulls:
        parts.append(
            "Pulling closer: "
            + ", ".join(f"{TERM_LABELS[t]} {contributions[t]:+.2f}" for t in pulls)
            + "."
        )
    if costs:
        parts.append(
            "Holding back: " + ", ".join(f"{TERM_LABELS[t]} {contributions[t]:+.2f}" for t in costs) + "."
        )
    parts.append(f"Noise {row['noise']:+.2f}.")
    lines = [" ".join(parts)]
    for t in pulls + costs:
        for key in term_parameters(t, world, i, j, level):
            lines.append(f"  - {TERM_LABELS[t]}: {cite(key)}")
    return "\n".join(lines)


def event_log(decisions: pd.DataFrame, levels: np.ndarray, world: World) -> list[dict]:
    """Entries for every change of level and every non-hold intent, in step order."""
    entries = []
    notable = decisions[(decisions["intent"] != "hold") | (decisions["level_before"] != decisions["level_after"])]
    for _, row in notable.iterrows():
        step = int(row["step"])
        text = explain_decision(row, world, levels[step])
        entries.append(
            {
                "step": step,
                "date": month_label(world.start, step),
                "actor": row["actor"],
                "partner": row["partner"],
                "intent": row["intent"],
                "level_before": LEVEL_LABELS[int(row["level_before"])],
                "level_after": LEVEL_LABELS[int(row["level_after"])],
                "explanation": text,
            }
        )
    return entries


def month_label(start: str, step: int) -> str:
    year, month = (int(x) for x in start.split("-"))
    total = year * 12 + (month - 1) + step
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def event_log_markdown(entries: list[dict], title: str) -> str:
    lines = [f"# Event log: {title}", ""]
    lines.append("Every change of alignment and every wish to change, with the utility terms and the")
    lines.append("registry parameters (and their sources) behind the largest terms.")
    lines.append("")
    for e in entries:
        changed = e["level_before"] != e["level_after"]
        mark = f" -> **{e['level_after']}**" if changed else ""
        lines.append(f"## {e['date']} (step {e['step']}): {e['actor']} - {e['partner']}: {e['intent']}{mark}")
        lines.append("")
        lines.append(e["explanation"])
        lines.append("")
    return "\n".join(lines)
