"""Calibration diagnostics: posterior vs priors, trade-offs, per-pattern fit, leave-one-out, identifiability.

Everything here reads a posterior (parquet + manifest) and the patterns file; figures go to a
folder, the report is Markdown. ``alliance-sim calibration-report`` writes docs/calibration.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.behaviour import Posterior
from simulation.calibration.abc import PatternSimulator, priors
from simulation.calibration.diagnostics import compatibility_markdown
from simulation.calibration.patterns import PatternsFile, check_posterior_patterns, load_patterns
from simulation.world.registry import default_registry


def draw_sets(post: Posterior, count: int, seed: int) -> np.ndarray:
    """``count`` parameter sets drawn from the weighted posterior (rows of ``post.samples``)."""
    from simulation.runner import replicate_seeds

    return post.samples[post.indices(replicate_seeds(seed, count))]


@dataclass
class PatternFit:
    values: pd.DataFrame  # [draw, pattern] pattern values under each posterior draw
    met: pd.Series  # share of draws meeting each pattern


def predictive_fit(
    post: Posterior, patterns: PatternsFile, draws: int = 100, replicates: int = 48, seed: int = 7
) -> PatternFit:
    """Posterior predictive check: each of ``draws`` parameter sets runs every case ``replicates`` times."""
    sim = PatternSimulator(patterns, replicates=replicates, seed=seed + 1, parallel=True)
    rows = []
    for theta in draw_sets(post, draws, seed):
        rows.append(sim.values(dict(zip(post.keys, theta, strict=True))))
    values = pd.DataFrame(rows)
    met = pd.Series({p.id: float((values[p.id].map(p.miss) == 0).mean()) for p in patterns.patterns})
    return PatternFit(values, met)


#: Where the measured effects of each parameter on the patterns are kept (experiments/identifiability.py).
IDENTIFIABILITY_FILE = Path(__file__).resolve().parents[2] / "docs" / "identifiability.json"
#: The patterns re-read for this model version (experiments/pattern_changes.py).
PATTERN_CHANGES_FILE = Path(__file__).resolve().parents[2] / "docs" / "pattern_changes.json"


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def identifiability(post: Posterior) -> pd.DataFrame:
    """Per parameter: prior range, posterior median and 90% interval, sd(posterior) / sd(prior), and the patterns
    that inform it (those it moves by a quarter of their tolerance or more, measured one parameter at a time by
    experiments/identifiability.py)."""
    informs = {k: v.get("informs", []) for k, v in _read_json(IDENTIFIABILITY_FILE).get("parameters", {}).items()}
    bounds = priors()
    rows = []
    w = post.weights
    for p, key in enumerate(post.keys):
        x = post.samples[:, p]
        order = np.argsort(x)
        cum = np.cumsum(w[order])
        q = [float(x[order[min(np.searchsorted(cum, a), len(x) - 1)]]) for a in (0.05, 0.5, 0.95)]
        mean = float(np.sum(w * x))
        sd = float(np.sqrt(np.sum(w * (x - mean) ** 2)))
        lo, hi = bounds.get(key, (float(x.min()), float(x.max())))
        prior_sd = (hi - lo) / np.sqrt(12) if hi > lo else float("nan")
        ratio = sd / prior_sd if prior_sd else float("nan")
        verdict = "pinned" if ratio < 0.5 else ("narrowed" if ratio < 0.7 else "free")
        rows.append({"parameter": key, "prior": f"[{lo:g}, {hi:g}]", "registry": default_registry().value(key),
                     "median": q[1], "q05": q[0], "q95": q[2], "sd_ratio": ratio, "verdict": verdict,
                     "informs": informs.get(key)})  # fmt: skip
    return pd.DataFrame(rows)


def trade_offs(post: Posterior, top: int = 8) -> pd.DataFrame:
    """The most correlated parameter pairs in the weighted posterior (the pairs the patterns trade off)."""
    w = post.weights
    x = post.samples
    mean = w @ x
    cov = ((x - mean) * w[:, None]).T @ (x - mean)
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    rows = []
    for i in range(len(post.keys)):
        for j in range(i + 1, len(post.keys)):
            if np.isfinite(corr[i, j]):
                rows.append((post.keys[i], post.keys[j], float(corr[i, j])))
    rows.sort(key=lambda r: -abs(r[2]))
    return pd.DataFrame(rows[:top], columns=["parameter a", "parameter b", "correlation"])


def _parameter_words(key: str) -> str:
    """A registry parameter in words (its family and whom it concerns), for figure titles."""
    from simulation.reporting.plots import human_label

    return human_label(f"parameters.{key}")


def marginals_figure(post: Posterior, path_stem: Path) -> list[Path]:
    """Posterior marginals (weighted histograms) against the uniform priors, one panel per parameter."""
    import matplotlib.pyplot as plt

    from simulation.reporting.plots import save

    bounds = priors()
    k = len(post.keys)
    cols = 6
    rows = int(np.ceil(k / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.6, rows * 2.0), constrained_layout=True)
    for p, ax in enumerate(np.ravel(axes)):
        if p >= k:
            ax.axis("off")
            continue
        key = post.keys[p]
        lo, hi = bounds.get(key, (post.samples[:, p].min(), post.samples[:, p].max()))
        ax.hist(post.samples[:, p], bins=20, range=(lo, hi), weights=post.weights, density=True, color="#0072B2",
                alpha=0.8, label="posterior")  # fmt: skip
        if hi > lo:
            ax.axhline(1 / (hi - lo), color="#D55E00", lw=1.5, label="prior")
        ax.set_title(_parameter_words(key), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    np.ravel(axes)[0].legend(fontsize=7)
    fig.suptitle("Calibrated posterior (blue) against the uniform priors on the registry ranges (orange)")
    paths = save(fig, path_stem)
    plt.close(fig)
    return paths


def _short_claim(claim: str, width: int = 62) -> str:
    """The lead of a pattern's claim (up to its first colon), on at most two lines of ``width``."""
    import textwrap

    lead = claim.split(":")[0].strip().rstrip(".")
    return "\n".join(textwrap.wrap(textwrap.shorten(lead, width * 2, placeholder=" ..."), width)[:2])


def fit_figure(
    fit: PatternFit, loo: pd.Series | None, path_stem: Path, claims: dict[str, str] | None = None
) -> list[Path]:
    """Share of posterior predictive draws meeting each pattern (and, if given, held out), each pattern
    named by its claim, each share with its 95% Wilson interval over the draws."""
    import matplotlib.pyplot as plt

    from simulation.core.stats import wilson_interval
    from simulation.reporting.plots import save

    ids = list(fit.met.index)
    claims = claims or {}
    labels = [_short_claim(claims[i]) if i in claims else i.replace("_", " ") for i in ids]
    n_draws = len(fit.values)
    y = np.arange(len(ids))
    fig, ax = plt.subplots(figsize=(12, 0.62 * len(ids) + 1.8), constrained_layout=True)
    met = fit.met.to_numpy(dtype=float)
    lo, hi = wilson_interval(np.round(met * n_draws), np.full(len(met), n_draws))
    ax.barh(y + (0.2 if loo is not None else 0), met, height=0.4 if loo is not None else 0.7,
            color="#0072B2", label="calibrated on all patterns", xerr=np.vstack([met - lo, hi - met]),
            capsize=2, error_kw={"lw": 0.8})  # fmt: skip
    if loo is not None:
        ax.barh(y - 0.2, [loo.get(i, np.nan) for i in ids], height=0.4, color="#E69F00",
                label="pattern left out of the calibration")  # fmt: skip
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.axvline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(f"share of {n_draws} posterior predictive draws meeting the pattern (bars: 95% intervals)")
    ax.set_title("Does the calibrated model meet what the documents say?")
    ax.legend(loc="lower right", fontsize=8)
    paths = save(fig, path_stem)
    plt.close(fig)
    return paths


def load_posterior_dir(folder: Path) -> Posterior:
    """A posterior folder (posterior.parquet and its manifest posterior.json), validated."""
    from simulation.core.errors import InputError
    from simulation.core.io import check_input_file

    folder = Path(folder)
    if not folder.is_dir():
        what = "not found" if not folder.exists() else "not a folder"
        raise InputError(folder, "--posterior", f"{what}; give the folder holding posterior.parquet and posterior.json")
    check_input_file(folder / "posterior.parquet", "posterior")
    post = Posterior.from_files(folder / "posterior.parquet", folder / "posterior.json")
    check_input_file(folder / "posterior.json", "posterior manifest")
    return post


def load_leave_one_out(
    folder: Path, patterns: PatternsFile, patterns_path: Path | None, explicit: bool
) -> list[tuple[Posterior, str]]:
    """The leave-one-out posteriors in ``folder`` (one subfolder each), validated: each names a pattern of
    ``patterns`` it left out and was calibrated on the same patterns file."""
    from simulation.core.errors import InputError

    if not folder.is_dir():
        what = "not found" if not folder.exists() else "not a folder"
        raise InputError(folder, "--loo", f"{what}; give the folder of leave-one-out posteriors (one subfolder each)")
    ids = [p.id for p in patterns.patterns]
    out = []
    for sub in sorted(folder.iterdir()):
        if not (sub / "posterior.parquet").exists():
            continue
        held = load_posterior_dir(sub)
        pid = held.manifest.get("excluded_pattern")
        if pid not in ids:
            raise InputError(
                sub / "posterior.json", "excluded_pattern", f"{pid!r} is not a pattern id (allowed: {', '.join(ids)})"
            )
        check_posterior_patterns(held, patterns_path, sub / "posterior.json")
        out.append((held, pid))
    if explicit and not out:
        raise InputError(folder, "--loo", "holds no leave-one-out posterior (subfolders with posterior.parquet)")
    return out


def _minutes_words(m: dict) -> str:
    """The calibration's time as measured: the process that wrote the posterior times only its own work, so a
    calibration resumed over reference tables already on disk reports the last part, and says so."""
    own, checks = m.get("minutes"), m.get("minutes_with_checks")
    words = f"the process that wrote it took {own} minutes"
    if checks is not None and checks != own:
        words += f", {checks} with the checks (SBC, leave-one-out)"
    return words + "; a resumed calibration times only its last part, not the tables it reused"


def _summary_lines(post: Posterior, patterns: PatternsFile, met_all: pd.Series) -> list[str]:
    """The report's title, the calibration's method and size, how to reproduce it, and the verdict."""
    m = post.manifest
    return [
        "# Calibration report",
        "",
        f"Method: {m.get('method', 'ABC-SMC')}. {len(post.keys)} behavioural parameters, "
        f"{len(patterns.patterns)} patterns (`simulation/data/patterns.yaml`, sha256 `{m.get('patterns_sha256', '')[:12]}`). "
        f"{m.get('particle_evaluations', 0):,} parameter draws, {m.get('population_size')} kept "
        f"({m.get('replicates_per_case')} runs of each of {len(m.get('cases', []))} cases per draw: "
        f"{m.get('runs', 0):,} runs; {_minutes_words(m)}). Distance of the last draw kept (sum of squared "
        f"implausibilities; earlier calibrations: sum of misses): {m.get('epsilons', [float('nan')])[-1]:.3g}; draws meeting every pattern: "
        f"{m.get('draws_meeting_every_pattern', 'n/a')}; effective sample size {post.effective_sample_size:.0f}.",
        "",
        "Reproduce: `alliance-sim calibrate` (the shipped settings; see the README's *Calibration* section), then "
        "`alliance-sim calibration-report`.",
        "",
        f"**{int((met_all >= 0.5).sum())} of {len(met_all)} patterns are met by most posterior predictive draws; "
        f"{int((met_all < 0.5).sum())} are not (listed as failing below).**",
        "",
        *pattern_changes_markdown(met_all),
        *(compatibility_markdown(m["compatibility"]) if "compatibility" in m else []),
    ]


def _fit_lines(patterns: PatternsFile, fit: PatternFit, loo: pd.DataFrame | None, figures: dict[str, str]) -> list[str]:
    """The per-pattern fit: each pattern's posterior predictive value, its share met, calibrated and held out."""
    met_all = fit.met
    lines = [
        "## Per-pattern fit",
        "",
        "Each of "
        f"{len(fit.values)} parameter sets drawn from the posterior runs every case; a pattern is met by a draw when "
        "its value lies in the target interval. *held out*: the share when the calibration did not see the "
        "pattern (leave-one-pattern-out); the hindcasts are periods the model was not built on.",
        "",
        f"![per-pattern fit]({figures.get('fit', '')})",
        "",
        "| pattern | group | claim | source | target | posterior median value [5%, 95%] | met (calibrated) | met (held out) | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in patterns.patterns:
        v = fit.values[p.id].astype(float)
        q = np.nanquantile(v, [0.05, 0.5, 0.95]) if v.notna().any() else [np.nan] * 3
        held = "" if loo is None or p.id not in loo.index else f"{loo.loc[p.id, 'met']:.2f}"
        verdict_basis = loo.loc[p.id, "met"] if loo is not None and p.id in loo.index else met_all[p.id]
        verdict = "pass" if met_all[p.id] >= 0.5 else "**fail**"
        if loo is not None and p.id in loo.index:
            verdict += " / held out: " + ("predicted" if verdict_basis >= 0.5 else "**not predicted**")
        cite = "; ".join(s.cite() for s in p.sources())
        cells = [p.id, p.group, p.claim, cite, p.target_text(), f"{q[1]:.3g} [{q[0]:.3g}, {q[2]:.3g}]",
                 f"{met_all[p.id]:.2f}", held, verdict]  # fmt: skip
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return lines


def _identifiability_lines(ident: pd.DataFrame, m: dict, figures: dict[str, str]) -> list[str]:
    """What the patterns pin down and leave free: each parameter's sd ratio and the patterns it moves; the
    parameters not calibrated."""
    lines = ["", "## What the patterns pin down and what they leave free", "",
             "sd ratio = posterior sd / prior sd (uniform prior on the registry range): below 0.5 pinned, "
             "0.5-0.7 narrowed, above 0.7 left free by the patterns. *Informed by*: the patterns the parameter "
             "moves by a quarter of their tolerance or more when it goes from the low to the high end of its "
             "range, the others held (at the registry values and at 15 prior draws; `python "
             "experiments/identifiability.py`, docs/identifiability.json).", "",
             f"![posterior marginals]({figures.get('marginals', '')})", "",
             "| parameter | prior range | registry value | posterior median [5%, 95%] | sd ratio | verdict | "
             "informed by |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for _, r in ident.iterrows():
        inf = r.get("informs")
        inf_text = "not measured" if inf is None else (", ".join(inf) if inf else "no pattern")
        lines.append(f"| {r['parameter']} | {r['prior']} | {r['registry']:g} | {r['median']:.3g} [{r['q05']:.3g}, "
                     f"{r['q95']:.3g}] | {r['sd_ratio']:.2f} | {r['verdict']} | {inf_text} |")  # fmt: skip
    narrowed = ident[ident["sd_ratio"] < 0.7]["parameter"].tolist()
    lines += ["", f"**{len(narrowed)} of {len(ident)} calibrated parameters are narrowed below 0.7 of their prior "
              f"sd**: {', '.join(narrowed) if narrowed else 'none'}."]  # fmt: skip
    fixed = m.get("not_calibrated") or {}
    if fixed:
        lines += ["", "### Not calibrated: not identifiable from these patterns", "",
                  "Fixed at their documented registry value (the registry's `not_calibrated` entries); a posterior "
                  "does not hold them, and every run uses the registry value.", "",
                  "| parameter | registry value | prior range | why |", "|---|---|---|---|"]  # fmt: skip
        reg = default_registry()
        for key, why in fixed.items():
            lines.append(f"| {key} | {reg.value(key):g} | [{reg[key].low:g}, {reg[key].high:g}] | {why} |")
    return lines


def _pairs_lines(pairs: pd.DataFrame) -> list[str]:
    """The most correlated parameter pairs of the posterior."""
    lines = [
        "",
        "## Pairs that trade off",
        "",
        "The most correlated parameter pairs in the posterior: the "
        "patterns constrain their combination, not each alone.",
        "",
        "| a | b | correlation |",
        "|---|---|---|",
    ]
    for _, r in pairs.iterrows():
        lines.append(f"| {r['parameter a']} | {r['parameter b']} | {r['correlation']:+.2f} |")
    return lines


def _loo_lines(loo: pd.DataFrame, met_all: pd.Series) -> list[str]:
    """Leave-one-pattern-out validation: each pattern met when held out and when calibrated on all."""
    lines = ["", "## Leave-one-pattern-out validation", "",
             "For each pattern k the posterior was drawn again from the same reference table with the "
             "distance computed without k, and that posterior predicted k. A pattern the others do not predict is information only "
             "that pattern carries; a hindcast the others predict is an out-of-sample success.", "",
             "| pattern left out | group | met when held out | met when calibrated on all | budget |",
             "|---|---|---|---|---|"]  # fmt: skip
    for pid, r in loo.iterrows():
        lines.append(f"| {pid} | {r['group']} | {r['met']:.2f} | {met_all.get(pid, float('nan')):.2f} | "
                     f"{r['budget']} |")  # fmt: skip
    return lines


def _predictive_lines(predictive: pd.DataFrame) -> list[str]:
    """The posterior predictive probabilities of every shipped scenario."""
    lines = ["", "## Posterior predictive probabilities of every shipped scenario", "",
             "P(formal alliance of the focal pair) over all runs (a parameter draw per run), its 95% interval "
             "over posterior draws, and the share of the outcome's variance that comes from parameter "
             "uncertainty (the rest is run-to-run noise).", "",
             "| scenario | P(alliance) | P over posterior draws: median [2.5%, 97.5%] | P(entente or closer) | "
             "parameter share of variance |", "|---|---|---|---|---|"]  # fmt: skip
    for _, r in predictive.iterrows():
        lines.append(f"| {r['scenario']} | {r['p']:.3f} | {r['p_median']:.3f} [{r['p_lo']:.3f}, {r['p_hi']:.3f}] | "
                     f"{r['p_entente']:.3f} | {r['parameter_share']:.2f} |")  # fmt: skip
    return lines


def report_markdown(post: Posterior, patterns: PatternsFile, fit: PatternFit, ident: pd.DataFrame,
                    pairs: pd.DataFrame, loo: pd.DataFrame | None, figures: dict[str, str],
                    predictive: pd.DataFrame | None = None) -> str:  # fmt: skip
    """The calibration report in Markdown, one function per section."""
    lines = _summary_lines(post, patterns, fit.met)
    lines += _fit_lines(patterns, fit, loo, figures)
    lines += _identifiability_lines(ident, post.manifest, figures)
    lines += _learning_section(post.manifest, figures)
    lines += _pairs_lines(pairs)
    if loo is not None:
        lines += _loo_lines(loo, fit.met)
    if predictive is not None:
        lines += _predictive_lines(predictive)
    lines.append("")
    return "\n".join(lines)


def pattern_changes_markdown(met_now: pd.Series) -> list[str]:
    """The patterns re-read for this version (docs/pattern_changes.json): every pattern added, changed or
    dropped, its quotes, and the share of posterior predictive draws meeting it before and after."""
    data = _read_json(PATTERN_CHANGES_FILE)
    if not data:
        return []
    fmt = lambda v: "" if v is None else f"{v:.2f}"  # noqa: E731
    lines = ["## What the patterns say, re-read", "",
             f"Every pattern added, changed or dropped since `{data['before']}`, with its quotes. Share of posterior "
             "predictive draws meeting the pattern: model v3's posterior on its own pattern (v3's report); model "
             f"v3's posterior on the re-read pattern ({data['draws']} draws, {data['runs_per_case']} runs per case: "
             "what the re-reading alone changes); this posterior on the re-read pattern. No pattern was weakened "
             "without a quote that says why; none was tuned to a number.", "",
             "| pattern | change | target before | target after | quotes (after) | met: v3 / v3 on re-read / now |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for r in data["patterns"]:
        before, after = r.get("before"), r.get("after")
        quotes = "; ".join((after or before)["quotes"]).replace("|", "\\|")
        tb = "-" if before is None else f"{before['target']} ({before['measure']})"
        ta = "-" if after is None else f"{after['target']} ({after['measure']})"
        now = met_now.get(r["id"]) if after is not None else None
        lines.append(f"| {r['id']} | {r['status']} | {tb} | {ta} | {quotes} | "
                     f"{fmt(r.get('met_v3_posterior_v3_pattern'))} / {fmt(r.get('met_v3_posterior_reread_pattern'))}"
                     f" / {fmt(None if now is None else float(now))} |")  # fmt: skip
    return [*lines, ""]


def _learning_section(m: dict, figures: dict[str, str] | None = None) -> list[str]:
    """How the calibration searched (the history-matching waves), what it learnt per parameter (contraction)
    and how well the method recovers known truths (the simulation-based calibration check)."""
    lines: list[str] = []
    if m.get("waves"):
        share = m.get("convergence_share")
        rule = (
            ""
            if share is None
            else (
                f" Waves continue until the not-ruled-out volume (the box's volume times the share of its draws not "
                f"ruled out, as a share of the prior volume) changes by less than {share:.0%} from one wave to the "
                f"next: {'reached' if m.get('converged') else '**not reached** within the waves allowed'}."
            )
        )
        lines += ["", "## History-matching waves", "",
                  "Each wave is a scrambled-Sobol table uniform over a box; a draw is ruled out when any pattern "
                  "lies more than 3 sd from its target (sd = sqrt(tolerance^2 + Monte Carlo variance)); the next "
                  "wave's box holds every draw not ruled out (their range, widened by a tenth on each side)." + rule,
                  "", "| wave | draws | box, share of the prior volume | draws kept (not ruled out) | "
                  "not-ruled-out volume | change | draws meeting every pattern |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for w in m["waves"]:
            vol = w.get("not_ruled_out_volume")
            change = w.get("volume_change")
            lines.append(f"| {w['wave']} | {w['draws']:,} | {w['box_share_of_prior_volume']:.3g} | "
                         f"{w['not_implausible']:,} | {'' if vol is None else f'{vol:.3g}'} | "
                         f"{'' if change is None else f'{change:.0%}'} | {w['meeting_every_pattern']:,} |")  # fmt: skip
        lines += ["", "No emulator: the batch engine simulates a draw (every case, all its runs) in tens of milliseconds "
                  "of one core (`python experiments/calibration_cost.py`), so further waves cost less than fitting "
                  "and validating an emulator per pattern would; the waves stop by the volume rule, not the budget."]  # fmt: skip
    sbc = m.get("sbc")
    if sbc and "null" in sbc:
        null = sbc["null"]
        lines += ["", "## Simulation-based calibration of the whole pipeline", "",
                  f"{sbc['truths']} truths drawn from the prior; each truth's pattern values were simulated on "
                  "replicate seeds the calibration never uses, and the whole pipeline ran against them: the first "
                  "wave's table (the calibration's own, uniform over the prior), then history-matching waves of "
                  f"{sbc['draws_per_later_wave']:,} draws each (scaled down from the calibration's waves; at most "
                  f"{sbc['max_waves']} waves, the same convergence rule; waves used: "
                  f"{', '.join(f'{k}: {v} truths' for k, v in sbc['waves_used'].items())}), the same implausibility "
                  f"cut-off, tolerances and Monte Carlo variance, then rejection keeping the {sbc['accept']} closest "
                  "draws. The one change: each pattern's target is the truth's observed value (a point) instead of "
                  "the documents' interval (Talts et al. 2018, arXiv:1804.06788). Beside it, the **null**: a "
                  f"'posterior' of {sbc['accept']} random prior draws that ignores the observation.", "",
                  f"**Calibration: 90% intervals hold the truth in {sbc['cover90']:.0%}, 50% intervals in "
                  f"{sbc['cover50']:.0%}, mean contraction {sbc['contraction']:.3f}; the null: {null['cover90']:.0%} / "
                  f"{null['cover50']:.0%}, contraction {null['contraction']:.3f}.** Rank histograms "
                  f"({sbc['bins']} bins): {sbc['parameters_with_chi2_p_below_0.01']} parameters with chi-square "
                  f"p < 0.01 (smallest p {sbc['chi2_p_min']:.3g}).", "",
                  "Contraction = 1 - var(posterior) / var(prior), averaged over the truths (the null's is not "
                  f"exactly 0: the variance of {sbc['accept']} draws).", ""]  # fmt: skip
        lines += ["How to read the rank histograms: where the posterior barely contracts, a truth's rank among its "
                  "posterior draws is mostly its place in the prior, so the calibration's histogram and the null's "
                  "share the shape of the truths' own scatter (with few truths, not flat); a parameter the patterns "
                  "inform departs from the null, and a biased one piles up at one end (ranks near 0: the posterior "
                  "lies above the truth; near the top: below it). With this many truths the chi-square test detects "
                  "only gross departures.", ""]  # fmt: skip
        if figures and figures.get("ranks"):
            lines += [f"![rank histograms]({figures['ranks']})", ""]
        lines += ["| parameter | 50% coverage | 90% coverage | contraction | rank chi-square p | null: 90% coverage | "
                  "null: contraction | null: chi-square p | contraction of the shipped posterior |",
                  "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        shipped = m.get("contraction", {})
        for r in sbc["per_parameter"]:
            c = shipped.get(r["parameter"])
            lines.append(f"| {r['parameter']} | {r['cover50']:.2f} | {r['cover90']:.2f} | {r['contraction']:.3f} | "
                         f"{r['chi2_p']:.3g} | {r['null_cover90']:.2f} | {r['null_contraction']:.3f} | "
                         f"{r['null_chi2_p']:.3g} | {'' if c is None else f'{c:.2f}'} |")  # fmt: skip
        free = [k for k, v in shipped.items() if v < 0.2]
        lines += ["", f"**Still free** (contraction below 0.2 in the shipped posterior): {len(free)} of "
                  f"{len(shipped)} parameters: {', '.join(free) if free else 'none'}."]  # fmt: skip
    return lines


def scenario_uncertainty(scenario, draws: int = 200, runs_per_draw: int = 50, seed: int = 11) -> dict[str, float]:
    """P(alliance) posterior predictive, its spread over posterior draws, and the parameter share of variance.

    Law of total variance for the binary outcome Y: Var(Y) = E[p(1 - p)] + Var(p) over draws of p.
    """
    from simulation.runner import replicate_seeds, run_batch

    seeds = replicate_seeds(seed, draws * runs_per_draw)
    df = run_batch(scenario, seeds, parameters="posterior")
    from simulation.behaviour import shipped_posterior

    post = shipped_posterior()
    draw = post.indices(seeds)
    per = df.groupby(draw)["alliance_reached"].agg(["mean", "size"])
    p_all = float(df["alliance_reached"].mean())
    entente = float((df["max_level"] >= 4).mean())
    p_by = per["mean"].to_numpy()
    n_by = per["size"].to_numpy()
    between = float(np.average((p_by - p_all) ** 2, weights=n_by))
    total = p_all * (1 - p_all)
    share = between / total if total > 0 else 0.0
    return {"p": p_all, "p_entente": entente, "p_median": float(np.median(p_by)),
            "p_lo": float(np.quantile(p_by, 0.025)), "p_hi": float(np.quantile(p_by, 0.975)),
            "parameter_share": share, "draws_seen": int(len(per))}  # fmt: skip


def write_report(posterior_dir: Path | None, out: Path, figures_dir: Path, loo_dir: Path | None = None,
                 draws: int = 100, patterns_path: Path | None = None) -> Path:  # fmt: skip
    """Write the calibration report (Markdown) and its figures."""
    from simulation.behaviour import posterior_files
    from simulation.core.paths import shipped_dir
    from simulation.world.scenario import load_scenario

    if posterior_dir is None:
        table, manifest = posterior_files()
        post = Posterior.from_files(table, manifest)
    else:
        post = load_posterior_dir(posterior_dir)
        manifest = Path(posterior_dir) / "posterior.json"
    patterns = load_patterns(patterns_path)
    check_posterior_patterns(post, patterns_path, manifest)
    explicit_loo = loo_dir is not None
    if loo_dir is None and posterior_dir is not None and (Path(posterior_dir) / "leave_one_out").is_dir():
        loo_dir = Path(posterior_dir) / "leave_one_out"
    held_out = load_leave_one_out(Path(loo_dir), patterns, patterns_path, explicit_loo) if loo_dir is not None else []
    fit = predictive_fit(post, patterns, draws=draws)
    loo = None
    if held_out:
        rows = {}
        for held, pid in held_out:
            single = PatternsFile(title="", patterns=[p for p in patterns.patterns if p.id == pid])
            f = predictive_fit(held, single, draws=max(20, draws // 2))
            rows[pid] = {"group": single.patterns[0].group, "met": float(f.met[pid]),
                         "budget": f"{held.manifest.get('population_size')} of {held.manifest.get('draws', '?')} draws, "
                                   f"{held.manifest.get('replicates_per_case')} runs per case"}  # fmt: skip
        loo = pd.DataFrame.from_dict(rows, orient="index") if rows else None
    figures_dir.mkdir(parents=True, exist_ok=True)
    rel = lambda p: Path(p).resolve().relative_to(out.parent.resolve()).as_posix()  # noqa: E731
    figs = {
        "marginals": rel(marginals_figure(post, figures_dir / "calibration_marginals")[0]),
        "fit": rel(
            fit_figure(
                fit,
                None if loo is None else loo["met"],
                figures_dir / "calibration_fit",
                {p.id: p.claim for p in patterns.patterns},
            )[0]
        ),  # fmt: skip
    }
    sbc = post.manifest.get("sbc") or {}
    if sbc.get("ranks"):
        from simulation.calibration.sbc import rank_histograms_figure

        figs["ranks"] = rel(rank_histograms_figure(sbc, list(post.keys), figures_dir / "calibration_sbc_ranks")[0])
    predictive = []
    for path in sorted(shipped_dir("scenarios").glob("*.yaml")):
        stats = scenario_uncertainty(load_scenario(path))
        predictive.append({"scenario": path.stem, **stats})
    text = report_markdown(post, patterns, fit, identifiability(post), trade_offs(post), loo, figs,
                           pd.DataFrame(predictive))  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, "utf-8")
    (figures_dir / "calibration_fit.json").write_text(json.dumps(fit.met.to_dict(), indent=2), "utf-8")
    return out
