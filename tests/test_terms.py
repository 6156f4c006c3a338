"""The declaration of the utility terms (simulation/rules/terms.py) is what the compiled rules do.

In the manner of the Axelrod library's classifier tests, each declared property of a Term is
checked against the behaviour of the kernels: its weight key exists, the kernel weighs it with
its declared sign, raising the term (or a registry family it declares in ``reads``) moves the
desire in the direction of its sign, and a treaty term moves the treaty desire only.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.rules import kernels as K
from simulation.rules.params import field_name
from simulation.rules.terms import EVERY_RUNG, TERM_NAMES, TERMS, TREATY_ONLY, Term, term
from tests.kernel_cases import behaviour, month, shipped

IDS = [t.name for t in TERMS]
WEIGHT_FIELDS = [field_name(t.weight) for t in TERMS]


def test_terms_match_the_kernel_layout():
    """The kernels index terms by position: the table's order, size and rung split are theirs."""
    assert len(TERMS) == K.N_TERMS == len(set(TERM_NAMES))
    positions = {n: getattr(K, f"T_{n.upper()}", None) for n in TERM_NAMES}
    positions["shared_threat"], positions["economic_stake"], positions["entrapment"] = K.T_SHARED, K.T_STAKE, K.T_ENTRAP
    assert [positions[n] for n in TERM_NAMES] == list(range(K.N_TERMS))
    # form_desire adds the terms from T_CAPABILITY on to the treaty desire only
    treaty_positions, every_positions = tuple(range(K.T_CAPABILITY, K.N_TERMS)), tuple(range(K.T_CAPABILITY))
    assert (treaty_positions, every_positions) == (TREATY_ONLY, EVERY_RUNG)
    assert term("autonomy") is TERMS[K.T_AUTONOMY]


@pytest.mark.parametrize("t", TERMS, ids=IDS)
def test_declaration_is_well_formed(t: Term, registry):
    assert t.sign in (-1, +1) and t.rung in ("every", "treaty")
    assert t.weight == ("weight." if t.rung == "every" else "treaty_weight.") + t.name
    assert t.weight in registry, f"{t.weight} is not a registry key"
    assert field_name(t.weight) in behaviour().dtype.names  # the rules can read it
    families = {p.family for p in registry}
    assert set(t.reads) <= families, f"{t.name} reads unknown families {set(t.reads) - families}"
    assert t.label and t.rests_on[:3].isdigit() and '"' in t.rests_on


@pytest.mark.parametrize("k, t", list(enumerate(TERMS)), ids=IDS)
def test_kernel_weighs_each_term_with_its_declared_sign_and_weight(k, t: Term):
    w = K.term_weights(behaviour(**{t.weight: 0.7})[0])
    expect = np.zeros(K.N_TERMS)
    expect[k] = t.sign * 0.7
    np.testing.assert_allclose(w, expect)


def _desires(terms, weights):
    n = terms.shape[0]
    desire, treaty = np.zeros((n, n)), np.zeros((n, n))
    K.form_desire(terms, weights, np.zeros((n, n)), np.zeros(n * (n - 1)), 0.0, desire, treaty)
    return desire, treaty


@pytest.mark.parametrize("k, t", list(enumerate(TERMS)), ids=IDS)
def test_raising_the_term_moves_the_desire_its_way(k, t: Term):
    """With the registry's weights: one more unit of the term moves the desire (or, for a treaty
    term, only the treaty desire) by sign * weight."""
    rec = shipped("baseline_2018_2021").behaviour[0]
    weights = K.term_weights(rec)
    terms = np.full((2, 2, K.N_TERMS), 0.3)
    base_d, base_t = _desires(terms, weights)
    terms[0, 1, k] += 1.0
    d, tr = _desires(terms, weights)
    step = t.sign * rec[field_name(t.weight)]
    assert step != 0.0  # a term with a zero registry weight could not be checked
    if t.rung == "every":
        assert d[0, 1] - base_d[0, 1] == pytest.approx(step)
    else:
        assert d[0, 1] == base_d[0, 1]
    assert tr[0, 1] - base_t[0, 1] == pytest.approx(step)
    assert d[1, 0] == base_d[1, 0] and tr[1, 0] == base_t[1, 0]  # directed: (1, 0) is another decision


# --------------------------------------------------------------------------- the families each term reads

# (term, family) -> (scenario, month, (i, j) by name, registry key raised, new value, direction of the term,
# levels raised for the month {pair: level} or None). Direction -1: raising that family lowers the term
# (a larger total dilutes a trade share; a larger summit cut lowers rapport).
PROBES = {
    ("shared_threat", "threat"): ("baseline_2018_2021", 0, ("Russia", "China"), "threat.China->US", 0.7, +1, None),
    ("shared_threat", "pressure_threat_gain"): (
        "baseline_2018_2021", 20, ("Russia", "China"), "pressure_threat_gain", 0.6, +1, None),
    ("shared_threat", "coordination_threat_share"): (
        "baseline_2018_2021", 20, ("Russia", "China"), "coordination_threat_share", 1.0, +1, None),
    ("shared_threat", "bloc_threat_gain"): (
        "baseline_2018_2021", 0, ("US", "EU"), "bloc_threat_gain", 0.8, +1, {("Russia", "China"): 5}),
    ("shared_threat", "aggression_threat_gain"): (
        "hindcast_2014_2017", 3, ("US", "EU"), "aggression_threat_gain", 0.5, +1, None),
    ("economic_stake", "trade_usd_bn"): ("baseline_2018_2021", 0, ("Russia", "China"), "trade_usd_bn.China-Russia",
                                         150.0, +1, None),
    ("economic_stake", "total_trade_usd_bn"): (
        "baseline_2018_2021", 0, ("Russia", "China"), "total_trade_usd_bn.Russia", 800.0, -1, None),
    ("economic_stake", "arms_export_share"): (
        "baseline_2018_2021", 0, ("Russia", "China"), "arms_export_share.Russia->China", 0.2, +1, None),
    ("economic_stake", "arms_stake_weight"): (
        "baseline_2018_2021", 0, ("Russia", "China"), "arms_stake_weight", 1.0, +1, None),
    ("economic_stake", "trade_diversion_share"): (
        "baseline_2018_2021", 20, ("Russia", "China"), "trade_diversion_share", 0.8, +1, None),
    ("affinity", "liberal_democracy_index"): (
        "baseline_2018_2021", 0, ("Russia", "US"), "liberal_democracy_index.Russia", 0.3, +1, None),
    ("rapport", "rapport"): ("baseline_2018_2021", 0, ("Russia", "China"), "rapport.China-Russia", 0.95, +1, None),
    ("rapport", "pandemic_summit_reduction"): (
        "baseline_2018_2021", 30, ("Russia", "China"), "pandemic_summit_reduction", 0.9, -1, None),
    ("entrapment", "threat"): ("baseline_2018_2021", 0, ("Russia", "China"), "threat.China->India", 0.5, +1, None),
    ("entrapment", "initial_level"): (
        "baseline_2018_2021", 0, ("Russia", "China"), "initial_level.India-Russia", 4.0, +1, None),
    ("exposure", "trade_vulnerability"): (
        "baseline_2018_2021", 0, ("Russia", "China"), "trade_vulnerability.Russia", 0.9, +1, None),
    ("exposure", "trade_usd_bn"): ("baseline_2018_2021", 0, ("China", "Russia"), "trade_usd_bn.China-US", 800.0,
                                   +1, None),
    ("exposure", "threat"): ("baseline_2018_2021", 0, ("China", "Russia"), "threat.US->Russia", 0.8, +1, None),
    ("status", "status_concern"): ("baseline_2018_2021", 0, ("Russia", "China"), "status_concern.Russia", 1.0, +1,
                                   None),
    ("status", "gdp_usd_bn"): ("baseline_2018_2021", 0, ("Russia", "China"), "gdp_usd_bn.China", 20000.0, +1, None),
    ("status", "military_spending_usd_bn"): (
        "baseline_2018_2021", 0, ("Russia", "China"), "military_spending_usd_bn.China", 400.0, +1, None),
    ("status", "power_gdp_weight"): ("baseline_2018_2021", 0, ("Russia", "China"), "power_gdp_weight", 0.7, +1, None),
    ("mistrust", "mistrust"): ("baseline_2018_2021", 0, ("Russia", "China"), "mistrust.Russia->China", 0.65, +1, None),
    ("partner_threat", "threat"): ("baseline_2018_2021", 0, ("Russia", "China"), "threat.Russia->China", 0.5, +1,
                                   None),
    ("partner_threat", "pressure_threat_gain"): (
        "baseline_2018_2021", 20, ("China", "US"), "pressure_threat_gain", 0.6, +1, None),
    ("partner_threat", "aggression_threat_gain"): (
        "hindcast_2014_2017", 3, ("EU", "Russia"), "aggression_threat_gain", 0.5, +1, None),
    ("partner_threat", "order_stake"): ("hindcast_2014_2017", 3, ("India", "Russia"), "order_stake.India", 0.8, +1,
                                        None),
    ("partner_threat", "aggression_lasting_share"): (
        "hindcast_2014_2017", 30, ("EU", "Russia"), "aggression_lasting_share", 0.9, +1, None),
    ("capability", "threat"): ("baseline_2018_2021", 0, ("Russia", "China"), "threat.China->US", 0.7, +1, None),
    ("capability", "gdp_usd_bn"): ("baseline_2018_2021", 0, ("China", "Russia"), "gdp_usd_bn.Russia", 5000.0, +1,
                                   None),
    ("capability", "military_spending_usd_bn"): (
        "baseline_2018_2021", 0, ("China", "Russia"), "military_spending_usd_bn.Russia", 200.0, +1, None),
    ("underwriting", "threat"): ("baseline_2018_2021", 0, ("Russia", "China"), "threat.China->India", 0.5, +1, None),
    ("underwriting", "aggression_threat_gain"): (
        "hindcast_2014_2017", 3, ("China", "Russia"), "aggression_threat_gain", 0.5, +1, None),
    ("third_party", "threat"): ("baseline_2018_2021", 0, ("Russia", "China"), "threat.India->China", 0.7, +1, None),
    ("third_party", "initial_level"): (
        "baseline_2018_2021", 0, ("Russia", "China"), "initial_level.India-Russia", 4.0, +1, None),
}  # fmt: skip


def test_every_probe_is_declared_and_every_term_is_probed():
    """Probes check a declared direction; families that move a term only indirectly (through the
    perceived threat or the trade shares) are declared and covered by the converse test below."""
    declared = {(t.name, f) for t in TERMS for f in t.reads}
    assert set(PROBES) <= declared
    assert {t.name for t in TERMS if t.reads} <= {term for term, _ in PROBES}


def _actors(name):
    from tests.conftest import scenario

    return scenario(name).actors


def _only(t: Term, p):
    """The run's behaviour with every term weight zero but t's (at its registry value)."""
    rec = p.behaviour.copy()
    for f in WEIGHT_FIELDS:
        if f != field_name(t.weight):
            rec[f] = 0.0
    return p._replace(behaviour=rec)


@pytest.mark.parametrize("key", sorted(PROBES), ids=[f"{a}<-{b}" for a, b in sorted(PROBES)])
def test_raising_a_declared_family_moves_the_desire_its_way(key):
    name, family = key
    t = term(name)
    k = TERM_NAMES.index(name)
    sc, month_index, (a, b), registry_key, value, direction, raised = PROBES[key]
    assert registry_key.split(".")[0] == family
    actors = _actors(sc)
    i, j = actors.index(a), actors.index(b)
    before, after = (_only(t, shipped(sc, **v)) for v in ({}, {registry_key: value}))

    def at(p):
        level = p.initial_level[0].copy()
        for (x, y), lvl in (raised or {}).items():
            level[actors.index(x), actors.index(y)] = level[actors.index(y), actors.index(x)] = lvl
        return month(p, t=month_index, level=level, all_rungs=True)

    s0, s1 = at(before), at(after)
    moved = s1.terms[i, j, k] - s0.terms[i, j, k]
    assert np.sign(moved) == direction, f"{registry_key} = {value} moved {name}[{a}, {b}] by {moved}"
    d_desire = s1.desire[i, j] - s0.desire[i, j]
    d_treaty = s1.treaty_desire[i, j] - s0.treaty_desire[i, j]
    if t.rung == "every":
        assert np.sign(d_desire) == t.sign * direction
        assert d_treaty == pytest.approx(d_desire)
    else:
        assert d_desire == pytest.approx(0.0, abs=1e-12)
        assert np.sign(d_treaty) == t.sign * direction


def test_a_family_that_moves_a_term_is_declared_by_it():
    """The converse: raising each probed family moves only terms that declare it."""
    undeclared = set()
    for family, sc, month_index, registry_key, value in sorted(
        {(f, v[0], v[1], v[3], v[4]) for (_, f), v in PROBES.items() if v[6] is None}
    ):
        s0 = month(shipped(sc), t=month_index, all_rungs=True)
        s1 = month(shipped(sc, **{registry_key: value}), t=month_index, all_rungs=True)
        moved = np.abs(s1.terms - s0.terms).max(axis=(0, 1)) > 1e-12
        undeclared |= {(t.name, family) for k, t in enumerate(TERMS) if moved[k] and family not in t.reads}
    assert undeclared == set()


@pytest.mark.parametrize("t", TERMS, ids=IDS)
def test_explanation_sources_are_declared_from_what_the_term_reads(t: Term, registry):
    """The keys an explanation quotes come from the families the term declares it reads (or its weight), and a
    third party is named exactly when the declaration says how to pick it."""
    assert t.sources and t.meaning
    assert any("{c}" in s for s in t.sources) == (t.third_party is not None)
    families = {s.partition(".")[0] for s in t.sources}
    assert families <= set(t.reads) | {t.weight.partition(".")[0]}, families - set(t.reads)


def test_a_declared_term_is_explained_from_its_declaration(monkeypatch):
    """A toy term with its own sources and third-party rule: the explanation quotes its keys, as the run holds
    them (a symmetric pair in the order the registry lists it), with no code of the explanation's own."""
    from simulation.reporting import explain
    from simulation.world.resolve import resolve
    from simulation.world.scenario import load_scenario
    from tests.conftest import SCENARIOS

    toy = Term("toy_ideology", +1, "shared ideology", "weight.affinity", "every", ("liberal_democracy_index",),
               '001: "regime similarities"', ("rapport.{b}-{a}", "threat.{c}->{a}"),
               lambda i, j, k, level, threat: threat[k, i], "a toy term")  # fmt: skip
    monkeypatch.setitem(explain.TERMS_BY_NAME, toy.name, toy)
    resolved = resolve(load_scenario(SCENARIOS / "baseline_2018_2021.yaml"))
    russia, china, us = (resolved.index(a) for a in ("Russia", "China", "US"))
    threat = np.zeros((resolved.n, resolved.n))
    threat[us, russia] = 0.9  # the US fears Russia most: the third party the toy rule picks
    keys = explain.term_parameters("toy_ideology", resolved, russia, china, np.zeros_like(threat), threat)
    assert keys == ["rapport.China-Russia", "threat.US->Russia"]
