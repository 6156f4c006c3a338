"""Landscape theory of aggregation: the two-bloc configuration of minimum frustration.

Axelrod and Bennett, "A Landscape Theory of Aggregation", British Journal of Political
Science 23(2):211-233 (1993), doi:10.1017/S000712340000965X. For a configuration X that puts
every actor in bloc A or bloc B, the energy (frustration) is

    E(X) = sum_{i < j} s_i * s_j * p_ij * d_ij(X),

with s_i the size of actor i, p_ij the propensity of i and j to work together (positive:
affinity; negative: antagonism) and d_ij(X) = 1 if i and j are in different blocs, else 0.
The theory predicts the configuration(s) of least energy. This is a static baseline to
compare with the agent-based model's modal bloc structure.

From a scenario, sizes are the power index (simulation/world.py) and the propensity of a
pair is the mean of both sides' noise-free desire at the scenario's start (the model's own
utility terms, so from the registry). A table file gives sizes and propensities directly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import numpy as np

from simulation.core.errors import InputError
from simulation.world.scenario import Scenario


@dataclass(frozen=True)
class Landscape:
    actors: tuple[str, ...]
    sizes: np.ndarray  # [n]
    propensity: np.ndarray  # [n, n] symmetric
    source: str

    def energies(self) -> list[tuple[float, tuple[str, ...], tuple[str, ...]]]:
        """Energy of every two-bloc configuration (bloc A holds the first actor), lowest first."""
        n = len(self.actors)
        weights = np.outer(self.sizes, self.sizes) * self.propensity
        out = []
        for bits in itertools.product((0, 1), repeat=n - 1):
            side = np.array((0, *bits))
            apart = side[:, None] != side[None, :]
            energy = float(np.triu(weights * apart, 1).sum())
            a = tuple(self.actors[i] for i in range(n) if side[i] == 0)
            b = tuple(self.actors[i] for i in range(n) if side[i] == 1)
            out.append((energy, a, b))
        out.sort(key=lambda e: (e[0], e[1]))
        return out

    def minima(self, tol: float = 1e-9) -> list[tuple[float, tuple[str, ...], tuple[str, ...]]]:
        ranked = self.energies()
        best = ranked[0][0]
        return [e for e in ranked if e[0] <= best + tol]


def energy(sizes: np.ndarray, propensity: np.ndarray, side: np.ndarray) -> float:
    """E(X) for one configuration ``side`` (0/1 per actor)."""
    apart = side[:, None] != side[None, :]
    return float(np.triu(np.outer(sizes, sizes) * propensity * apart, 1).sum())


def landscape_from_scenario(scenario: Scenario, label: str) -> Landscape:
    """Sizes and propensities of a scenario's actors at its start (the noise-free pull of the
    utility terms, without the resting constants), through the runner."""
    from simulation.runner import noise_free_desire
    from simulation.world.build import build_params
    from simulation.world.resolve import resolve

    desire, shape = noise_free_desire(scenario)
    propensity = (desire + desire.T) / 2
    np.fill_diagonal(propensity, 0.0)
    power = build_params(resolve(scenario)).power[0]
    return Landscape(shape.actors, power / power.sum(), propensity, f"scenario {label}")


def _number(path: Path, field: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(path, field, f"expected a number, got {value!r}") from None
    if not np.isfinite(number):
        raise InputError(path, field, f"expected a finite number, got {value!r}")
    return number


def _landscape_from_csv(path: Path) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """A CSV with columns ``actor, size, <actor 1>, <actor 2>, ...`` (a symmetric propensity matrix)."""
    import pandas as pd

    from simulation.core.io import read_input_bytes

    raw = read_input_bytes(path, "landscape CSV")
    try:
        df = pd.read_csv(BytesIO(raw))
    except Exception as exc:  # pandas raises many kinds on bad CSV
        raise InputError(path, None, f"not a readable CSV ({' '.join(str(exc).split())[:120]})") from None
    _check_actor_count(path, len(df))
    for col in ("actor", "size"):
        if col not in df:
            raise InputError(path, col, "missing column (need actor, size and one column per actor)")
    actors = tuple(str(a) for a in df["actor"])
    missing = [a for a in actors if a not in df]
    if missing:
        raise InputError(path, missing[0], "missing propensity column for this actor")
    if len(set(actors)) != len(actors):
        twice = next(a for a in actors if actors.count(a) > 1)
        raise InputError(path, "actor", f"'{twice}' has two rows; give each actor one row")
    extra = [str(c) for c in df.columns if c not in ("actor", "size", *actors)]
    if extra:
        raise InputError(
            path, extra[0], f"not an actor of this table (columns allowed: actor, size, {', '.join(actors)})"
        )
    sizes = np.array([_number(path, f"size[{a}]", v) for a, v in zip(actors, df["size"], strict=True)])
    prop = np.array([[_number(path, f"{b}[{a}]", df[b].iloc[i]) for b in actors] for i, a in enumerate(actors)])
    return actors, sizes, prop


def _landscape_from_mapping(path: Path, data: dict) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """YAML ``{sizes: {A: 1, ...}, propensity: {A-B: 0.5, ...}}``."""
    if not isinstance(data.get("sizes"), dict) or not isinstance(data.get("propensity"), dict):
        raise InputError(path, None, "expected 'sizes: {actor: size}' and 'propensity: {A-B: value}'")
    actors = tuple(str(a) for a in data["sizes"])
    sizes = np.array([_number(path, f"sizes.{a}", v) for a, v in data["sizes"].items()])
    prop = np.zeros((len(actors), len(actors)))
    for key, value in data["propensity"].items():
        a, _, b = str(key).partition("-")
        if a not in actors or b not in actors:
            raise InputError(path, f"propensity.{key}", f"unknown actor (allowed: {', '.join(actors)})")
        i, j = actors.index(a), actors.index(b)
        prop[i, j] = prop[j, i] = _number(path, f"propensity.{key}", value)
    return actors, sizes, prop


#: Energies of 2**(n-1) configurations are enumerated: 20 actors is about half a million.
MAX_ACTORS = 20


def _check_actor_count(path: Path, count: int) -> None:
    if not 2 <= count <= MAX_ACTORS:
        raise InputError(
            path,
            "actors",
            f"{count} actors; landscape enumerates every two-bloc configuration "
            f"and needs between 2 and {MAX_ACTORS} actors",
        )


def landscape_from_file(path: Path) -> Landscape:
    """A scenario YAML, a YAML table (``sizes:`` and ``propensity:``) or a CSV table; bad input is an InputError."""
    from simulation.world.scenario import parse_scenario, read_yaml_mapping

    path = Path(path)
    if path.suffix.lower() == ".csv":
        actors, sizes, prop = _landscape_from_csv(path)
    else:
        data = read_yaml_mapping(path, "landscape table or scenario")
        if "sizes" not in data:
            scenario = parse_scenario(data, path)
            _check_actor_count(path, len(scenario.actors))
            return landscape_from_scenario(scenario, str(path))
        if isinstance(data["sizes"], dict):
            _check_actor_count(path, len(data["sizes"]))
        actors, sizes, prop = _landscape_from_mapping(path, data)
    _check_actor_count(path, len(actors))
    if not np.allclose(prop, prop.T):
        raise InputError(path, "propensity", "the propensity matrix must be symmetric")
    if np.any(sizes < 0):
        raise InputError(path, "sizes", "sizes must be non-negative")
    np.fill_diagonal(prop, 0.0)
    return Landscape(actors, sizes, prop, f"table {path}")


def configuration_label(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    return " | ".join(part for part in ("+".join(sorted(a)), "+".join(sorted(b))) if part)


def landscape_markdown(result: Landscape, top: int = 10) -> str:
    ranked = result.energies()
    minima = result.minima()
    lines = [
        f"# Landscape theory: {result.source}",
        "",
        "Energy E = sum over pairs of size_i x size_j x propensity_ij for pairs in different blocs "
        "(Axelrod & Bennett 1993); the least energy is predicted.",
        "",
        "| actor | size |",
        "|---|---|",
    ]
    lines += [f"| {a} | {s:.3f} |" for a, s in zip(result.actors, result.sizes, strict=True)]
    lines += [
        "",
        "Prediction (minimum energy): "
        + "; ".join(f"**{configuration_label(a, b)}** (E = {e:.4f})" for e, a, b in minima),
        "",
        "| rank | configuration | energy |",
        "|---|---|---|",
    ]
    for k, (e, a, b) in enumerate(ranked[:top], start=1):
        lines.append(f"| {k} | {configuration_label(a, b)} | {e:.4f} |")
    lines.append("")
    return "\n".join(lines)
