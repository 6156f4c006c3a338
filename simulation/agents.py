"""Country agents: thin holders of identity and of their own decisions' explanations.

An agent does not compute its choices itself: the model calls the shared rules for all
actors at once (simulation/rules), and each agent then records what it chose towards
each partner and why (its utility terms), in the DataCollector's ``decisions`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .rules.step import StepRecord
from .rules.utility import SIGNS, TERMS
from .state import LEVEL_LABELS, Intent

if TYPE_CHECKING:
    from .model import AllianceModel


class CountryAgent(mesa.Agent):
    """One power (Russia, China, US, India, EU or any actor a scenario adds)."""

    def __init__(self, model: AllianceModel, name: str, index: int):
        super().__init__(model)
        self.name = name
        self.index = index
        self.last_intents: dict[str, Intent] = {}

    def record_decisions(self, record: StepRecord) -> None:
        """Log this agent's intent towards every partner with the weighted utility terms."""
        model: AllianceModel = self.model  # type: ignore[assignment]
        i = self.index
        weights = model.params.term_weights[0] * SIGNS
        self.last_intents = {}
        for j, partner in enumerate(model.world.actors):
            if j == i:
                continue
            before = int(record.level_before[0, i, j])
            after = int(record.level_after[0, i, j])
            intent = Intent(int(record.intent[0, i, j]))
            self.last_intents[partner] = intent
            contributions = record.terms[0, i, j] * weights
            row = {
                "step": record.step,
                "actor": self.name,
                "partner": partner,
                "level_before": before,
                "level_after": after,
                "intent": intent.name.lower(),
                "desire": float(record.desire[0, i, j]),
                "raise_threshold": float(model.raise_threshold(before)),
                "lower_threshold": float(model.lower_threshold(before)),
            }
            for name, value in zip(TERMS, contributions, strict=True):
                row[f"term_{name}"] = float(value)
            row["noise"] = float(record.desire[0, i, j] - np.sum(contributions))
            model.datacollector.add_table_row("decisions", row)

    def relationship(self, partner: str) -> str:
        model: AllianceModel = self.model  # type: ignore[assignment]
        return LEVEL_LABELS[model.level(self.name, partner)]
