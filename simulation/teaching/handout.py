"""Printable seminar handouts: the scenario's story, parameter cards, figures, questions.

Markdown and HTML (the HTML embeds its figures and prints cleanly from any browser; a PDF
would need a browser or system libraries, so none is made).
"""

from __future__ import annotations

import base64
from pathlib import Path

from simulation.core.calendar import month_label
from simulation.core.ladder import MAX_LEVEL, AlignmentLevel
from simulation.core.references import cited_in, reference_list_markdown, short_citation
from simulation.core.stats import proportion
from simulation.world.registry import DocumentSource, default_registry
from simulation.world.scenario import load_scenario, scenario_defaults, scenario_id

CARD_FAMILIES = {
    "status_concern": "status concern (0-1)",
    "trade_vulnerability": "trade vulnerability (0-1)",
    "gdp_usd_bn": "GDP (USD bn, 2018)",
    "military_spending_usd_bn": "military spending (USD bn, 2018)",
}

BASELINE = scenario_defaults()["scenario"]
#: Questions every handout can ask; a scenario's own questions come first.
GENERIC_QUESTIONS = (
    "What pulls Russia and China together here, and what holds them apart? Which term of the model is largest?",
    "Compared with the baseline, which change in this scenario moves the outcome most, and why?",
    "Which of the five documents would disagree most with the model's answer here, and on what?",
    "What would the US (or the EU) have to do differently to change the result, and at what cost?",
)

CSS = """
body { font-family: Georgia, serif; max-width: 52em; margin: 2em auto; line-height: 1.45; color: #111; }
h1 { font-size: 1.7em; } h2 { border-bottom: 1px solid #999; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.92em; margin: 0.6em 0; }
td, th { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; }
td:first-child { white-space: nowrap; }
img { max-width: 100%; } blockquote { color: #333; border-left: 3px solid #aaa; margin-left: 0; padding-left: 1em; }
@media print { body { margin: 0.5cm; } h2, h3 { page-break-after: avoid; break-after: avoid; }
  img, table, tr, blockquote { page-break-inside: avoid; break-inside: avoid; } }
"""


def _quote(key: str) -> str:
    reg = default_registry()
    if key not in reg:
        return ""
    for s in reg[key].sources:
        if isinstance(s, DocumentSource):
            return f'{short_citation(s.document)}: "{s.quote}"'
    return reg[key].sources[0].cite()


def _value(scenario, key: str) -> float | None:
    if key in scenario.parameters:
        return scenario.parameters[key]
    reg = default_registry()
    return reg.value(key) if key in reg else None


def _timeline_lines(sc) -> list[str]:
    """What happens, month by month: each pressure segment, coordination, event and policy, in order."""
    lines = ["## What happens, month by month", "", "| from | pressure and events |", "|---|---|"]
    rows: list[tuple[int, str]] = []
    for target, segments in sc.pressure.targets.items():
        for seg in segments:
            rows.append(
                (
                    seg.from_step,
                    f"{sc.pressure.by} pressure on {target}: sanctions {seg.sanctions:g}, tariffs "
                    f"{seg.tariffs:g}, technology bans {seg.technology_bans:g}, military posture "
                    f"{seg.military_posture:g} (0 none, 1 maximal)",
                )
            )
    for _, coordinator in sc.pressure.all_coordinators():
        coordination = coordinator.coordination
        per_target = coordination.items() if isinstance(coordination, dict) else [(None, coordination)]
        for target, segments in per_target:
            on = "" if target is None else f" on {target}"
            for seg in segments:
                rows.append((seg.from_step, f"{coordinator.by} coordination with {sc.pressure.by}{on}: {seg.level:g}"))
    for ev in sc.events:
        rows.append((ev.start_step, ev.in_words()))
    if sc.pressure.policy.reacts:
        rows.append((0, f"{sc.pressure.by}'s policy, {sc.pressure.policy.describe()}"))
    for step, text in sorted(rows, key=lambda r: r[0]):
        lines.append(f"| {month_label(sc.start, step)} | {text} |")
    return lines


def _players_lines(sc) -> list[str]:
    """A parameter card per actor: its values, documented ranges and quotes, and the two it fears most."""
    reg = default_registry()
    lines = ["", "## The players", ""]
    for actor in sc.actors:
        lines += [f"### {actor}", "", "| quantity | value | documented range | source |", "|---|---|---|---|"]
        for fam in CARD_FAMILIES:
            key = f"{fam}.{actor}"
            value = _value(sc, key)
            if value is None:
                continue
            rng = f"{reg[key].low:g} - {reg[key].high:g}" if key in reg else "scenario"
            lines.append(f"| {CARD_FAMILIES[fam]} | {value:g} | {rng} | {_quote(key) or 'scenario file'} |")
        threats = sorted(
            ((other, _value(sc, f"threat.{actor}->{other}")) for other in sc.actors if other != actor),
            key=lambda x: -(x[1] or 0),
        )[:2]
        for other, value in threats:
            if value is not None:
                key = f"threat.{actor}->{other}"
                lines.append(
                    f"| fears {other} | {value:g} | {reg[key].low:g} - {reg[key].high:g} | {_quote(key)} |"
                    if key in reg
                    else f"| fears {other} | {value:g} | scenario | scenario file |"
                )
        lines.append("")
    return lines


def _model_lines(stats: dict, figures: dict[str, str]) -> list[str]:
    """What the model says: each outcome's share of runs, its spread across parameter sets, the figures."""
    lines = [
        "## What the model says",
        "",
        f"Over {stats['runs']:,} runs of this scenario ({stats['design']}), Russia and China were:",
        "",
        *(f"- {words}: **{_pct(s['pooled'])}** of runs (95% interval {_pct(s['lo'])} to {_pct(s['hi'])})"
          for words, s in stats["outcomes"]),
        "",
        "**How sure is the model?** It does not know its own parameters exactly. Each run uses one of the "
        "parameter sets the calibration evidence leaves plausible (a posterior draw); per set, the chance "
        "differs:",
        "",
        "| | in the middle set | 5-95% of sets | sets below 5% | sets above 50% | share of the spread due to not knowing the parameters |",
        "|---|---|---|---|---|---|",
        *(f"| {words} | {s['median']:.0%} | {s['q05']:.0%} to {s['q95']:.0%} | {s['share_below_0_05']:.0%} | "
          f"{s['share_above_0_5']:.0%} | {_share(s['share_between'])} |" for words, s in stats["outcomes"]),
        "",
    ]  # fmt: skip
    for caption, name in (("Russia-China alignment across runs", "fan"), ("Final Russia-China alignment", "final")):
        lines += [f"![{caption}]({figures[name]})", "", f"*{caption}.*", ""]
    return lines


def _baseline_lines(stats: dict) -> list[str]:
    """The scenario compared with the baseline over the same seeds and parameter sets."""
    base = stats["baseline"]
    lines = [
        "## Compared with the baseline",
        "",
        f"The same {stats['runs']:,} runs of the baseline (`{BASELINE}`: the same seeds and parameter sets) "
        f"give {_compare_words(base, stats)}. What the scenario changes:",
        "",
    ]
    lines += [f"- {change}" for change in stats.get("changes", [])] or ["- (nothing but its title)"]
    lines.append("")
    return lines


def _questions_lines(sc) -> list[str]:
    """The scenario's own discussion questions, then generic ones, three at least."""
    lines = ["## Discussion questions", ""]
    questions = list(sc.discussion_questions or [])
    questions += [q for q in GENERIC_QUESTIONS if q not in questions][: max(0, 3 - len(questions))]
    lines += [f"{k}. {q}" for k, q in enumerate(questions, start=1)]
    return lines


def _sources_lines(text: str) -> list[str]:
    """The sources quoted in ``text``, and where the numbers come from."""
    cited = cited_in(text)
    return [
        "",
        "## Sources",
        "",
        reference_list_markdown(cited) if cited else "(none quoted)",
        "",
        "---",
        "",
        "Numbers come from the alliance-sim parameter registry (`alliance-sim params`); quotes are from the five "
        "source documents listed above.",
        "",
    ]


def handout_markdown(scenario_path: Path, figures: dict[str, str], stats: dict) -> str:
    """The handout in Markdown, one function per section."""
    sc = load_scenario(scenario_path)
    lines = [
        f"# {sc.title}",
        "",
        f"*Seminar brief. Scenario `{scenario_id(scenario_path)}`, "
        f"{month_label(sc.start, 0)} to {month_label(sc.start, sc.steps - 1)} ({sc.steps} months).*",
        "",
        "## The story",
        "",
        sc.description.strip() or "(no description)",
        "",
    ]
    lines += _timeline_lines(sc) + _players_lines(sc) + _model_lines(stats, figures)
    if stats.get("baseline") is not None:
        lines += _baseline_lines(stats)
    lines += _questions_lines(sc)
    lines += _sources_lines("\n".join(lines))
    return "\n".join(lines)


def _pct(value: float) -> str:
    """A share in whole percent, one decimal below 1% so that a rare event never reads as 0% or its interval as 0-0."""
    return f"{value:.1%}" if 0 < value < 0.01 or 0.99 < value < 1 else f"{value:.0%}"


def _share(value: float) -> str:
    return "-" if value != value else f"{value:.0%}"


def _compare_words(base: dict, stats: dict) -> str:
    parts = []
    for (words, b), (_, s) in zip(base["outcomes"], stats["outcomes"], strict=True):
        parts.append(f"{words}: **{_pct(b['pooled'])}** (this scenario {_pct(s['pooled'])})")
    return "; ".join(parts)


#: What a handout reports, in the words it uses (reached at any month, or held at the end).
HANDOUT_OUTCOMES = (
    ("at entente or closer at the end", lambda rc: rc[:, -1] >= int(AlignmentLevel.ENTENTE)),
    ("at entente or closer at some month (reached)", lambda rc: (rc >= int(AlignmentLevel.ENTENTE)).any(axis=1)),
    ("in a formal alliance at some month (reached)", lambda rc: (rc >= MAX_LEVEL).any(axis=1)),
)
#: Runs per posterior draw in a handout (enough for a draw's own chance to mean something).
RUNS_PER_DRAW = 20


def focal_paths(sc, runs: int, draws: bool = False):
    """The focal pair's level in ``runs`` replicates, month by month [runs, months + 1] (batch engine,
    posterior predictive: ``runs // RUNS_PER_DRAW`` posterior draws x ``RUNS_PER_DRAW`` runs, at least one
    draw and at most the posterior's); with ``draws``, also the posterior row of every run."""
    import numpy as np

    from simulation.behaviour import shipped_posterior
    from simulation.runner import replicate_seeds, simulate_trajectories
    from simulation.world.resolve import resolve

    seeds = replicate_seeds(0, runs)
    rows = shipped_posterior().design_draws(runs, 0, max(1, runs // RUNS_PER_DRAW))
    paths = simulate_trajectories([resolve(sc)], np.zeros(runs, dtype=np.int64), seeds, draws=rows)
    return (paths, rows) if draws else paths


def outcome_stats(rc, rows) -> list[tuple[str, dict]]:
    """Each handout outcome: its spread across draws (``Spread.summary``) and its Wilson 95% interval."""
    from simulation.core.spread import spread_of

    out = []
    for words, of in HANDOUT_OUTCOMES:
        y = of(rc).astype(float)
        summary = spread_of(y, rows).summary()
        _, lo, hi = proportion(int(y.sum()), len(y))
        out.append((words, {**summary, "lo": lo, "hi": hi}))
    return out


def changes_from(base, sc) -> list[str]:
    """What a scenario sets differently from the baseline, in words (pressure, coordination, events, parameters)."""
    out = []
    if sc.actors != base.actors:
        out.append(f"actors: {', '.join(sc.actors)} (baseline: {', '.join(base.actors)})")
    if sc.steps != base.steps or sc.start != base.start:
        out.append(f"{sc.steps} months from {sc.start} (baseline: {base.steps} from {base.start})")
    b_targets = base.pressure.model_dump(mode="json").get("targets", {})
    for target, segments in sc.pressure.model_dump(mode="json").get("targets", {}).items():
        if segments != b_targets.get(target):
            first = segments[0] if segments else {}
            levels = ", ".join(
                f"{k.replace('_', ' ')} {v:g}"
                for k, v in first.items()
                if isinstance(v, int | float) and k != "from_step"
            )
            out.append(
                f"{sc.pressure.by} pressure on {target}: {levels or 'changed'}"
                + (f" (and {len(segments) - 1} later change(s))" if len(segments) > 1 else "")
            )
    if sc.pressure.model_dump(mode="json").get("coordination") != base.pressure.model_dump(mode="json").get(
        "coordination"
    ):
        coord = sc.pressure.coordination
        groups = coord.items() if isinstance(coord, dict) else [(None, coord)]
        levels = "; ".join(
            ("" if t is None else f"on {t} ") + ", ".join(f"{seg.level:g}" for seg in segs) for t, segs in groups
        )
        out.append(f"{sc.pressure.coordinated_by} coordination: {levels or 'none'}")
    base_events = [e.model_dump(mode="json") for e in base.events]
    for ev in sc.events:
        if ev.model_dump(mode="json") not in base_events:
            out.append(f"event: {ev.in_words()}")
    for key, value in sorted(sc.parameters.items()):
        if base.parameters.get(key) != value:
            out.append(f"{key} = {value:g} (baseline: {base.parameters.get(key, _value(base, key))})")
    return out


def write_handout(scenario_path: Path, out: Path | None = None, runs: int = 4000) -> list[Path]:
    import markdown
    import matplotlib.pyplot as plt
    import pandas as pd

    from simulation.reporting import plots

    sc = load_scenario(scenario_path)
    name = scenario_id(scenario_path)
    out = out if out is not None else Path.cwd() / "handouts" / name
    out.mkdir(parents=True, exist_ok=True)
    figures = {}
    stats: dict = {"runs": runs, "baseline": None}
    # the focal pair is the scenario's own
    rc, rows = focal_paths(sc, runs, draws=True)
    df = pd.DataFrame({"trajectory": list(rc), "final_level": rc[:, -1], "scenario": name})
    # what the figures' scope lines read: the pair, the months, posterior predictive
    about = {
        "base_scenario": {"focal_pair": list(sc.focal_pair), "start": sc.start, "steps": sc.steps},
        "sweep_spec": {"parameters": "posterior"},
    }
    fig = plots.fan_chart(df, manifest=about)
    plots.save(fig, out / "fan")
    fig2 = plots.final_alignment(df, by="scenario", manifest=about)
    plots.save(fig2, out / "final")
    plt.close("all")
    figures = {"fan": "fan.png", "final": "final.png"}
    stats["outcomes"] = outcome_stats(rc, rows)
    n_draws = len(set(rows.tolist()))
    stats["design"] = f"{n_draws} posterior draws x {runs / n_draws:g} runs each"
    if scenario_id(scenario_path) != BASELINE:
        from simulation.core.paths import shipped_scenario

        base_sc = load_scenario(shipped_scenario(BASELINE))
        base_rc, base_rows = focal_paths(base_sc, runs, draws=True)
        stats["baseline"] = {"outcomes": outcome_stats(base_rc, base_rows)}
        stats["changes"] = changes_from(base_sc, sc)
    text = handout_markdown(scenario_path, figures, stats)
    md_path = out / "handout.md"
    md_path.write_text(text, "utf-8")
    html_body = markdown.markdown(text, extensions=["tables"])
    for name in figures.values():  # embed figures so the HTML is one printable file
        data = base64.b64encode((out / name).read_bytes()).decode()
        html_body = html_body.replace(f'src="{name}"', f'src="data:image/png;base64,{data}"')
    html = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{sc.title}</title>"
        f"<style>{CSS}</style></head><body>{html_body}</body></html>"
    )
    html_path = out / "handout.html"
    html_path.write_text(html, "utf-8")
    return [md_path, html_path, *(out / n for n in figures.values())]
