"""The utility terms, declared once: sign, label, weight, rung and the registry families they read.

``desire[i, j] = sum_k sign_k * weight_k * term_k[i, j] + anchor[i, j] + noise`` over the terms of
every rung; the decision to sign (or keep) a formal alliance adds the treaty terms on top:
``treaty_desire = desire + sum_{treaty k} sign_k * weight_k * term_k``. The kernels in
``kernels.py`` compute the terms in this order; explanations, the decisions table and the
declaration test read this table instead of keeping their own copy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One utility term of actor i's desire to move closer to partner j."""

    name: str
    sign: int  # +1 a benefit (pulls closer), -1 a cost (holds back)
    label: str  # plain words for explanations
    weight: str  # registry key of its weight
    rung: str  # "every": every rung; "treaty": only the formal alliance
    reads: tuple[str, ...]  # registry families the term reads (besides its weight)
    rests_on: str  # the document (and claim) the mechanism rests on


#: Families behind the perceived threat every threat-reading term uses (rules: perceive_threat).
PERCEIVED_THREAT = ("threat", "pressure_threat_gain", "coordination_threat_share", "bloc_threat_gain",
                    "aggression_threat_gain", "order_stake", "aggression_lasting_share",
                    "border_crisis_threat")  # fmt: skip
#: Families behind this month's trade shares (rules: divert_trade).
TRADE_SHARES = ("trade_usd_bn", "total_trade_usd_bn", "pressure_trade_cut", "trade_diversion_share", "initial_level")

TERMS: tuple[Term, ...] = (
    Term("shared_threat", +1, "shared threat", "weight.shared_threat", "every",
         PERCEIVED_THREAT,
         '002: "Both Russia and China share a desire to push back on a unipolar, U.S.-dominated world order"'),
    Term("economic_stake", +1, "economic stake", "weight.economic_stake", "every",
         (*TRADE_SHARES, "arms_export_share", "arms_stake_weight"),
         '000: "Both leaders agreed to work on boosting trade"'),
    Term("affinity", +1, "regime affinity", "weight.affinity", "every", ("liberal_democracy_index",),
         '001: "regime similarities"'),
    Term("rapport", +1, "leader rapport", "weight.rapport", "every", ("rapport", "pandemic_summit_reduction"),
         '001: "the personal relationship between the rulers"'),
    Term("entrapment", -1, "entrapment risk", "weight.entrapment", "every", (*PERCEIVED_THREAT, "initial_level"),
         '004: "China\u2019s tense relations with India illustrate how costly a military alliance could become"'),
    Term("exposure", -1, "trade exposure", "weight.exposure", "every",
         ("trade_vulnerability", *TRADE_SHARES, *PERCEIVED_THREAT),
         '001: "China is warier of antagonizing that order\u2019s ultimate guarantor, the United States"'),
    Term("status", -1, "junior-partner status cost", "weight.status", "every",
         ("status_concern", "gdp_usd_bn", "military_spending_usd_bn", "power_gdp_weight"),
         '000: "would not allow it to accept a de facto junior partner status"'),
    Term("mistrust", -1, "historical mistrust", "weight.mistrust", "every", ("mistrust",),
         '001: "hardly ideally set up to build mutual trust"'),
    Term("partner_threat", -1, "threat from the partner itself", "weight.partner_threat", "every",
         PERCEIVED_THREAT,
         '000: "Russia\u2019s relations have been tense, after the Crimean and Ukrainian crises of 2014"'),
    Term("capability", +1, "partner's capability against the common adversary", "treaty_weight.capability",
         "treaty", (*PERCEIVED_THREAT, "gdp_usd_bn", "military_spending_usd_bn", "power_gdp_weight"),
         '004: "Russia\u2019s limited capability to support China in the latter\u2019s rivalry with the US"'),
    Term("underwriting", -1, "underwriting the partner's conflicts", "treaty_weight.underwriting", "treaty",
         PERCEIVED_THREAT,
         '004: "mutual unwillingness to underwrite the other side\u2019s most aggressive policies"'),
    Term("autonomy", -1, "loss of autonomy", "treaty_weight.autonomy", "treaty", (),
         '000: "neither is interested in an alliance relationship"'),
    Term("third_party", -1, "ties with third partners put at risk", "treaty_weight.third_party", "treaty",
         (*PERCEIVED_THREAT, "initial_level"),
         '004: "Any genuine alliance with China would force Moscow to loosen its ties with India"'),
)  # fmt: skip

TERM_NAMES: tuple[str, ...] = tuple(t.name for t in TERMS)
EVERY_RUNG: tuple[int, ...] = tuple(k for k, t in enumerate(TERMS) if t.rung == "every")
TREATY_ONLY: tuple[int, ...] = tuple(k for k, t in enumerate(TERMS) if t.rung == "treaty")
_EXPECTED_SPLIT = (tuple(range(len(EVERY_RUNG))), tuple(range(len(EVERY_RUNG), len(TERMS))))
if (EVERY_RUNG, TREATY_ONLY) != _EXPECTED_SPLIT:
    raise ValueError("terms.TERMS must list every-rung terms first, then the treaty terms (form_desire splits there)")


def term(name: str) -> Term:
    return TERMS[TERM_NAMES.index(name)]
