"""Where a run's behavioural values come from: the registry, the posterior's median, or a posterior draw per run.

The calibrated posterior: weighted behavioural parameter sets, shipped as package data.

``posterior.parquet`` holds one row per parameter set (columns: registry keys, and ``weight``);
``posterior.json`` its manifest (patterns-file hash, method, populations, acceptance, effective
sample size, seeds, version). A posterior-predictive run uses one parameter set (a "draw", recorded
as its posterior row in the ``draw`` column) chosen one of two ways, neither depending on batch, chunk
or worker, and neither touching the run's decision noise:

- a design (``design_draws``): ``count`` runs from a master seed are ``draws x replicates``: run k uses
  draw ``k mod D`` of a seeded, weight-respecting choice of D posterior rows (D = every row when there
  are enough runs), so every draw gets the same number of runs and per-draw probabilities, their
  spread and the variance split cost no extra runs (``simulation.analysis.spread``); sweeps use it per
  design point (replicate r of every point uses the same draw: common parameter draws across points);
- its seed alone (``Posterior.indices``): a SplitMix64 hash of the seed on its own stream
  (``POSTERIOR_STREAM``), for runs given by explicit seeds (a run is reproducible from its seed).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from simulation._version import __version__
from simulation.core.errors import InputError
from simulation.core.io import load_json, sha256_file
from simulation.rules.params import Params, field_name
from simulation.rules.rng import GAMMA, mix64
from simulation.world.build import behaviour_keys
from simulation.world.registry import Registry, default_registry
from simulation.world.resolve import Resolved

#: Added to a run's seed before hashing, so the posterior draw has its own stream.
POSTERIOR_STREAM = np.uint64(0x5EED_CA11_B2A7_E000)
#: Spawn key of a design's choice of draws (beside the master seed), so it never meets the runs' seeds.
DESIGN_STREAM = 0xD2A3


def seed_uniforms(seeds: np.ndarray) -> np.ndarray:
    """One uniform in [0, 1) per seed, from the posterior stream (vectorised SplitMix64)."""
    with np.errstate(over="ignore"):
        # SplitMix64 (rules/rng.py), its numpy form: the compiled one's arithmetic on whole arrays
        x = mix64.py_func(np.asarray(seeds, dtype=np.int64).astype(np.uint64) * GAMMA + POSTERIOR_STREAM)
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


@dataclass(frozen=True)
class Posterior:
    keys: tuple[str, ...]  # registry keys
    samples: np.ndarray  # [S, P]
    weights: np.ndarray  # [S], sum 1
    manifest: dict

    @classmethod
    def from_files(cls, table: Path, manifest: Path | None = None, complete: bool = True) -> Posterior:
        """Read a posterior; a missing or malformed file is a one-line InputError naming it.

        Parameters
        ----------
        table, manifest
            ``posterior.parquet`` and its ``posterior.json``.
        complete
            Refuse a table without a column for every calibrated parameter (a posterior to report on);
            False for the posterior runs draw from, where a parameter added since the calibration runs at
            its registry value, labelled (``not_yet_calibrated``).
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = Path(table)
        if not table.is_file():
            raise InputError(
                table, None, "no posterior here (expected posterior.parquet from `alliance-sim calibrate`)"
            )
        meta: object = {}
        if manifest is not None:  # a posterior folder: its table is the one its manifest recorded, always
            if not Path(manifest).exists():
                raise InputError(
                    table, None, f"no {Path(manifest).name} beside it: the table cannot be verified; not used"
                )
            meta = load_json(manifest, "posterior manifest")
            check_table_hash(table, Path(manifest), meta)
        try:
            t = pq.read_table(table)
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(table, None, f"not a readable Parquet table ({err})") from None
        if "weight" not in t.column_names or t.num_columns < 2 or t.num_rows == 0:
            raise InputError(table, None, "not a posterior: needs parameter columns, a weight column and rows")
        if t.num_rows < MIN_POSTERIOR_DRAWS:
            raise InputError(
                table,
                None,
                f"{t.num_rows} draw: a posterior needs at least {MIN_POSTERIOR_DRAWS} (one draw is a point, not a "
                "distribution)",
            )
        if len(set(t.column_names)) != len(t.column_names):
            raise InputError(table, None, "a column appears twice; a posterior has one column per parameter")
        keys = tuple(c for c in t.column_names if c != "weight")
        for name in t.column_names:
            if not (pa.types.is_floating(t.schema.field(name).type) or pa.types.is_integer(t.schema.field(name).type)):
                raise InputError(table, name, f"expected numbers, got {t.schema.field(name).type}")
        samples = np.column_stack([t.column(k).to_numpy(zero_copy_only=False) for k in keys]).astype(float)
        w = t.column("weight").to_numpy(zero_copy_only=False).astype(float)
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise InputError(table, "weight", "weights must be finite, non-negative and not all zero")
        check_samples(table, keys, samples, complete)
        check_distinct(table, samples)
        if manifest is not None:
            check_manifest(Path(manifest), meta, keys)
        return cls(keys, samples, w / w.sum(), meta if isinstance(meta, dict) else {})

    @property
    def effective_sample_size(self) -> float:
        return float(1.0 / np.sum(self.weights**2))

    def median(self) -> np.ndarray:
        """Weighted median of each parameter."""
        out = np.empty(len(self.keys))
        for p in range(len(self.keys)):
            order = np.argsort(self.samples[:, p])
            cum = np.cumsum(self.weights[order])
            out[p] = self.samples[order[np.searchsorted(cum, 0.5)], p]
        return out

    def indices(self, seeds: np.ndarray) -> np.ndarray:
        """The parameter set each run uses (weighted, from its seed)."""
        cum = np.cumsum(self.weights)
        cum[-1] = 1.0
        return np.minimum(np.searchsorted(cum, seed_uniforms(seeds), side="right"), len(cum) - 1)

    def _fill(self, base: np.ndarray, values: np.ndarray, keep: dict[str, float]) -> np.ndarray:
        out = np.repeat(base[:1], values.shape[0])
        for p, key in enumerate(self.keys):
            name = field_name(key)
            if name in out.dtype.names:
                out[name] = keep[key] if key in keep else values[:, p]
        return out

    def draw_records(
        self, base: np.ndarray, seeds: np.ndarray, keep: dict[str, float], rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Behaviour records [B]: run b gets posterior row ``rows[b]`` (default: the set its seed draws);
        ``keep`` overrides win."""
        return self._fill(base, self.samples[self.indices(seeds) if rows is None else np.asarray(rows)], keep)

    def design_draws(self, count: int, master_seed: int, draws: int | None = None) -> np.ndarray:
        """The posterior row of each of ``count`` runs in a draws x replicates design.

        D = ``draws`` (default: every row, at most ``count``) rows are chosen by systematic resampling of
        the weights with a seeded offset and put in a seeded order; run k uses the (k mod D)-th. With equal
        weights and D = every row, each row is used ``count / D`` times (one more for the first ones when it
        does not divide). Depends only on (count, master_seed, draws): never on chunks or workers.

        Parameters
        ----------
        count
            Runs.
        master_seed
            The seed of the resampling offset and the order.
        draws
            Distinct posterior rows D (None: every row, at most ``count``).

        Returns
        -------
        numpy.ndarray
            The posterior row of each run (int64, length ``count``).
        """
        n = len(self.weights)
        d = max(1, min(int(count), n if draws is None else int(draws)))
        rng = np.random.default_rng(np.random.SeedSequence(int(master_seed), spawn_key=(DESIGN_STREAM,)))
        cum = np.cumsum(self.weights)
        cum[-1] = 1.0
        positions = (rng.random() + np.arange(d)) / d
        chosen = np.minimum(np.searchsorted(cum, positions, side="right"), n - 1)
        chosen = chosen[rng.permutation(d)]
        return chosen[np.arange(int(count)) % d].astype(np.int64)

    def point_record(self, base: np.ndarray, keep: dict[str, float]) -> np.ndarray:
        """One behaviour record [1] at the posterior median (``keep`` overrides win)."""
        return self._fill(base, self.median()[None], keep)


#: Slack on the prior box: values written as float64 from draws inside it may sit one rounding outside.
PRIOR_BOX_SLACK = 1e-9


#: Behavioural quantities kept at their registry value: integers, which ABC's continuous kernels do not fit.
FIXED_KEYS = ("treaty_consent_steps",)


def calibrated_keys(registry: Registry | None = None) -> list[str]:
    """The behavioural parameters a calibration fits (and a posterior must hold): those with a range, except the
    ones the registry marks ``not_calibrated`` (not identifiable from the patterns: fixed at their value)."""
    reg = registry if registry is not None else default_registry()
    return [
        k
        for k in behaviour_keys(reg)
        if k not in FIXED_KEYS and reg[k].low < reg[k].high and reg[k].not_calibrated is None
    ]


def not_calibrated_keys(registry: Registry | None = None) -> dict[str, str]:
    """Behavioural parameters with a range that calibration leaves at their registry value, with the reason."""
    reg = registry if registry is not None else default_registry()
    return {k: reg[k].not_calibrated for k in behaviour_keys(reg) if reg[k].not_calibrated is not None}


def check_samples(table: Path, keys: tuple[str, ...], samples: np.ndarray, complete: bool = True) -> None:
    """Every column is a calibrated registry parameter; every value finite and inside its prior box
    (the registry's documented range); none missing when ``complete``."""
    reg = default_registry()
    for p, key in enumerate(keys):
        if key not in reg:
            raise InputError(table, key, "not a registry parameter (see `alliance-sim params`); not a posterior column")
        column = samples[:, p]
        if not np.all(np.isfinite(column)):
            raise InputError(table, key, f"{int((~np.isfinite(column)).sum())} values are not finite numbers")
        low, high = reg[key].low, reg[key].high
        slack = PRIOR_BOX_SLACK * max(1.0, abs(low), abs(high))
        outside = (column < low - slack) | (column > high + slack)
        if outside.any():
            bad = column[outside][0]
            raise InputError(
                table, key, f"{int(outside.sum())} values outside the prior box {low:g} to {high:g} (e.g. {bad:g})"
            )
    missing = [k for k in calibrated_keys(reg) if k not in keys]
    if complete and missing:
        raise InputError(table, None, f"no column for {len(missing)} calibrated parameter(s): {', '.join(missing[:4])}")


#: Fewer draws than this is not a distribution (calibration-report's spreads and checks need two at least).
MIN_POSTERIOR_DRAWS = 2


def check_table_hash(table: Path, manifest: Path, meta: object) -> None:
    """posterior.parquet is the file its posterior.json recorded (``table_sha256``): a table edited,
    extended or swapped after the calibration wrote it is refused, whatever its values look like."""
    expected = meta.get("table_sha256") if isinstance(meta, dict) else None
    if not isinstance(expected, str) or not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise InputError(
            manifest, "table_sha256", "missing or not a SHA-256: the table beside it cannot be verified; not used"
        )
    if not hmac.compare_digest(sha256_file(table).encode(), expected.encode()):
        raise InputError(
            table,
            None,
            "does not match the table_sha256 its posterior.json recorded (changed after the calibration wrote "
            "it); not used: restore it, or calibrate again",
        )


def check_distinct(table: Path, samples: np.ndarray) -> None:
    """A posterior's draws are distinct parameter sets (weights carry how much each counts): a repeated row
    is an edit, not a draw."""
    _, first, counts = np.unique(samples, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        repeats = int((counts - 1).sum())
        row = int(first[counts > 1][0])
        raise InputError(
            table, None, f"{repeats} row(s) repeat an earlier draw (e.g. row {row}); a posterior's draws are distinct"
        )


def check_manifest(path: Path, meta: object, keys: tuple[str, ...]) -> None:
    """posterior.json: an alliance-sim posterior manifest naming exactly the table's parameters."""
    if not isinstance(meta, dict):
        raise InputError(path, None, "expected a JSON mapping (the posterior's manifest)")
    if meta.get("package") != "alliance-sim" or meta.get("kind") != "posterior":
        raise InputError(path, "kind", "not an alliance-sim posterior manifest (kind: posterior)")
    for field, kind in (("patterns_sha256", str), ("parameters", list), ("version", str)):
        if not isinstance(meta.get(field), kind):
            raise InputError(path, field, f"missing or not a {kind.__name__}")
    if list(meta["parameters"]) != list(keys):
        raise InputError(path, "parameters", "do not match the columns of posterior.parquet beside it")
    mine, theirs = _major_minor(__version__), _major_minor(meta["version"])
    if mine is not None and theirs is not None and mine != theirs:
        raise InputError(
            path,
            "version",
            f"made by alliance-sim {meta['version']}, this is {__version__}: the parameters may mean other things; "
            "calibrate again with this version",
        )


def _major_minor(version: str) -> tuple[int, int] | None:
    """(major, minor) of a release version; None for a checkout's placeholder or anything unparsable."""
    m = re.match(r"^(\d+)\.(\d+)", version)
    if m is None or "checkout" in version:
        return None
    return int(m.group(1)), int(m.group(2))


def posterior_files() -> tuple[Path, Path]:
    root = Path(str(resources.files("simulation").joinpath("data")))
    return root / "posterior.parquet", root / "posterior.json"


#: What to do when the shipped posterior cannot be used (said in every such error).
REMEDY = "reinstall alliance-sim, or pass --parameters registry to run on the registry's values (labelled as such)"


@functools.cache
def _load_shipped() -> Posterior:
    table, manifest = posterior_files()
    if not table.is_file():
        raise InputError(table, None, f"the calibrated posterior is missing from this installation; {REMEDY}")
    if not manifest.is_file():
        raise InputError(manifest, None, f"the calibrated posterior's manifest is missing; {REMEDY}")
    meta = load_json(manifest, "posterior manifest")
    expected = meta.get("table_sha256") if isinstance(meta, dict) else None
    if not isinstance(expected, str):
        raise InputError(manifest, "table_sha256", f"the posterior manifest records no hash of its table; {REMEDY}")
    if hashlib.sha256(table.read_bytes()).hexdigest() != expected:
        raise InputError(table, None, f"damaged: its SHA-256 differs from the one in posterior.json; {REMEDY}")
    return Posterior.from_files(table, manifest, complete=False)  # a newer parameter runs labelled


def shipped_posterior() -> Posterior:
    """The posterior that ships with the package.

    A missing, unhashed or damaged posterior is a one-line ``InputError`` (never a silent fallback to
    the registry's values: those are another model, used only when asked for by name).
    """
    return _load_shipped()


def not_yet_calibrated(post: Posterior, registry: Registry) -> list[str]:
    """Calibrated parameters of ``registry`` the posterior has no column for: added since the last calibration.

    Parameters
    ----------
    post
        The posterior a run draws from.
    registry
        The registry the run resolves over.

    Returns
    -------
    list of str
        Their keys, in registry order; these run at their registry value until a recalibration.
    """
    return [k for k in calibrated_keys(registry) if k not in post.keys]


def not_yet_calibrated_words(keys: list[str], registry: Registry) -> str:
    """The label's clause for parameters a posterior does not hold yet ("" when there are none)."""
    if not keys:
        return ""
    values = ", ".join(f"{k} = {registry.value(k):g}" for k in keys)
    return f"; not yet calibrated, at the registry value until a recalibration: {values}"


def pending_calibration(registry: Registry | None = None) -> dict[str, float]:
    """Calibrated parameters the shipped posterior does not hold yet, with the registry value they run at
    (empty when there are none, or when the posterior cannot be read: a run reports that itself).

    Parameters
    ----------
    registry
        The registry to compare with (default: the shipped one).

    Returns
    -------
    dict
        Key -> registry value, in registry order. Manifests record it as ``not_yet_calibrated``.
    """
    reg = registry if registry is not None else default_registry()
    try:
        post = shipped_posterior()
    except InputError:
        return {}
    return {k: reg.value(k) for k in not_yet_calibrated(post, reg)}


def pending_calibration_note(registry: Registry | None = None) -> str:
    """What ``validate`` says beside a scenario when the shipped posterior lacks calibrated parameters."""
    reg = registry if registry is not None else default_registry()
    return not_yet_calibrated_words(list(pending_calibration(reg)), reg)


ParameterMode = Literal["posterior", "point", "registry"]


def behaviour_for(
    resolved: Resolved, params: Params, seeds: np.ndarray, mode: ParameterMode | None, draws: np.ndarray | None = None
) -> tuple[np.ndarray, str]:
    """The behaviour records for ``seeds`` under ``mode`` and a label of what was used; ``draws``: the
    posterior row of each run (a design's, ``Posterior.design_draws``), default the one each seed draws."""
    mode = "posterior" if mode is None else mode
    if mode == "registry":
        return params.behaviour, "registry values (uncalibrated, asked for with --parameters registry)"
    if mode not in ("posterior", "point"):
        raise ValueError(f"unknown parameters mode {mode!r} (allowed: posterior, point, registry)")
    post = shipped_posterior()
    keep = {k: v for k, v in resolved.overrides.items() if k in post.keys}
    pending = not_yet_calibrated_words(not_yet_calibrated(post, resolved.base or resolved.registry), resolved.registry)
    if mode == "point":
        return post.point_record(params.behaviour, keep), "posterior median (one parameter set)" + pending
    label = "posterior predictive (a parameter draw per run"
    label += ")" if draws is None else ", draws x replicates)"
    return post.draw_records(params.behaviour, seeds, keep, draws), label + pending


def posterior_rows(seeds: np.ndarray, mode: ParameterMode | None, draws: np.ndarray | None = None) -> np.ndarray | None:
    """The posterior row each run uses (``draws`` if given, else each seed's), or None when the runs do not
    draw from the posterior (``point``, ``registry``)."""
    if (mode or "posterior") != "posterior":
        return None
    return np.asarray(draws, dtype=np.int64) if draws is not None else shipped_posterior().indices(seeds)
