"""Policy-search files: levers, objectives with directions and robustness statistics, worlds, the search.

A policy-search file names a base scenario, the **levers** a policy sets (dotted scenario paths in the
sweep file's ``vary`` shape, plus ``choices`` for words such as the policy rule), the **objectives**
(a catalogue outcome or a declared cost, a direction, and how it is reduced over posterior draws),
optional **constraints**, optional **deep uncertainties** (scenario paths sampled as in a sweep, one
sample per world), the **worlds** (posterior draws x replicates, the same for every policy) and the
**search** (NSGA-II on pymoo: population, generations, master seed).

Robustness statistics (OpenMORDM, Hadka et al. 2015, doi:10.1016/j.envsoft.2015.07.014; MORDM,
Kwakkel 2017, doi:10.1016/j.envsoft.2017.06.054), each over the per-draw value of the outcome (its
aggregation over the draw's replicates: a probability for a yes/no outcome):

- ``mean``: the posterior-weighted mean over draws (the pooled posterior-predictive value);
- ``percentile``: a weighted percentile over draws (``percentile: 90`` of P(alliance): the value
  that 90% of the plausible worlds stay below);
- ``regret``: a percentile of the shortfall in each draw against the best of the named reference
  policies in that draw (negative: better than every one of them);
- ``satisficing``: the weighted share of draws in which the value meets ``threshold`` (maximised).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulation.sweeps.spec import Distribution
from simulation.world.scenario import Scenario

#: Costs a policy can declare as objectives (besides the outcome catalogue), computed per run from the
#: pressure and coordination the run actually applied (after the policy rule).
COSTS: dict[str, str] = {
    "pressure_applied": "mean US pressure applied to the focal pair (threat index 0-1, per member and month)",
    "coordination_asked": "mean coordination with that pressure (0-1 per coordinating actor, summed over them; per focal member and month)",
}

#: Lever paths the search builds into pressure schedules: ``pressure.targets.<actor>.<part>``.
SCHEDULE_PARTS = ("level", "start_step", "ramp_steps")
#: Whole-number lever fields (months).
WHOLE_NUMBER_LEVERS = ("start_step", "ramp_steps", "from_step", "at_step", "duration_steps")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class LeverRange(_Strict):
    low: float = Field(description="Lower bound.")
    high: float = Field(description="Upper bound.")

    @model_validator(mode="after")
    def _ordered(self) -> LeverRange:
        if not self.high > self.low:
            raise ValueError(f"empty range: high ({self.high}) must exceed low ({self.low})")
        return self


class Lever(_Strict):
    """One lever: a dotted scenario path and the values a policy may give it (a range, numbers or words).

    Besides every path a sweep can vary, ``pressure.targets.<actor>.level`` (every instrument),
    ``.start_step`` (the month the pressure starts to move from the base schedule) and ``.ramp_steps``
    (months to reach the level) build a pressure schedule; ``pressure.coordination.<actor>`` sets the EU's
    coordination on that target for the whole run; ``pressure.policy.rule`` takes ``choices``."""

    path: Annotated[str, Field(min_length=1)] = Field(description="Dotted path into the scenario.")
    label: str | None = Field(None, description="Short name for tables and plots (default: the path).")
    range: LeverRange | None = Field(None, description="Bounds of a continuous (or whole-number) lever.")
    values: Annotated[list[float], Field(min_length=2)] | None = Field(None, description="Allowed numbers.")
    choices: Annotated[list[str], Field(min_length=2)] | None = Field(
        None, description="Allowed words (e.g. the policy rule: schedule, containment, engagement, wedge)."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Lever:
        if sum(x is not None for x in (self.range, self.values, self.choices)) != 1:
            raise ValueError("give exactly one of range, values or choices")
        for items in (self.values, self.choices):
            if items is not None and len(set(items)) != len(items):
                raise ValueError("each value appears once")
        return self

    @property
    def name(self) -> str:
        return self.label or self.path


class Robustness(_Strict):
    statistic: Literal["mean", "percentile", "regret", "satisficing"] = Field(
        description="How the per-draw values become one number: mean, percentile, regret or satisficing."
    )
    percentile: Annotated[float, Field(ge=0, le=100)] = Field(
        90.0, description="percentile and regret: which percentile over draws (90: the bad tail of a minimised one)."
    )
    threshold: float | None = Field(None, description="satisficing: the per-draw value that counts as met.")

    @model_validator(mode="after")
    def _complete(self) -> Robustness:
        if self.statistic == "satisficing" and self.threshold is None:
            raise ValueError("satisficing needs a threshold")
        if self.statistic != "satisficing" and self.threshold is not None:
            raise ValueError("only satisficing takes a threshold")
        return self


class Measured(_Strict):
    outcome: str | None = Field(None, description="An outcome of the catalogue (see simulation/outcomes.py).")
    cost: Literal[tuple(COSTS)] | None = Field(None, description="A declared cost: " + "; ".join(COSTS))  # type: ignore[valid-type]
    direction: Literal["minimise", "maximise"] = Field(description="Whether less or more of it is better.")
    robustness: Robustness = Field(description="How it is judged across the posterior draws.")

    @model_validator(mode="after")
    def _one_measure(self) -> Measured:
        if (self.outcome is None) == (self.cost is None):
            raise ValueError("give exactly one of outcome or cost")
        return self

    @property
    def measure(self) -> str:
        return self.outcome or self.cost or ""

    @property
    def column(self) -> str:
        """The robust value's column: ``alliance_p90``, ``pressure_applied_mean``, ``alliance_regret_p90`` ..."""
        r = self.robustness
        if r.statistic == "mean":
            return f"{self.measure}_mean"
        if r.statistic == "percentile":
            return f"{self.measure}_p{r.percentile:g}".replace(".", "_")
        if r.statistic == "regret":
            return f"{self.measure}_regret_p{r.percentile:g}".replace(".", "_")
        return f"{self.measure}_satisficing"

    @property
    def minimised(self) -> bool:
        """Whether the robust value is minimised (satisficing shares are maximised, regret minimised)."""
        if self.robustness.statistic == "satisficing":
            return False
        if self.robustness.statistic == "regret":
            return True
        return self.direction == "minimise"


class Constraint(Measured):
    direction: Literal["minimise", "maximise"] = Field("minimise", description="For regret and satisficing.")
    at_most: float | None = Field(None, description="The robust value must not exceed this.")
    at_least: float | None = Field(None, description="The robust value must reach this.")

    @model_validator(mode="after")
    def _one_bound(self) -> Constraint:
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("give exactly one of at_most or at_least")
        return self


class Uncertain(_Strict):
    path: Annotated[str, Field(min_length=1)] = Field(description="Dotted path into the scenario.")
    label: str | None = None
    range: LeverRange | None = None
    distribution: Distribution | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Uncertain:
        if (self.range is None) == (self.distribution is None):
            raise ValueError("give exactly one of range or distribution")
        return self

    @property
    def name(self) -> str:
        return self.label or self.path


class DeepUncertainty(_Strict):
    """Uncertainties beyond the posterior, sampled (Latin hypercube) as in a sweep: world k uses sample
    k mod ``samples``, the same for every policy."""

    random_events: list[dict[str, Any]] = Field(
        default_factory=list, description="Random events added to the base scenario (its random_events shape)."
    )
    vary: Annotated[list[Uncertain], Field(min_length=1)] = Field(description="Scenario paths and their ranges.")
    samples: Annotated[int, Field(ge=1, le=1000)] = Field(10, description="Latin-hypercube samples.")


class Worlds(_Strict):
    draws: Annotated[int, Field(ge=1, le=100_000)] = Field(100, description="Posterior draws every policy meets.")
    replicates: Annotated[int, Field(ge=1, le=10_000)] = Field(10, description="Runs (seeds) per draw.")
    holdout_draws: Annotated[int, Field(ge=0, le=100_000)] = Field(
        0, description="Further posterior draws, unused by the search, for the re-evaluation of the front."
    )
    holdout_replicates: Annotated[int, Field(ge=1, le=10_000)] = Field(10, description="Fresh seeds per held-out draw.")


class Search(_Strict):
    algorithm: Literal["nsga2"] = Field("nsga2", description="pymoo's NSGA-II (levers encoded on [0, 1]).")
    population: Annotated[int, Field(ge=4, le=10_000)] = Field(100, description="Policies per generation.")
    generations: Annotated[int, Field(ge=1, le=10_000)] = Field(20, description="Generations (the budget).")
    master_seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(description="Seed of draws, runs and the search.")
    policies_per_task: Annotated[int, Field(ge=1, le=10_000)] = Field(10, description="Policies per unit of work.")


class Failure(_Strict):
    """Scenario discovery on the worlds where a chosen policy fails."""

    outcome: str | None = None
    cost: Literal[tuple(COSTS)] | None = None  # type: ignore[valid-type]
    above: float | None = Field(None, description="A world fails when the per-draw value exceeds this.")
    below: float | None = Field(None, description="A world fails when the per-draw value is under this.")
    policies: Annotated[int, Field(ge=0, le=20)] = Field(
        3, description="How many front policies to examine (the best on each objective in turn)."
    )
    named: list[str] = Field(default_factory=list, description="Reference policies to examine as well (by name).")

    @model_validator(mode="after")
    def _complete(self) -> Failure:
        if (self.outcome is None) == (self.cost is None):
            raise ValueError("give exactly one of outcome or cost")
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self

    @property
    def measure(self) -> str:
        return self.outcome or self.cost or ""


class PolicySearchSpec(_Strict):
    """A policy-search file."""

    title: Annotated[str, Field(min_length=1)]
    description: str = ""
    base_scenario: Annotated[str, Field(min_length=1)] = Field(
        description="Scenario file (relative to this file) or the name of a shipped scenario."
    )
    levers: Annotated[list[Lever], Field(min_length=1)] = Field(description="What a policy sets.")
    objectives: Annotated[list[Measured], Field(min_length=2, max_length=8)] = Field(
        description="What a policy is judged on (two to eight)."
    )
    constraints: list[Constraint] = Field(default_factory=list, description="Robust values a policy must respect.")
    reference_policies: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="Shipped scenarios (or files) evaluated the same way, placed against the front and used for regret.",
    )
    deep_uncertainty: DeepUncertainty | None = Field(None, description="Uncertainties beyond the posterior.")
    worlds: Worlds = Field(default_factory=Worlds)
    search: Search
    failure: Failure | None = Field(None, description="Where the front's policies fail (PRIM over the worlds).")

    @model_validator(mode="after")
    def _distinct(self) -> PolicySearchSpec:
        names = [v.name for v in self.levers]
        if len(set(names)) != len(names):
            raise ValueError("each lever needs a distinct path or label")
        columns = [o.column for o in self.objectives]
        if len(set(columns)) != len(columns):
            raise ValueError("two objectives measure the same thing the same way")
        if self.failure is not None:
            known = {Path(r).stem for r in self.reference_policies}
            unknown = [n for n in self.failure.named if n not in known]
            if unknown:
                raise ValueError(f"failure.named: '{unknown[0]}' is not among reference_policies")
        return self


@dataclass
class PolicySearch:
    """A validated policy search: its file, base scenario, levers, reference policies."""

    spec: PolicySearchSpec
    base: Scenario
    source: Path | None
    text: str
    base_ref: str
    references: dict[str, Scenario] = field(default_factory=dict)

    @property
    def lever_names(self) -> list[str]:
        return [lv.name for lv in self.spec.levers]

    @property
    def policies_total(self) -> int:
        return self.spec.search.population * self.spec.search.generations

    @property
    def runs_per_policy(self) -> int:
        return self.spec.worlds.draws * self.spec.worlds.replicates

    @property
    def spec_hash(self) -> str:
        payload = {
            # how the work is cut and which failures are examined afterwards shape no evaluation
            "spec": self.spec.model_dump(mode="json", exclude={"search": {"policies_per_task"}, "failure": True}),
            "base": self.base.model_dump(mode="json"),
            "references": {k: v.model_dump(mode="json") for k, v in sorted(self.references.items())},
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def measures(spec: PolicySearchSpec) -> list[str]:
    """Every outcome or cost the search computes per draw, once each, in a fixed order."""
    names = [o.measure for o in spec.objectives] + [c.measure for c in spec.constraints]
    if spec.failure is not None:
        names.append(spec.failure.measure)
    return list(dict.fromkeys(names))


def policy_search_json_schema() -> dict[str, Any]:
    schema = PolicySearchSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "alliance-sim policy search"
    return schema
