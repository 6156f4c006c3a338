"""The parameter registry: every default of the model with its unit, range and sources.

The data live in ``simulation/data/registry.yaml``; this module validates them (pydantic,
unknown keys forbidden) and offers look-ups by key. Each family declares its shape, and the key of an entry follows it: ``family`` for a scalar,
``family.Actor`` for a per-actor value, ``family.A-B`` for a symmetric pair, ``family.A->B`` for
a directed pair (A's view of B) and ``family.name`` for a named set of scalars (the weights of
the terms, the ladder's bars). Code that needs to know which families are per actor or per pair
(the scenario's checks, ``world/build.py``'s arrays, the dashboard) reads the declaration here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["input", "derived-input", "model", "evidence"]
#: What a family's entries are indexed by: one value per actor, per symmetric pair ("A-B"), per directed
#: pair ("A->B"), a single value, or a set of named scalars (``of`` names a term, a rung, an instrument).
Shape = Literal["actor", "pair", "directed_pair", "scalar", "named"]
#: The shapes whose entries name actors (checked against a scenario's actors).
ACTOR_SHAPES: tuple[Shape, ...] = ("actor", "pair", "directed_pair")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentSource(_Strict):
    """A seed document and a short verbatim quote from it."""

    document: Annotated[str, Field(pattern=r"^\d{3}_[0-9a-f]{16}\.txt$")]
    quote: Annotated[str, Field(min_length=8, max_length=300)]

    def cite(self) -> str:
        return f'{self.document}: "{self.quote}"'


class PublicSource(_Strict):
    """A named public source for a number the documents do not give."""

    public: Annotated[str, Field(min_length=8)]

    def cite(self) -> str:
        return f"public: {self.public}"


class AssumptionSource(_Strict):
    """A labelled modelling assumption with a one-line rationale."""

    assumption: Annotated[str, Field(min_length=8)]

    def cite(self) -> str:
        return f"assumption: {self.assumption}"


Source = DocumentSource | PublicSource | AssumptionSource


class Entry(_Strict):
    """One quantity in a family."""

    of: str | None = None
    value: float
    range: tuple[float, float]
    sources: Annotated[list[Source], Field(min_length=1)]
    #: Why calibration leaves this behavioural parameter at its documented value (not identifiable from the
    #: calibration patterns); None: calibrated when it has a range.
    not_calibrated: Annotated[str, Field(min_length=8)] | None = None

    @model_validator(mode="after")
    def _range_spans_value(self) -> Entry:
        low, high = self.range
        if not low <= self.value <= high:
            raise ValueError(f"value {self.value} lies outside its range [{low}, {high}]")
        return self


def split_pair(text: str) -> tuple[str, str, bool] | None:
    """``("A", "B", directed)`` of a pair suffix ``A->B`` (directed) or ``A-B`` (symmetric), else None."""
    if "->" in text:
        a, b = text.split("->", 1)
        return a, b, True
    if "-" in text:
        a, b = text.split("-", 1)
        return a, b, False
    return None


def shape_of_suffix(of: str | None) -> Shape:
    """The shape an entry's ``of`` is written in (``None`` a scalar; a name: an actor or a named scalar)."""
    if of is None:
        return "scalar"
    pair = split_pair(of)
    if pair is None:
        return "actor"
    return "directed_pair" if pair[2] else "pair"


class Family(_Strict):
    """One family of quantities: its unit, role, bounds, shape and entries.

    ``shape`` says what the entries are indexed by (see ``Shape``); ``kind`` whether the values are
    whole numbers (ladder rungs, months); ``unlisted`` (per-actor families only) the value an actor the
    registry does not list takes (without it, every actor of a scenario needs a value, from the registry
    or the scenario's ``parameters:``); ``read_at: build`` marks a behavioural family used while building
    the arrays, not by the rules month by month (it is not part of the behaviour record).
    """

    family: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    unit: str
    description: str
    role: Role
    shape: Shape
    kind: Literal["real", "integer"] = "real"
    unlisted: float | None = None
    read_at: Literal["run", "build"] = "run"
    bounds: tuple[float, float]
    entries: Annotated[list[Entry], Field(min_length=1)]

    @model_validator(mode="after")
    def _entries_within_bounds(self) -> Family:
        lo, hi = self.bounds
        for entry in self.entries:
            if not (lo <= entry.range[0] and entry.range[1] <= hi):
                raise ValueError(f"{self.family}.{entry.of}: range outside bounds [{lo}, {hi}]")
        return self

    @model_validator(mode="after")
    def _entries_fit_shape(self) -> Family:
        for entry in self.entries:
            written = shape_of_suffix(entry.of)
            fits = written == self.shape or (self.shape == "named" and written == "actor")
            if not fits:
                raise ValueError(f"{self.family}.{entry.of}: an entry of a family of shape {self.shape}")
        if self.shape == "scalar" and len(self.entries) != 1:
            raise ValueError(f"{self.family}: a scalar family has one entry")
        if self.unlisted is not None and self.shape != "actor":
            raise ValueError(f"{self.family}: only a per-actor family takes `unlisted`")
        return self


class Parameter(_Strict):
    """A flattened registry entry, addressed by its key."""

    key: str
    family: str
    of: str | None
    unit: str
    description: str
    role: Role
    value: float
    low: float
    high: float
    min: float
    max: float
    sources: tuple[Source, ...]
    shape: Shape = "scalar"
    kind: Literal["real", "integer"] = "real"
    unlisted: float | None = None
    read_at: Literal["run", "build"] = "run"
    not_calibrated: str | None = None


class RegistryFile(_Strict):
    families: list[Family]


class Registry:
    """Look-ups over the validated registry. Immutable; build overrides with ``with_values``.

    Parameters
    ----------
    parameters
        The entries by key (``Registry.from_file`` reads them from a registry file).
    """

    def __init__(self, parameters: dict[str, Parameter]):
        self._parameters = dict(parameters)
        self._shapes: dict[str, Shape] | None = None

    @classmethod
    def from_file(cls, path: Path | None = None) -> Registry:
        """Read and validate a registry file.

        Parameters
        ----------
        path
            A registry YAML file (default: the one shipped in the package).

        Returns
        -------
        Registry
            The flattened entries, by key.

        Raises
        ------
        pydantic.ValidationError, ValueError
            An unknown key, a value outside its range or bounds, an entry written in another shape than
            its family declares, a duplicate key, or a pair family without an unlisted-pair default.
        """
        if path is None:
            text = resources.files("simulation").joinpath("data/registry.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        parsed = RegistryFile.model_validate(yaml.safe_load(text))
        parameters: dict[str, Parameter] = {}
        for fam in parsed.families:
            for entry in fam.entries:
                key = fam.family if entry.of is None else f"{fam.family}.{entry.of}"
                if key in parameters:
                    raise ValueError(f"registry: duplicate key {key}")
                parameters[key] = Parameter(
                    key=key,
                    family=fam.family,
                    of=entry.of,
                    unit=fam.unit,
                    description=fam.description,
                    role=fam.role,
                    value=entry.value,
                    low=entry.range[0],
                    high=entry.range[1],
                    min=fam.bounds[0],
                    max=fam.bounds[1],
                    sources=tuple(entry.sources),
                    shape=fam.shape,
                    kind=fam.kind,
                    unlisted=fam.unlisted,
                    read_at=fam.read_at,
                    not_calibrated=entry.not_calibrated,
                )
        registry = cls(parameters)
        registry.check_pair_defaults()
        return registry

    def check_pair_defaults(self) -> None:
        """Every pair family has a value for the pairs no one lists (``unlisted_pair_default.<family>``)."""
        for family in self.families_of_shape("pair", "directed_pair"):
            if f"unlisted_pair_default.{family}" not in self:
                raise ValueError(f"registry: pair family {family} needs an entry unlisted_pair_default.{family}")

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __len__(self) -> int:
        return len(self._parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def keys(self) -> list[str]:
        """Every key of the registry, in registry order.

        Returns
        -------
        list of str
            The keys (``family`` or ``family.of``).
        """
        return list(self._parameters)

    def value(self, key: str) -> float:
        """The value of one entry.

        Parameters
        ----------
        key
            A registry key, e.g. ``status_concern.China``.

        Returns
        -------
        float
            Its value.

        Raises
        ------
        KeyError
            The registry has no such key.
        """
        return self._parameters[key].value

    def get(self, key: str, default: float) -> float:
        """Value of ``key`` or ``default`` when the registry has no such entry.

        Parameters
        ----------
        key
            A registry key.
        default
            The value to return when the key is not in the registry.

        Returns
        -------
        float
            The entry's value, or ``default``.
        """
        param = self._parameters.get(key)
        return default if param is None else param.value

    def family(self, family: str) -> dict[str | None, Parameter]:
        """Every entry of one family, by what it is of (an actor, a pair; None for a scalar).

        Parameters
        ----------
        family
            A family name, e.g. ``status_concern``.

        Returns
        -------
        dict
            ``of`` -> entry (empty for an unknown family).
        """
        return {p.of: p for p in self._parameters.values() if p.family == family}

    def shapes(self) -> dict[str, Shape]:
        """Every family's declared shape, in registry order.

        Returns
        -------
        dict
            Family name -> shape (``actor``, ``pair``, ``directed_pair``, ``scalar`` or ``named``).
        """
        if self._shapes is None:
            shapes: dict[str, Shape] = {}
            for p in self._parameters.values():
                shapes.setdefault(p.family, p.shape)
            self._shapes = shapes
        return dict(self._shapes)

    def families_of_shape(self, *shapes: Shape) -> tuple[str, ...]:
        """The families declared with one of ``shapes``, in registry order.

        Parameters
        ----------
        *shapes
            Any of ``actor``, ``pair``, ``directed_pair``, ``scalar``, ``named``.

        Returns
        -------
        tuple of str
            Family names.
        """
        return tuple(f for f, shape in self.shapes().items() if shape in shapes)

    def required_actor_families(self) -> tuple[str, ...]:
        """Per-actor families every actor of a scenario needs a value of (those without ``unlisted``).

        Returns
        -------
        tuple of str
            Family names, in registry order.
        """
        return tuple(f for f in self.families_of_shape("actor") if self.first(f).unlisted is None)

    def first(self, family: str) -> Parameter:
        """The first entry of ``family`` (it carries the family's unit, bounds, shape and kind).

        Parameters
        ----------
        family
            A family name.

        Returns
        -------
        Parameter
            Its first entry.
        """
        return next(p for p in self._parameters.values() if p.family == family)

    def with_values(self, values: dict[str, float]) -> Registry:
        """A copy with some values replaced (scenario ``parameters`` or a sweep point).

        Parameters
        ----------
        values
            Registry key -> new value (each key must exist).

        Returns
        -------
        Registry
            The copy; this registry is not changed.
        """
        updated = dict(self._parameters)
        for key, value in values.items():
            updated[key] = updated[key].model_copy(update={"value": float(value)})
        return Registry(updated)


@functools.cache
def default_registry() -> Registry:
    """The registry shipped with the package (parsed once per process)."""
    return Registry.from_file()


# --------------------------------------------------------------------------- rendering


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fmt(value: float) -> str:
    return f"{value:g}"


def registry_rows(registry: Registry) -> list[dict[str, str]]:
    rows = []
    for p in registry:
        rows.append(
            {
                "key": p.key,
                "value": _fmt(p.value),
                "range": f"{_fmt(p.low)} - {_fmt(p.high)}",
                "unit": p.unit,
                "role": p.role,
                "sources": "; ".join(s.cite() for s in p.sources),
            }
        )
    return rows


def registry_markdown(registry: Registry) -> str:
    """The registry as a Markdown table (for a paper appendix or a handout)."""
    lines = [
        "# alliance-sim parameter registry",
        "",
        "Every quantity the model uses, with its unit, value, documented range and sources.",
        "Document ids refer to the five source texts (see the README's 'Sources' section).",
        "",
        "| key | value | range | unit | role | sources |",
        "|---|---|---|---|---|---|",
    ]
    for row in registry_rows(registry):
        lines.append("| " + " | ".join(_cell(row[c]) for c in row) + " |")
    lines.append("")
    return "\n".join(lines)


_WS = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Collapse whitespace and join hyphenated line breaks, so quotes match wrapped text."""
    text = re.sub(r"-\s*\n\s*", "-", text)
    return _WS.sub(" ", text).strip()
