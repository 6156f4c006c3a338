"""Sweep files and experimental designs.

A sweep file names a base scenario, the quantities to vary (dotted paths into the
scenario, e.g. ``pressure.targets.Russia`` or ``parameters.status_concern.Russia``), a design
(full grid, Latin hypercube, or Sobol/Saltelli via SALib), replicates per design point,
a master seed and the outcomes to keep. The model code never sees the sweep (as in the
EMA Workbench): a design point is just a scenario with overrides.

Run ``r`` (point ``r // replicates``, replicate ``r % replicates``) gets seed
``SeedSequence(master_seed).generate_state(total_runs, uint64)[r] >> 1``: the same whatever the
chunking, the number of workers or the executor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulation.core.errors import InputError
from simulation.outcomes import OUTCOME_NAMES, ambiguity
from simulation.world.registry import Registry, default_registry
from simulation.world.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    validation_error_to_input_error,
)

#: Outcomes a sweep can keep: every catalogue outcome (simulation/outcomes.py), the final level of
#: every pair ("final_levels") and the focal pair's monthly trajectory ("trajectory").
OUTCOME_CHOICES = (*OUTCOME_NAMES, "final_levels", "trajectory")
DEFAULT_OUTCOMES = (*OUTCOME_NAMES, "final_levels")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Range(_Strict):
    low: float = Field(description="Lower bound.")
    high: float = Field(description="Upper bound.")
    num: Annotated[int, Field(ge=2, le=1000)] | None = Field(
        None, description="Grid only: number of evenly spaced values (ends included)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.high > self.low:
            raise ValueError(f"empty range: high ({self.high}) must exceed low ({self.low})")
        return self


class Distribution(_Strict):
    """A sampling distribution for lhs, sobol and morris designs (through SALib's ``dists``)."""

    kind: Literal["uniform", "log_uniform", "triangular", "normal", "truncated_normal"]
    low: float | None = Field(None, description="Lower bound (uniform, log_uniform, triangular, truncated_normal).")
    high: float | None = Field(None, description="Upper bound (uniform, log_uniform, triangular, truncated_normal).")
    mode: float | None = Field(None, description="Peak (triangular).")
    mean: float | None = Field(None, description="Mean (normal, truncated_normal).")
    sd: Annotated[float, Field(gt=0)] | None = Field(None, description="Standard deviation (normal, truncated_normal).")

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        need = {
            "uniform": ("low", "high"),
            "log_uniform": ("low", "high"),
            "triangular": ("low", "high", "mode"),
            "normal": ("mean", "sd"),
            "truncated_normal": ("low", "high", "mean", "sd"),
        }[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(missing)}")
        if self.low is not None and self.high is not None and not self.high > self.low:
            raise ValueError(f"empty range: high ({self.high}) must exceed low ({self.low})")
        if self.kind == "log_uniform" and self.low <= 0:
            raise ValueError("a log_uniform distribution needs low > 0")
        if self.kind == "triangular" and not self.low <= self.mode < self.high:
            raise ValueError("a triangular distribution needs low <= mode < high")
        return self

    def salib(self) -> tuple[str, list[float]]:
        """SALib's distribution name and bounds for this distribution."""
        if self.kind == "uniform":
            return "unif", [self.low, self.high]
        if self.kind == "log_uniform":
            return "logunif", [self.low, self.high]
        if self.kind == "triangular":
            return "triang", [self.low, self.high, (self.mode - self.low) / (self.high - self.low)]
        if self.kind == "normal":
            return "norm", [self.mean, self.sd]
        return "truncnorm", [self.low, self.high, self.mean, self.sd]


class Varied(_Strict):
    """One varied quantity: a list of values (grid), a range, a distribution, or the registry's range."""

    path: Annotated[str, Field(min_length=1)] = Field(description="Dotted path into the scenario.")
    values: Annotated[list[float], Field(min_length=1)] | None = Field(None, description="Explicit values (grid).")
    range: Range | None = Field(None, description="Bounds (and, for a grid, a count).")
    distribution: Distribution | None = Field(None, description="A sampling distribution (lhs, sobol, morris).")
    registry_range: bool = Field(
        False, description="Use the documented range of the registry parameter (path parameters.<key>)."
    )
    label: str | None = Field(None, description="Short name for tables and plots (default: the path).")

    @model_validator(mode="after")
    def _one_kind(self) -> Varied:
        kinds = (self.values is not None, self.range is not None, self.distribution is not None, self.registry_range)
        if sum(kinds) != 1:
            raise ValueError("give exactly one of values, range, distribution or registry_range: true")
        return self

    @property
    def name(self) -> str:
        return self.label or self.path


class RegistryRanges(_Strict):
    """Vary every registry parameter whose documented range is not a single value."""

    roles: list[Literal["input", "derived-input", "model"]] = Field(
        default_factory=lambda: ["input", "derived-input", "model"]
    )
    exclude: list[str] = Field(default_factory=list, description="Keys (or key prefixes) to leave fixed.")


class Design(_Strict):
    method: Literal["grid", "lhs", "sobol", "morris"] = Field("grid", description="Experimental design.")
    samples: Annotated[int, Field(ge=1, le=10_000_000)] | None = Field(
        None, description="lhs: number of points; sobol: base sample N (a power of 2); morris: trajectories."
    )
    second_order: bool = Field(False, description="sobol: also sample for second-order indices.")
    levels: Annotated[int, Field(ge=2, le=100)] = Field(4, description="morris: grid levels (even).")


class SweepSpec(_Strict):
    """A sweep file."""

    title: Annotated[str, Field(min_length=1)]
    description: str = ""
    base_scenario: Annotated[str, Field(min_length=1)] = Field(
        description=(
            "Scenario file (a path relative to the sweep file) or the name of a shipped scenario "
            "(see alliance-sim scenarios)."
        )
    )
    design: Design = Field(default_factory=Design)
    vary: list[Varied] = Field(default_factory=list, description="Quantities to vary.")
    vary_registry: RegistryRanges | None = Field(None, description="Also vary every documented registry range.")
    replicates: Annotated[int, Field(ge=1, le=1_000_000)] = Field(100, description="Stochastic runs per point.")
    master_seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(description="Seed of the whole sweep.")
    chunk_size: Annotated[int, Field(ge=1, le=100_000)] = Field(2000, description="Runs per chunk of work.")
    outcomes: list[Literal[OUTCOME_CHOICES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(DEFAULT_OUTCOMES), description="Outcome groups to keep."
    )
    parameters: Literal["posterior", "point", "registry"] = Field(
        "posterior",
        description=(
            "Behavioural parameters of each run: a draw from the calibrated posterior (posterior predictive, "
            "the default), the posterior median (point), or the registry's values (registry)."
        ),
    )

    @field_validator("outcomes", mode="before")
    @classmethod
    def _one_meaning(cls, value: Any) -> Any:
        """An outcome name that reads two ways (``alliance``, ``entente``) is refused with the two names to use."""
        for name in value if isinstance(value, list) else []:
            if isinstance(name, str) and (why := ambiguity(name)) is not None:
                raise ValueError(why)
        return value

    @model_validator(mode="after")
    def _something_varies_or_replicates(self) -> SweepSpec:
        names = [v.name for v in self.vary]
        if len(set(names)) != len(names):
            raise ValueError("each varied quantity needs a distinct path or label")
        return self


@dataclass(frozen=True)
class Factor:
    """One varied quantity, resolved: grid values and/or a SALib distribution with its bounds."""

    name: str
    path: str
    values: list[float] | None  # grid values
    dist: str | None  # SALib distribution name for sampled designs
    bounds: list[float] | None  # SALib bounds for ``dist``


class Sweep:
    """A validated sweep: spec, base scenario, and the design matrix."""

    def __init__(
        self,
        spec: SweepSpec,
        base: Scenario,
        source: Path | None,
        spec_text: str,
        registry: Registry | None = None,
        max_runs: int | None = None,
    ):
        self.spec = spec
        self.base = base
        self.source = source
        self.spec_text = spec_text
        self.registry = registry if registry is not None else default_registry()
        #: Settings the command line overrode (field -> value), recorded in the manifest.
        self.overrides: dict[str, Any] = {}
        #: How to name the base scenario on a command line: a shipped name, or the file's absolute path.
        self.base_ref: str | None = None
        self.factors: list[Factor] = [self._vary_factor(v) for v in spec.vary]
        if spec.vary_registry is not None:
            self.factors += self._registry_factors()
        if spec.design.method != "grid":
            missing = [f.name for f in self.factors if f.dist is None]
            if missing:
                raise InputError(
                    source,
                    "vary",
                    f"{spec.design.method} needs a range or distribution for "
                    f"{', '.join(missing)} (lists are for grids)",
                )
            if not self.factors:
                raise InputError(source, "vary", f"{spec.design.method} needs at least one varied quantity")
        self._check_whole_number_paths()
        #: Design points, computed from the specification (nothing is built before the size is checked).
        self.design_size = design_size(spec, self.factors, source)
        self._check_size(max_runs)
        self._check_extremes()

    def _vary_factor(self, v: Any) -> Factor:
        """The factor of one ``vary`` entry: its values (a grid's) or its distribution (a sampled design's)."""
        grid = self.spec.design.method == "grid"
        if v.values is not None:
            return Factor(v.name, v.path, list(v.values), None, None)
        elif v.range is not None:
            values = None
            if grid:
                if v.range.num is None:
                    raise InputError(self.source, f"vary[{v.path}].range.num", "a grid needs num (how many values)")
                values = list(np.linspace(v.range.low, v.range.high, v.range.num))
            return Factor(v.name, v.path, values, "unif", [v.range.low, v.range.high])
        elif v.distribution is not None:
            if grid:
                raise InputError(self.source, f"vary[{v.path}].distribution", "a grid needs values or a range with num")
            dist, bounds = v.distribution.salib()
            return Factor(v.name, v.path, None, dist, bounds)
        else:
            key = v.path.removeprefix("parameters.")
            if not v.path.startswith("parameters.") or key not in self.registry:
                raise InputError(
                    self.source, f"vary[{v.path}]", "registry_range needs a path parameters.<registry key>"
                )
            p = self.registry[key]
            if not p.high > p.low:
                raise InputError(self.source, f"vary[{v.path}]", "this parameter's documented range is a single value")
            values = ([p.low, p.value, p.high] if p.low < p.value < p.high else [p.low, p.high]) if grid else None
            return Factor(v.name, v.path, values, "unif", [p.low, p.high])

    def _registry_factors(self) -> list[Factor]:
        """The factors ``vary_registry`` adds: every registry parameter of the roles asked for with a documented
        range, except those excluded, already varied, or integers and defaults."""
        grid = self.spec.design.method == "grid"
        found: list[Factor] = []
        taken = {f.path for f in self.factors}
        for p in self.registry:
            path = f"parameters.{p.key}"
            if p.role not in self.spec.vary_registry.roles or not p.high > p.low or path in taken:
                continue
            if any(p.key == x or p.key.startswith(x + ".") for x in self.spec.vary_registry.exclude):
                continue
            if p.family in ("initial_level", "unlisted_pair_default", "treaty_consent_steps"):
                continue  # integers or defaults: not sampled as continuous ranges
            values = [p.low, p.high] if grid else None
            found.append(Factor(p.key, path, values, "unif", [p.low, p.high]))
        return found

    def _check_size(self, max_runs: int | None) -> None:
        """Refuse a design above the limits of points, values and runs (or above ``--max-runs``)."""
        total = self.design_size * self.spec.replicates
        if self.design_size > MAX_DESIGN_POINTS or self.design_size * max(len(self.factors), 1) > MAX_DESIGN_CELLS:
            raise InputError(
                self.source,
                "design",
                f"{self.design_size:,} design points x {len(self.factors)} factors is "
                f"above the limit of {MAX_DESIGN_POINTS:,} points and {MAX_DESIGN_CELLS:,} values; "
                "use fewer values or samples",
            )
        if total > MAX_TOTAL_RUNS:
            raise InputError(
                self.source,
                "replicates",
                f"{total:,} runs is above the limit of {MAX_TOTAL_RUNS:,} runs "
                "per sweep; split it into several sweep files",
            )
        if max_runs is not None and total > max_runs:
            raise InputError(self.source, None, f"{total:,} runs is above --max-runs {max_runs:,}; add --yes to run it")

    def _check_extremes(self) -> None:
        """Validate every path at the extremes of the values the design will actually use."""
        for k, f in enumerate(self.factors):
            column = self.points[:, k]
            for value in {float(column.min()), float(column.max())}:
                try:
                    apply_overrides(self.base, {f.path: value}, source=self.source, registry=self.registry)
                except InputError as err:
                    raise InputError(
                        self.source,
                        f"vary[{f.name}]",
                        err.message if err.field == f.path else f"{err.field}: {err.message}",
                    ) from None

    def _check_whole_number_paths(self) -> None:
        """Whole-number fields (months, ladder rungs) vary only over whole grid values; the horizon never."""
        for f in self.factors:
            if f.path == "steps":
                raise InputError(
                    self.source,
                    f"vary[{f.name}]",
                    "the horizon (steps) cannot vary within a sweep; run one sweep per horizon",
                )
            if _is_whole_number_path(f.path):
                values = f.values
                if values is None or any(float(v) != int(v) for v in values):
                    raise InputError(
                        self.source,
                        f"vary[{f.name}]",
                        "a whole-number field: vary it with a grid of whole numbers (values: [...])",
                    )

    # ---- design
    @cached_property
    def points(self) -> np.ndarray:
        """Design matrix [points, factors] (an empty factor list gives one point)."""
        spec = self.spec
        k = len(self.factors)
        if k == 0:
            return np.zeros((1, 0))
        method = spec.design.method
        if method == "grid":
            grids = np.meshgrid(*[np.asarray(f.values, dtype=float) for f in self.factors], indexing="ij")
            return np.stack([g.ravel() for g in grids], axis=1)
        problem = {**self.salib_problem(), "names": [f"x{i}" for i in range(k)]}
        n = spec.design.samples
        if n is None:
            raise InputError(self.source, "design.samples", f"{method} needs samples")
        seed = int(np.random.SeedSequence(spec.master_seed).generate_state(1, np.uint32)[0])
        if method == "lhs":
            from SALib.sample import latin

            return latin.sample(problem, n, seed=seed)
        if method == "morris":
            from SALib.sample import morris

            try:
                return morris.sample(problem, n, num_levels=spec.design.levels, seed=seed)
            except Exception as exc:  # SALib raises plain errors on designs it cannot build
                raise InputError(self.source, "design", f"SALib cannot build this Morris design: {exc}") from None
        if n & (n - 1):
            raise InputError(self.source, "design.samples", f"sobol needs a power of 2 (got {n})")
        from SALib.sample import sobol

        try:
            return sobol.sample(problem, n, calc_second_order=spec.design.second_order, seed=seed)
        except Exception as exc:  # SALib raises plain ValueErrors on designs it cannot build
            raise InputError(self.source, "design", f"SALib cannot build this Sobol design: {exc}") from None

    def salib_problem(self) -> dict[str, Any]:
        """The SALib problem dict of this sweep's factors (names, bounds)."""
        problem: dict[str, Any] = {
            "num_vars": len(self.factors),
            "names": self.factor_names,
            "bounds": [f.bounds for f in self.factors],
        }
        if any(f.dist != "unif" for f in self.factors):
            problem["dists"] = [f.dist for f in self.factors]
        return problem

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def total_runs(self) -> int:
        return int(self.points.shape[0]) * self.spec.replicates

    @cached_property
    def seeds(self) -> np.ndarray:
        from simulation.runner import replicate_seeds

        return replicate_seeds(self.spec.master_seed, self.total_runs)

    def chunks(self) -> list[tuple[int, int]]:
        size = self.spec.chunk_size
        return [(s, min(s + size, self.total_runs)) for s in range(0, self.total_runs, size)]

    @property
    def spec_hash(self) -> str:
        payload = {
            "spec": self.spec.model_dump(mode="json", exclude={"chunk_size"}),
            "base": self.base.model_dump(mode="json"),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


#: Hard limits on a design, whatever --max-runs and --yes say: beyond them memory runs out before any run.
MAX_DESIGN_POINTS = 10_000_000
MAX_DESIGN_CELLS = 50_000_000  # points x factors (8 bytes each)
MAX_TOTAL_RUNS = 100_000_000  # one 8-byte seed per run is drawn up front
#: Scenario fields that hold whole numbers (months, counts) and registry families that do (rungs, months).
WHOLE_NUMBER_FIELDS = ("from_step", "at_step", "duration_steps")
WHOLE_NUMBER_FAMILIES = ("initial_level", "treaty_consent_steps")


def _is_whole_number_path(path: str) -> bool:
    if path.startswith("parameters."):
        return path.removeprefix("parameters.").partition(".")[0] in WHOLE_NUMBER_FAMILIES
    return path.rsplit(".", 1)[-1] in WHOLE_NUMBER_FIELDS


def design_size(spec: SweepSpec, factors: list[Factor], source: Path | None = None) -> int:
    """The number of design points, from the specification alone (SALib's row counts for sampled designs)."""
    k = len(factors)
    if k == 0:
        return 1
    method = spec.design.method
    if method == "grid":
        size = 1
        for f in factors:
            size *= len(f.values or ())
        return size
    n = spec.design.samples
    if n is None:
        raise InputError(source, "design.samples", f"{method} needs samples")
    if method == "lhs":
        return n
    if method == "morris":
        return n * (k + 1)
    return n * (2 * k + 2 if spec.design.second_order else k + 2)


#: Settings a caller may override without editing the sweep file (``load_sweep`` arguments). The file stays
#: the sweep's record; the manifest lists what was overridden, and a resumed sweep keeps the same overrides.
OVERRIDABLE = ("chunk_size", "replicates")


def load_sweep(
    path: str | Path,
    chunk_size: int | None = None,
    max_runs: int | None = None,
    replicates: int | None = None,
) -> Sweep:
    """Load and validate a sweep file; with ``max_runs``, a larger design is refused before it is built.

    ``chunk_size`` (how the work is cut: never changes a result) and ``replicates`` (runs per design point:
    a new count is a new table, with its own sweep hash) override the file; ``Sweep.overrides`` records them
    for the manifest.

    Parameters
    ----------
    path
        The sweep YAML file, or the name of a shipped one (``experiments/``).
    chunk_size
        Runs per chunk, instead of the file's (None: the file's).
    max_runs
        Refuse a sweep of more runs than this (None: no limit but the tool's own).
    replicates
        Runs per design point, instead of the file's (None: the file's).

    Returns
    -------
    Sweep
        The validated sweep: its specification, base scenario and design.

    Raises
    ------
    InputError
        A file, field or value the sweep cannot use (one line naming the file and field).
    """
    from simulation.core.io import parse_yaml, read_input_text
    from simulation.core.resources import resolve_ref

    path = resolve_ref(path, "experiments")
    text = read_input_text(path, "sweep")
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise InputError(path, None, "expected a mapping of sweep fields at the top level")
    overrides = {k: v for k, v in zip(OVERRIDABLE, (chunk_size, replicates), strict=True) if v is not None}
    data.update(overrides)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        error = validation_error_to_input_error(err, SweepSpec, path)
        if error.field in overrides:  # the argument, not the file, is wrong: name it (the CLI shows its flag)
            raise InputError(None, error.field, error.message) from None
        raise error from None
    base_path = resolve_ref(
        spec.base_scenario, "scenarios", relative_to=path.parent, source=path, field="base_scenario"
    )
    base = load_scenario(base_path.resolve())
    sweep = Sweep(spec, base, path, text, max_runs=max_runs)
    sweep.overrides = overrides
    sweep.base_ref = spec.base_scenario if not Path(spec.base_scenario).suffix else str(base_path.resolve())
    return sweep


def sweep_from_dict(data: dict[str, Any], base: Scenario, source: str = "<sweep>") -> Sweep:
    """A sweep from a mapping of sweep fields (as a sweep file holds them) over an already loaded base scenario.

    Parameters
    ----------
    data
        The sweep's fields (``title``, ``design``, ``vary``, ``replicates``, ...).
    base
        The base scenario every design point modifies.
    source
        The name errors give for the sweep (default ``<sweep>``).

    Returns
    -------
    Sweep
        The validated sweep.
    """
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        raise validation_error_to_input_error(err, SweepSpec, source) from None
    return Sweep(spec, base, Path(source), json.dumps(data, sort_keys=True))


def sweep_json_schema() -> dict[str, Any]:
    schema = SweepSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "alliance-sim sweep"
    return schema
