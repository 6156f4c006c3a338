"""Patterns: what the documents say happened, as data, and how a batch of runs is scored on them.

A patterns file (YAML, validated here; schema ``alliance-sim schema patterns``) lists every
calibration target: the scenario it is measured on (a shipped scenario's name, with optional
dotted-path overrides), the measure (an outcome of the catalogue and a statistic over runs),
an optional contrast (the same measure on another case, subtracted: effect sizes), the target
interval with its tolerance, and the document quote or named public source it rests on.

Scoring: ``miss = max(0, low - value, value - high) / tolerance``: 0 inside the target interval,
1 one tolerance outside it. A run batch meets a pattern when its miss is 0.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulation.core.errors import InputError
from simulation.outcomes import OUTCOME_NAMES, ambiguity
from simulation.outcomes import outcome as catalogue_outcome

#: The miss of a measure that is undefined in a batch (a median month of an event that never came):
#: a modelling choice, larger than any pattern's miss inside its plausible range, so such batches rank last.
UNDEFINED_MISS = 10.0

Statistic = Literal[
    "mean",
    "share_at_least",
    "share_at_most",
    "mean_when_reached",
    "median_when_reached",
    "share_held_when_reached",
    "share_when_reached",
]
#: Statistics conditioned on the focal pair having reached a rung (read from ``max_level``).
CONDITIONAL = ("share_held_when_reached", "share_when_reached")
#: Statistics whose value is a share of runs (their Monte Carlo variance is binomial).
SHARES = ("share_at_least", "share_at_most", *CONDITIONAL)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Case(_Strict):
    """A scenario as a pattern measures it: a shipped scenario and optional dotted-path overrides."""

    scenario: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,80}$")] = Field(
        description="A shipped scenario's name (file stem)."
    )
    overrides: dict[str, float | str | list[Any] | dict[str, Any]] = Field(
        default_factory=dict, description="Dotted-path overrides of the scenario (as in sweep files)."
    )

    def key(self) -> str:
        items = ",".join(f"{k}={v}" for k, v in sorted(self.overrides.items()))
        return f"{self.scenario}[{items}]" if items else self.scenario


class Measure(_Strict):
    """An outcome of the catalogue and a statistic over a batch's runs."""

    outcome: str = Field(
        description="A column of the outcome catalogue, e.g. alliance_reached, entente_at_end, mean_level, final_russia_india."
    )
    statistic: Statistic = Field(
        "mean",
        description="mean; share_at_least / share_at_most (needs threshold); "
        "mean_when_reached / median_when_reached (time outcomes, runs where it happened); "
        "share_held_when_reached (a level outcome, e.g. final_level: among runs whose focal pair reached the "
        "threshold rung at some month, the share still at it or closer, i.e. held at the end); "
        "share_when_reached (a yes/no outcome, e.g. alliance_reached: its share among runs that reached the threshold rung).",
    )
    threshold: float | None = Field(
        None, description="For share_at_least / share_at_most, and the rung of the *_when_reached shares."
    )

    @model_validator(mode="after")
    def _threshold(self) -> Measure:
        needs = self.statistic in SHARES
        if needs and self.threshold is None:
            raise ValueError(f"statistic {self.statistic} needs a threshold")
        if not needs and self.threshold is not None:
            raise ValueError(f"statistic {self.statistic} takes no threshold")
        if (why := ambiguity(self.outcome)) is not None:
            raise ValueError(why)
        known = self.outcome in OUTCOME_NAMES or self.outcome.startswith("final_")
        if not known:
            raise ValueError(f"unknown outcome {self.outcome!r} (allowed: {', '.join(OUTCOME_NAMES)}, final_<a>_<b>)")
        if (
            self.statistic == "share_held_when_reached"
            and self.outcome != "final_level"
            and (not self.outcome.startswith("final_"))
        ):
            raise ValueError("statistic share_held_when_reached needs a final level (final_level or final_<a>_<b>)")
        return self

    def columns(self) -> set[str]:
        """The catalogue columns this measure reads (the conditional shares also read ``max_level``)."""
        return {self.outcome, "max_level"} if self.statistic in CONDITIONAL else {self.outcome}

    def of(self, df: pd.DataFrame) -> float:
        for column in self.columns():
            if column not in df:
                raise KeyError(column)
        x = df[self.outcome]
        if self.statistic in CONDITIONAL:
            reached = df["max_level"].to_numpy(dtype=float) >= self.threshold
            if not reached.any():
                return float("nan")
            y = x.to_numpy(dtype=float)[reached]
            return float((y >= self.threshold).mean() if self.statistic == "share_held_when_reached" else y.mean())
        if self.statistic == "mean":
            return float(x.astype(float).mean())
        if self.statistic == "share_at_least":
            return float((x.astype(float) >= self.threshold).mean())
        if self.statistic == "share_at_most":
            return float((x.astype(float) <= self.threshold).mean())
        reached = x.dropna().astype(float)
        if reached.empty:
            return float("nan")
        return float(reached.mean() if self.statistic == "mean_when_reached" else reached.median())


class Target(_Strict):
    low: float | None = Field(None, description="Lowest value that meets the pattern.")
    high: float | None = Field(None, description="Highest value that meets the pattern.")
    tolerance: Annotated[float, Field(gt=0)] = Field(
        description="How far outside [low, high] counts as one unit of miss (the scale of the distance)."
    )

    @model_validator(mode="after")
    def _bounds(self) -> Target:
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


class Source(_Strict):
    document: Annotated[str, Field(pattern=r"^\d{3}_[0-9a-f]{16}\.txt$")] | None = None
    quote: str | None = None
    public: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Source:
        if (self.document is None) == (self.public is None):
            raise ValueError("give either document (with quote) or public")
        if self.document is not None and not self.quote:
            raise ValueError("a document source needs a quote")
        return self

    def cite(self) -> str:
        return f'{self.document[:3]}: "{self.quote}"' if self.document else f"public: {self.public}"


class Pattern(_Strict):
    """One calibration target."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,60}$")]
    claim: str = Field(description="What the documents say, in words.")
    source: Source
    also: list[Source] = Field(
        default_factory=list,
        description="Further sources: where documents hedge or disagree, the other side (the target spans both).",
    )
    case: Case
    measure: Measure
    contrast: Case | None = Field(None, description="If given, the value is measure(case) - measure(contrast).")
    absolute: bool = Field(
        False, description="Use |measure(case) - measure(contrast)| (a contrast that should be small)."
    )
    target: Target
    group: Literal["documents", "model-v2", "quantitative", "hindcast"] = Field(
        "documents", description="documents: the claims of the five texts; model-v2: resting point and dynamics; "
        "quantitative: numbers from named public series or dates; hindcast: periods the model was not built on."
    )  # fmt: skip

    @model_validator(mode="after")
    def _absolute(self) -> Pattern:
        if self.absolute and self.contrast is None:
            raise ValueError("absolute needs a contrast")
        return self

    def cases(self) -> list[Case]:
        return [self.case] if self.contrast is None else [self.case, self.contrast]

    def sources(self) -> list[Source]:
        """Every source: the main one, then ``also``."""
        return [self.source, *self.also]

    def value(self, outcomes: dict[str, pd.DataFrame]) -> float:
        v = self.measure.of(outcomes[self.case.key()])
        if self.contrast is not None:
            v -= self.measure.of(outcomes[self.contrast.key()])
            if self.absolute:
                v = abs(v)
        return v

    def miss(self, value: float) -> float:
        if not np.isfinite(value):
            return UNDEFINED_MISS
        low = -np.inf if self.target.low is None else self.target.low
        high = np.inf if self.target.high is None else self.target.high
        return float(max(0.0, low - value, value - high) / self.target.tolerance)

    def monte_carlo_variance(self, value: float, replicates: int) -> float:
        """Sampling variance of the pattern's value from ``replicates`` runs per case: p(1 - p) / R for a share
        (a share statistic, or the mean of a binary outcome such as ``alliance_reached``), doubled for a contrast of two cases; 0 for
        other statistics (their tolerance is far wider than their run noise)."""
        binary = self.measure.statistic in SHARES or (
            self.measure.outcome in OUTCOME_NAMES and catalogue_outcome(self.measure.outcome).kind == "binary"
        )
        if not binary or not np.isfinite(value) or replicates < 1:
            return 0.0
        p = min(1.0, max(0.0, abs(value)))
        return (1.0 if self.contrast is None else 2.0) * p * (1.0 - p) / replicates

    def implausibility(self, value: float, replicates: int) -> float:
        """How far outside its target a value lies, in standard deviations of what may separate model and
        evidence: ``max(0, low - v, v - high) / sqrt(tolerance^2 + Monte Carlo variance)``. The tolerance is
        the stated discrepancy between the documents' claim and what a model can be asked to reproduce
        (the model-discrepancy term of history matching: Vernon, Goldstein & Bower 2010, Bayesian Anal.
        5(4); Andrianakis et al. 2015, PLoS Comput Biol 11(1): e1003968)."""
        if not np.isfinite(value):
            return UNDEFINED_MISS
        low = -np.inf if self.target.low is None else self.target.low
        high = np.inf if self.target.high is None else self.target.high
        scale = np.sqrt(self.target.tolerance**2 + self.monte_carlo_variance(value, replicates))
        return float(max(0.0, low - value, value - high) / scale)

    def target_text(self) -> str:
        t = self.target
        if t.low is not None and t.high is not None:
            return f"in [{t.low:g}, {t.high:g}]"
        return f">= {t.low:g}" if t.low is not None else f"<= {t.high:g}"


class PatternsFile(_Strict):
    title: str = ""
    patterns: Annotated[list[Pattern], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> PatternsFile:
        ids = [p.id for p in self.patterns]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate pattern ids: {', '.join(dupes)}")
        return self

    def cases(self) -> dict[str, Case]:
        out: dict[str, Case] = {}
        for p in self.patterns:
            for c in p.cases():
                out.setdefault(c.key(), c)
        return out

    def without(self, pattern_id: str) -> PatternsFile:
        return PatternsFile(title=self.title, patterns=[p for p in self.patterns if p.id != pattern_id])


def shipped_patterns_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("simulation").joinpath("data", "patterns.yaml")))


def load_patterns(path: str | Path | None = None) -> PatternsFile:
    """Load and validate a patterns file (default: the shipped one). Bad input: one-line InputError."""
    from simulation.world.scenario import read_yaml_mapping, validation_error_to_input_error

    source = shipped_patterns_path() if path is None else Path(path)
    data = read_yaml_mapping(source, "patterns")
    try:
        parsed = PatternsFile.model_validate(data)
    except ValidationError as err:
        raise validation_error_to_input_error(err, PatternsFile, source) from None
    from simulation.core.paths import shipped_dir

    known = {p.stem for p in shipped_dir("scenarios").glob("*.yaml")}
    for k, pattern in enumerate(parsed.patterns):
        for c in pattern.cases():
            if c.scenario not in known:
                raise InputError(source, f"patterns[{k}].case.scenario",
                                 f"no shipped scenario '{c.scenario}' (known: {', '.join(sorted(known))})")  # fmt: skip
    check_cases(parsed, source)
    return parsed


def check_cases(parsed: PatternsFile, source: Path) -> None:
    """Every case must build: its overrides are valid paths with values in range (the same checks as a
    sweep's), and a per-pair outcome (``final_<a>_<b>``) names a pair of the case's actors."""
    from simulation.core.paths import shipped_dir
    from simulation.outcomes import pair_columns
    from simulation.world.scenario import apply_overrides, load_scenario

    built: dict[str, Any] = {}
    for k, pattern in enumerate(parsed.patterns):
        for role, c in (("case", pattern.case), ("contrast", pattern.contrast)):
            if c is None:
                continue
            field = f"patterns[{k}].{role}"
            if c.key() not in built:
                scenario = load_scenario(shipped_dir("scenarios") / f"{c.scenario}.yaml")
                try:
                    scenario = apply_overrides(scenario, dict(c.overrides), source=source) if c.overrides else scenario
                except InputError as err:
                    raise InputError(source, f"{field}.overrides.{err.field}", err.message) from None
                built[c.key()] = scenario
            outcome = pattern.measure.outcome
            if outcome.startswith("final_") and outcome not in OUTCOME_NAMES:
                pairs = [col for _, _, col in pair_columns(tuple(built[c.key()].actors))]
                if outcome.removeprefix("final_") not in pairs:
                    raise InputError(
                        source,
                        f"patterns[{k}].measure.outcome",
                        f"'{outcome}' names no pair of {c.scenario}'s actors "
                        f"(allowed: {', '.join('final_' + p for p in pairs)})",
                    )


def patterns_hash(path: str | Path | None = None) -> str:
    source = shipped_patterns_path() if path is None else Path(path)
    return hashlib.sha256(source.read_bytes()).hexdigest()


def patterns_json_schema() -> dict[str, Any]:
    schema = PatternsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "alliance-sim calibration patterns"
    return schema


def check_posterior_patterns(post: Any, patterns_path: Path | None, where: Path) -> None:
    """Refuse a posterior calibrated on other patterns than ``patterns_path`` (default: the shipped ones)."""
    recorded = post.manifest.get("patterns_sha256")
    expected = patterns_hash(patterns_path)
    if recorded != expected:
        raise InputError(
            where,
            "patterns_sha256",
            f"{str(recorded)[:12]}... was calibrated on other patterns than "
            f"{patterns_path or 'the shipped patterns.yaml'} ({expected[:12]}...); calibrate again on them",
        )
