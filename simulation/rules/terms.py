"""The utility terms, declared once: sign, label, weight, rung, the registry families they read, the keys an
explanation quotes and the words a glossary gives.

``desire[i, j] = sum_k sign_k * weight_k * term_k[i, j] + anchor[i, j] + noise`` over the terms of
every rung; the decision to sign (or keep) a formal alliance adds the treaty terms on top:
``treaty_desire = desire + sum_{treaty k} sign_k * weight_k * term_k``. The kernels in
``kernels.py`` compute the terms in this order (their positions are read from here); explanations
(``reporting/explain.py``), the decisions table, the classroom's glossary and the declaration test
read this table instead of keeping their own copy. Adding a term: docs/adding-a-term.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: How an explanation picks the third party k a term's sources name (``{c}``): the k with the largest score.
ThirdParty = Callable[[int, int, int, np.ndarray, np.ndarray], float]


def common_adversary(i: int, j: int, k: int, level: np.ndarray, threat: np.ndarray) -> float:
    """k feared by both i and j (shared threat, capability)."""
    return float(min(threat[i, k], threat[j, k]))


def friend_the_partner_fears(i: int, j: int, k: int, level: np.ndarray, threat: np.ndarray) -> float:
    """i's partner k whom j fears (entrapment)."""
    return float(level[i, k] * threat[j, k])


def friend_who_fears_the_partner(i: int, j: int, k: int, level: np.ndarray, threat: np.ndarray) -> float:
    """i's partner k who fears j (third-party ties at risk)."""
    return float(level[i, k] * threat[k, j])


def who_fears_the_partner(i: int, j: int, k: int, level: np.ndarray, threat: np.ndarray) -> float:
    """k who fears j (trade exposure)."""
    return float(threat[k, j])


def partner_quarrel(i: int, j: int, k: int, level: np.ndarray, threat: np.ndarray) -> float:
    """k whom j fears more than i does (underwriting the partner's conflicts)."""
    return float(threat[j, k] - threat[i, k])


@dataclass(frozen=True)
class Term:
    """One utility term of actor i's desire to move closer to partner j.

    Parameters
    ----------
    name, label
        Its name (``term_<name>`` columns) and its plain words (explanations).
    sign
        +1 a benefit (pulls closer), -1 a cost (holds back).
    weight
        Registry key of its weight (``weight.<name>``, or ``treaty_weight.<name>`` for a treaty term).
    rung
        ``every``: every rung; ``treaty``: only the decision to sign or keep a formal alliance.
    reads
        Registry families the term reads (besides its weight).
    rests_on
        The document (and claim) the mechanism rests on.
    sources
        Registry keys an explanation quotes for the term, as templates: ``{a}`` the actor, ``{b}`` the
        partner, ``{c}`` the third party ``third_party`` picks; a pair key may name the pair in either order.
    third_party
        How ``{c}`` is picked (the largest score over the other actors); None when no source names it.
    meaning
        The term in a sentence for players (the classroom's glossary).
    """

    name: str
    sign: int
    label: str
    weight: str
    rung: str
    reads: tuple[str, ...]
    rests_on: str
    sources: tuple[str, ...] = ()
    third_party: ThirdParty | None = None
    meaning: str = ""


#: Families behind the perceived threat every threat-reading term uses (rules: perceive_threat).
PERCEIVED_THREAT = ("threat", "pressure_threat_gain", "coordination_threat_share", "bloc_threat_gain",
                    "aggression_threat_gain", "order_stake", "aggression_lasting_share",
                    "border_crisis_threat")  # fmt: skip
#: Families behind this month's trade shares (rules: divert_trade).
TRADE_SHARES = ("trade_usd_bn", "total_trade_usd_bn", "pressure_trade_cut", "trade_diversion_share", "initial_level")

TERMS: tuple[Term, ...] = (
    Term("shared_threat", +1, "shared threat", "weight.shared_threat", "every",
         PERCEIVED_THREAT,
         '002: "Both Russia and China share a desire to push back on a unipolar, U.S.-dominated world order"',
         ("threat.{a}->{c}", "threat.{b}->{c}", "pressure_threat_gain"), common_adversary,
         "both sides fear the same third country: the more they share a threat, the closer they want to be"),
    Term("economic_stake", +1, "economic stake", "weight.economic_stake", "every",
         (*TRADE_SHARES, "arms_export_share", "arms_stake_weight"),
         '000: "Both leaders agreed to work on boosting trade"',
         ("trade_usd_bn.{a}-{b}", "total_trade_usd_bn.{a}", "arms_export_share.{a}->{b}"), None,
         "how much of your trade (and arms sales) goes to this partner"),
    Term("affinity", +1, "regime affinity", "weight.affinity", "every", ("liberal_democracy_index",),
         '001: "regime similarities"',
         ("liberal_democracy_index.{a}", "liberal_democracy_index.{b}"), None,
         "how alike the two political systems are"),
    Term("rapport", +1, "leader rapport", "weight.rapport", "every", ("rapport", "pandemic_summit_reduction"),
         '001: "the personal relationship between the rulers"',
         ("rapport.{a}-{b}",), None,
         "how well the two leaders get on (summits, personal ties)"),
    Term("entrapment", -1, "entrapment risk", "weight.entrapment", "every", (*PERCEIVED_THREAT, "initial_level"),
         '004: "China\u2019s tense relations with India illustrate how costly a military alliance could become"',
         ("threat.{b}->{c}", "initial_level.{a}-{c}"), friend_the_partner_fears,
         "the risk of being dragged into the partner's conflicts with countries you want to keep as friends"),
    Term("exposure", -1, "trade exposure", "weight.exposure", "every",
         ("trade_vulnerability", *TRADE_SHARES, *PERCEIVED_THREAT),
         '001: "China is warier of antagonizing that order\u2019s ultimate guarantor, the United States"',
         ("trade_vulnerability.{a}", "threat.{c}->{b}", "trade_usd_bn.{a}-{c}"), who_fears_the_partner,
         "trade you could lose with the partner's adversaries if you move closer"),
    Term("status", -1, "junior-partner status cost", "weight.status", "every",
         ("status_concern", "gdp_usd_bn", "military_spending_usd_bn", "power_gdp_weight"),
         '000: "would not allow it to accept a de facto junior partner status"',
         ("status_concern.{a}", "gdp_usd_bn.{a}", "gdp_usd_bn.{b}"), None,
         "the cost of becoming the junior partner of a much stronger country"),
    Term("mistrust", -1, "historical mistrust", "weight.mistrust", "every", ("mistrust",),
         '001: "hardly ideally set up to build mutual trust"',
         ("mistrust.{a}->{b}",), None,
         "historical grievances that make closer ties harder"),
    Term("partner_threat", -1, "threat from the partner itself", "weight.partner_threat", "every",
         PERCEIVED_THREAT,
         '000: "Russia\u2019s relations have been tense, after the Crimean and Ukrainian crises of 2014"',
         ("threat.{a}->{b}",), None,
         "how much you fear the partner itself (after its aggression, or when it pressures you): "
         "the more you fear it, the less you want to move closer"),
    Term("capability", +1, "partner's capability against the common adversary", "treaty_weight.capability",
         "treaty", (*PERCEIVED_THREAT, "gdp_usd_bn", "military_spending_usd_bn", "power_gdp_weight"),
         '004: "Russia\u2019s limited capability to support China in the latter\u2019s rivalry with the US"',
         ("threat.{a}->{c}", "threat.{b}->{c}", "pressure_threat_gain"), common_adversary,
         "what the partner could add against a common adversary (counts only for a formal alliance)"),
    Term("underwriting", -1, "underwriting the partner's conflicts", "treaty_weight.underwriting", "treaty",
         PERCEIVED_THREAT,
         '004: "mutual unwillingness to underwrite the other side\u2019s most aggressive policies"',
         ("threat.{b}->{c}", "aggression_threat_gain"), partner_quarrel,
         "having to back the partner's most aggressive policies (counts only for a formal alliance)"),
    Term("autonomy", -1, "loss of autonomy", "treaty_weight.autonomy", "treaty", (),
         '000: "neither is interested in an alliance relationship"',
         ("treaty_weight.autonomy",), None,
         "the freedom of action a formal alliance takes away"),
    Term("third_party", -1, "ties with third partners put at risk", "treaty_weight.third_party", "treaty",
         (*PERCEIVED_THREAT, "initial_level"),
         '004: "Any genuine alliance with China would force Moscow to loosen its ties with India"',
         ("threat.{c}->{b}", "initial_level.{a}-{c}"), friend_who_fears_the_partner,
         "ties with third countries that a formal alliance would strain"),
)  # fmt: skip

TERM_NAMES: tuple[str, ...] = tuple(t.name for t in TERMS)
EVERY_RUNG: tuple[int, ...] = tuple(k for k, t in enumerate(TERMS) if t.rung == "every")
TREATY_ONLY: tuple[int, ...] = tuple(k for k, t in enumerate(TERMS) if t.rung == "treaty")
_EXPECTED_SPLIT = (tuple(range(len(EVERY_RUNG))), tuple(range(len(EVERY_RUNG), len(TERMS))))
if (EVERY_RUNG, TREATY_ONLY) != _EXPECTED_SPLIT:
    raise ValueError("terms.TERMS must list every-rung terms first, then the treaty terms (form_desire splits there)")


def term(name: str) -> Term:
    return TERMS[TERM_NAMES.index(name)]
