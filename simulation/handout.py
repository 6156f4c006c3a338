"""Printable seminar handouts: the scenario's story, parameter cards, figures, questions.

Markdown and HTML (the HTML embeds its figures and prints cleanly from any browser; a PDF
would need a browser or system libraries, so none is made).
"""

from __future__ import annotations

import base64
from pathlib import Path

from .explain import month_label
from .registry import DocumentSource, default_registry
from .scenario import BorderCrisis, LeaderChange, Pandemic, load_scenario, scenario_id
from .state import MAX_LEVEL
from .stats import proportion

CARD_FAMILIES = {
    "status_concern": "status concern (0-1)",
    "trade_vulnerability": "trade vulnerability (0-1)",
    "gdp_usd_bn": "GDP (USD bn, 2018)",
    "military_spending_usd_bn": "military spending (USD bn, 2018)",
}

CSS = """
body { font-family: Georgia, serif; max-width: 52em; margin: 2em auto; line-height: 1.45; color: #111; }
h1 { font-size: 1.7em; } h2 { border-bottom: 1px solid #999; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.92em; margin: 0.6em 0; }
td, th { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; }
td:first-child { white-space: nowrap; }
img { max-width: 100%; } blockquote { color: #333; border-left: 3px solid #aaa; margin-left: 0; padding-left: 1em; }
@media print { body { margin: 0.5cm; } h2 { page-break-after: avoid; } img { page-break-inside: avoid; } }
"""


def _quote(key: str) -> str:
    reg = default_registry()
    if key not in reg:
        return ""
    for s in reg[key].sources:
        if isinstance(s, DocumentSource):
            return f'{s.document[:3]}: "{s.quote}"'
    return reg[key].sources[0].cite()


def _value(scenario, key: str) -> float | None:
    if key in scenario.parameters:
        return scenario.parameters[key]
    reg = default_registry()
    return reg.value(key) if key in reg else None


def handout_markdown(scenario_path: Path, figures: dict[str, str], stats: dict) -> str:
    sc = load_scenario(scenario_path)
    reg = default_registry()
    lines = [f"# {sc.title}", "", f"*Seminar brief. Scenario `{scenario_id(scenario_path)}`, "
             f"{month_label(sc.start, 0)} to {month_label(sc.start, sc.steps - 1)} ({sc.steps} months).*", "",
             "## The story", "", sc.description.strip() or "(no description)", ""]
    lines += ["## What happens, month by month", "", "| from | pressure and events |", "|---|---|"]
    rows: list[tuple[int, str]] = []
    for target, segments in sc.pressure.targets.items():
        for seg in segments:
            rows.append((seg.from_step, f"{sc.pressure.by} pressure on {target}: sanctions {seg.sanctions:g}, tariffs "
                         f"{seg.tariffs:g}, technology bans {seg.technology_bans:g}, military posture "
                         f"{seg.military_posture:g} (0 none, 1 maximal)"))
    for seg in sc.pressure.coordination:
        rows.append((seg.from_step, f"{sc.pressure.coordinated_by} coordination with {sc.pressure.by}: {seg.level:g}"))
    for ev in sc.events:
        if isinstance(ev, BorderCrisis):
            text = f"{ev.between[0]}-{ev.between[1]} border crisis for {ev.duration_steps} months (intensity {ev.intensity:g})"
            start = ev.from_step
        elif isinstance(ev, Pandemic):
            text, start = f"pandemic halts summits for {ev.duration_steps} months", ev.from_step
        elif isinstance(ev, LeaderChange):
            text, start = f"new leader in {ev.actor}", ev.at_step
        rows.append((start, f"{text}{(': ' + ev.note) if ev.note else ''}"))
    for step, text in sorted(rows, key=lambda r: r[0]):
        lines.append(f"| {month_label(sc.start, step)} | {text} |")
    lines += ["", "## The players", ""]
    for actor in sc.actors:
        lines += [f"### {actor}", "", "| quantity | value | documented range | source |", "|---|---|---|---|"]
        for fam in CARD_FAMILIES:
            key = f"{fam}.{actor}"
            value = _value(sc, key)
            if value is None:
                continue
            rng = f"{reg[key].low:g} - {reg[key].high:g}" if key in reg else "scenario"
            lines.append(f"| {CARD_FAMILIES[fam]} | {value:g} | {rng} | {_quote(key) or 'scenario file'} |")
        threats = sorted(((other, _value(sc, f"threat.{actor}->{other}")) for other in sc.actors if other != actor),
                         key=lambda x: -(x[1] or 0))[:2]
        for other, value in threats:
            if value is not None:
                key = f"threat.{actor}->{other}"
                lines.append(f"| fears {other} | {value:g} | {reg[key].low:g} - {reg[key].high:g} | {_quote(key)} |"
                             if key in reg else f"| fears {other} | {value:g} | scenario | scenario file |")
        lines.append("")
    lines += ["## What the model says", "",
              f"Over {stats['runs']} runs of this scenario, Russia and China formed a formal alliance in "
              f"**{stats['p']:.0%}** of runs (95% interval {stats['lo']:.0%} to {stats['hi']:.0%}).", ""]
    for caption, name in (("Russia-China alignment across runs", "fan"), ("Final Russia-China alignment", "final")):
        lines += [f"![{caption}]({figures[name]})", "", f"*{caption}.*", ""]
    lines += ["## Discussion questions", ""]
    questions = sc.discussion_questions or ["What pulls Russia and China together here, and what holds them apart?"]
    lines += [f"{k}. {q}" for k, q in enumerate(questions, start=1)]
    lines += ["", "---", "", "Numbers come from the alliance-sim parameter registry (`alliance-sim params`); "
              "quotes are from the five source documents (000-004).", ""]
    return "\n".join(lines)


def write_handout(scenario_path: Path, out: Path | None = None, runs: int = 300) -> list[Path]:
    import markdown
    import numpy as np
    import pandas as pd

    from . import plots
    from .resolve import resolve
    from .runner import replicate_seeds, simulate_trajectories

    sc = load_scenario(scenario_path)
    name = scenario_id(scenario_path)
    out = out if out is not None else Path.cwd() / "handouts" / name
    out.mkdir(parents=True, exist_ok=True)
    resolved = resolve(sc)
    seeds = replicate_seeds(0, runs)
    figures = {}
    stats = {"runs": runs, "p": 0.0, "lo": 0.0, "hi": 1.0}
    # the focal pair's monthly level in every run (the focal pair is the scenario's)
    rc = simulate_trajectories([resolved], np.zeros(runs, dtype=np.int64), seeds)
    df = pd.DataFrame({"trajectory": list(rc), "final_level": rc[:, -1], "scenario": 0.0})
    fig = plots.fan_chart(df)
    plots.save(fig, out / "fan")
    fig2 = plots.final_alignment(df, by="scenario")
    plots.save(fig2, out / "final")
    figures = {"fan": "fan.png", "final": "final.png"}
    share, lo, hi = proportion(int((rc >= MAX_LEVEL).any(axis=1).sum()), runs)
    stats.update({"p": share, "lo": lo, "hi": hi})
    text = handout_markdown(scenario_path, figures, stats)
    md_path = out / "handout.md"
    md_path.write_text(text, "utf-8")
    html_body = markdown.markdown(text, extensions=["tables"])
    for name in figures.values():  # embed figures so the HTML is one printable file
        data = base64.b64encode((out / name).read_bytes()).decode()
        html_body = html_body.replace(f'src="{name}"', f'src="data:image/png;base64,{data}"')
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{sc.title}</title>"
            f"<style>{CSS}</style></head><body>{html_body}</body></html>")
    html_path = out / "handout.html"
    html_path.write_text(html, "utf-8")
    return [md_path, html_path, *(out / n for n in figures.values())]
