"""Country agents: thin holders of identity and of their own decisions' explanations.

An agent does not compute its choices itself: the model calls the shared rules for all
actors at once (simulation/rules), and each agent then records what it chose towards
each partner and why (its weighted utility terms), in the DataCollector's ``decisions`` table.
"""

from __future__ import annotations

from typing import Any

import mesa

from simulation.core.ladder import MAX_LEVEL, Intent
from simulation.drivers.records import MonthRecord
from simulation.rules.kernels import term_weights
from simulation.rules.terms import TERM_NAMES, TREATY_ONLY


class CountryAgent(mesa.Agent):
    """One power (Russia, China, US, India, EU or any actor a scenario adds)."""

    def __init__(self, model: mesa.Model, name: str, index: int):
        super().__init__(model)
        self.name = name
        self.index = index
        self.last_intents: dict[str, Intent] = {}

    def record_decisions(self, record: MonthRecord) -> None:
        """Log this agent's intent towards every partner with the weighted utility terms."""
        model: Any = self.model  # the AllianceModel
        i = self.index
        weights = term_weights(model.params.behaviour[0])
        self.last_intents = {}
        for j, partner in enumerate(model.actors):
            if j == i:
                continue
            before = int(record.level_before[i, j])
            intent = Intent(int(record.intent[i, j]))
            self.last_intents[partner] = intent
            contributions = record.terms[i, j] * weights
            treaty_rung = before >= MAX_LEVEL - 1
            row = {
                "step": record.month,
                "actor": self.name,
                "partner": partner,
                "level_before": before,
                "level_after": int(record.level_after[i, j]),
                "partner_intent": Intent(int(record.intent[j, i])).name.lower(),
                "intent": intent.name.lower(),
                "desire": float(record.desire[i, j]),
                "treaty_desire": float(record.treaty_desire[i, j]),
                "raise_threshold": float(model.raise_threshold(before)),
                "lower_threshold": float(model.lower_threshold(before)),
                "consent_months": int(record.consent_months[i, j]),
            }
            for k, (name, value) in enumerate(zip(TERM_NAMES, contributions, strict=True)):
                # treaty terms count only for the decision to sign or keep a formal alliance
                row[f"term_{name}"] = float(value) if (treaty_rung or k not in TREATY_ONLY) else 0.0
            every = sum(float(contributions[k]) for k in range(len(TERM_NAMES)) if k not in TREATY_ONLY)
            row["anchor"] = float(model.anchor[i, j])
            row["noise"] = float(record.desire[i, j] - every - model.anchor[i, j])
            model.datacollector.add_table_row("decisions", row)
