"""Field types shared by the scenario schema and the event kinds: strict models, bounded numbers, actor names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Step = Annotated[int, Field(ge=0, le=10_000)]
ActorName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_ ]{0,39}$")]


class Strict(BaseModel):
    """A model that refuses unknown keys and non-finite numbers."""

    model_config = ConfigDict(extra="forbid", frozen=False, allow_inf_nan=False)
