"""The rules, compiled: one month of one run, written as the equations of MODEL.md.

Both drivers call ``advance_run`` and nothing else to move the state (invariant 1): the Mesa
model once per month for its single run, the batch engine (``run_runs``) for every run of a
block of runs inside one compiled loop. Each rule is a small ``@njit`` function over one run's
arrays; ``p`` is a ``Params`` (leading run axis R = 1 or B: ``row`` picks the run's row)
and ``beh`` the run's behaviour record (registry keys, "." written "__").

The monthly rules index ``p``'s arrays in place (``p.threat[r, i, j]``) rather than taking
slices of them, and are compiled without reference counting (``RULE``): those atomic counts,
not the arithmetic, were most of a month's cost.

Order of a month (every actor decides simultaneously on last month's levels):
1. ``apply_policy``: this month's pressure and coordination, after the pressurer's policy rule;
2. ``advance_random_events`` and ``perceive_threat``: threat perception after pressure,
   crises, aggression and bloc feedback;
3. ``divert_trade``: trade after pressure cuts and diversion to aligned partners;
4. ``weigh_terms`` and ``form_desire``: the utility terms (terms.py) and the desires;
5. ``form_intents``: raise / hold / lower from desire and the ladder's bars;
6. ``resolve_consent``: raising needs both sides (a treaty, consent held for months);
   either side can lower.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.rules import rng
from simulation.rules.compiling import ENTRY, RULE, CompiledCopies
from simulation.rules.params import (
    ENTENTE,
    MAX_LEVEL,
    N_TERMS,
    ROLE_FOCAL_A,
    ROLE_FOCAL_B,
    ROLE_POLICY,
    ROLE_PRESSURER,
    new_work,
)
from simulation.rules.rng import fill_normals, run_key
from simulation.rules.terms import TERM_NAMES, TERMS, TREATY_ONLY

_at = TERM_NAMES.index

PER_RUNG = 1.0 / MAX_LEVEL  # a level as a share of the ladder: level * PER_RUNG
# positions in terms.TERMS, read from the declaration (compile-time constants for the kernels)
T_SHARED, T_STAKE, T_AFFINITY = _at("shared_threat"), _at("economic_stake"), _at("affinity")
T_RAPPORT, T_ENTRAP, T_EXPOSURE = _at("rapport"), _at("entrapment"), _at("exposure")
T_STATUS, T_MISTRUST, T_PARTNER_THREAT = _at("status"), _at("mistrust"), _at("partner_threat")
T_CAPABILITY, T_UNDERWRITING = _at("capability"), _at("underwriting")
T_AUTONOMY, T_THIRD_PARTY = _at("autonomy"), _at("third_party")
#: Each term's declared sign (+1 a benefit, -1 a cost), by position.
SIGN = tuple(float(t.sign) for t in TERMS)
#: The first treaty-only term: form_desire adds terms from here on to the treaty desire only.
FIRST_TREATY_TERM = TREATY_ONLY[0]

# How every rule is compiled (RULE, ENTRY) and why: rules/compiling.py. The entry points Python calls are
# compiled as ``COMPILED.entry``: their calls go to wrapper-less copies of the rules (bound at the end).
COMPILED = CompiledCopies()


@njit(**RULE)
def row(x, b):
    """Run b's index into an array with a leading run axis of 1 (shared) or B."""
    return b if x.shape[0] > 1 else 0


@COMPILED.entry(RULE)
def fill_thresholds(beh, th):
    """The ladder's bars: ``th[L]`` is the desire needed to climb to level L (th[0] unused)."""
    th[0] = -np.inf
    th[1] = beh.threshold__normal
    th[2] = beh.threshold__partnership
    th[3] = beh.threshold__strategic_partnership
    th[4] = beh.threshold__entente
    th[5] = beh.threshold__formal_alliance


def thresholds(beh):
    """``fill_thresholds`` into a new array (for Python callers)."""
    th = np.empty(MAX_LEVEL + 1)
    fill_thresholds(beh, th)
    return th


@COMPILED.entry(RULE)
def fill_term_weights(beh, w):
    """Signed weights in the order of terms.TERMS: each term's declared sign times its registry weight (a new
    term adds its line here; tests/test_terms.py checks every line against the declaration)."""
    w[T_SHARED] = SIGN[T_SHARED] * beh.weight__shared_threat
    w[T_STAKE] = SIGN[T_STAKE] * beh.weight__economic_stake
    w[T_AFFINITY] = SIGN[T_AFFINITY] * beh.weight__affinity
    w[T_RAPPORT] = SIGN[T_RAPPORT] * beh.weight__rapport
    w[T_ENTRAP] = SIGN[T_ENTRAP] * beh.weight__entrapment
    w[T_EXPOSURE] = SIGN[T_EXPOSURE] * beh.weight__exposure
    w[T_STATUS] = SIGN[T_STATUS] * beh.weight__status
    w[T_MISTRUST] = SIGN[T_MISTRUST] * beh.weight__mistrust
    w[T_PARTNER_THREAT] = SIGN[T_PARTNER_THREAT] * beh.weight__partner_threat
    w[T_CAPABILITY] = SIGN[T_CAPABILITY] * beh.treaty_weight__capability
    w[T_UNDERWRITING] = SIGN[T_UNDERWRITING] * beh.treaty_weight__underwriting
    w[T_AUTONOMY] = SIGN[T_AUTONOMY] * beh.treaty_weight__autonomy
    w[T_THIRD_PARTY] = SIGN[T_THIRD_PARTY] * beh.treaty_weight__third_party


def term_weights(beh):
    """``fill_term_weights`` into a new array (for Python callers)."""
    w = np.empty(N_TERMS)
    fill_term_weights(beh, w)
    return w


# --------------------------------------------------------------------------- 1. policy


@njit(**RULE)
def apply_policy(p, b, t, level, beh, pth, ptr, coord):
    """This month's pressure (threat and trade indices) per target and coordination ``coord[c, k]`` of each
    coordinating actor c with the pressure on target k, after the policy.

    ``signal = (level[a, b] - initial_level[a, b]) / 5``, the focal pair's rise since the start. The
    policy rule (a plug-in of simulation/world/policies.py) is read as its reaction's coefficients: the
    pressure on focal member m changes by ``policy_gain * (on_signal[m] * signal + on_aggression[m] *
    aggression[m])`` (containment: 1 and 1 on both; engagement: -1 and 0 on both; the wedge rule: -1 on
    the courted member, +1 on its partner). Each coordinator c copies its share ``coordination_follows[c]``
    of the reaction into its coordination ``coord[c, k]``. Everything is clipped to [0, 1]. A rule without
    reaction leaves the schedules as written.
    """
    n = level.shape[0]
    r_threat, r_trade, r_coord = row(p.pressure_threat, b), row(p.pressure_trade, b), row(p.coordination, b)
    for k in range(n):
        pth[k] = p.pressure_threat[r_threat, t, k]
        ptr[k] = p.pressure_trade[r_trade, t, k]
        for c in range(n):
            coord[c, k] = p.coordination[r_coord, t, c, k]
    # read everything before branching (a read of p inside a branch costs reference counting)
    reacts, fa, fb = p.roles[ROLE_POLICY], p.roles[ROLE_FOCAL_A], p.roles[ROLE_FOCAL_B]
    signal = (level[fa, fb] - p.initial_level[row(p.initial_level, b), fa, fb]) * PER_RUNG
    r_follows = row(p.coordination_follows, b)
    aggression_a = p.aggression[row(p.aggression, b), t, fa]
    aggression_b = p.aggression[row(p.aggression, b), t, fb]
    on_signal_a, on_aggression_a = p.policy_response[0, 0], p.policy_response[0, 1]
    on_signal_b, on_aggression_b = p.policy_response[1, 0], p.policy_response[1, 1]
    if reacts == 0:
        return
    for member in range(2):
        k = fa if member == 0 else fb
        if member == 0:
            reaction = on_signal_a * signal + on_aggression_a * aggression_a
        else:
            reaction = on_signal_b * signal + on_aggression_b * aggression_b
        change = beh.policy_gain * reaction
        pth[k] = min(1.0, max(0.0, pth[k] + change))
        ptr[k] = min(1.0, max(0.0, ptr[k] + change))
        for c in range(n):
            follows = p.coordination_follows[r_follows, c]
            if follows != 0.0:
                coord[c, k] = min(1.0, max(0.0, coord[c, k] + follows * change))


# --------------------------------------------------------------------------- 2. threat


@njit(**RULE)
def advance_random_events(p, b, timer, z, first):
    """Timers after this month's draws ``z[first + e]``: an idle event breaks out when ``z < Phi^-1(prob)``."""
    r_cutoff, r_duration = row(p.random_cutoff, b), row(p.random_duration, b)
    for e in range(timer.shape[0]):
        if timer[e] > 0:
            timer[e] -= 1
        elif z[first + e] < p.random_cutoff[r_cutoff, e]:
            timer[e] = p.random_duration[r_duration, e]


@njit(**RULE)
def perceive_threat(p, b, t, level, timer, beh, pth, coord, thr):
    """Threat perception ``thr[i, j]`` of j by i this month, in [0, 1].

    ``thr = threat + gain * pressure[i] * ([j = pressurer] + share * coord[j, i])
    + gain * pressure[j] * ([i = pressurer] + share * coord[i, j])`` (``coord[c, k]``: coordinator c's
    coordination with the pressure on k, 0 for an actor that does not coordinate) (the pressure's
    target fears those who apply it, and they name it a threat: 004, "put Beijing on par with Moscow as
    a designated threat to US interests")
    + crisis_threat * crises[i, j] + aggression_gain * stake[i] * aggression[j]
    + bloc_gain * sum_m max(0, level[j, m] - level0[j, m]) / 5 * threat[i, m]``.
    """
    n = level.shape[0]
    base, l0 = row(p.threat, b), row(p.initial_level, b)
    crisis, stake = row(p.crisis, b), row(p.aggression_stake, b)
    pressurer = p.roles[ROLE_PRESSURER]
    for i in range(n):
        for j in range(n):
            if i == j:
                thr[i, j] = 0.0
                continue
            v = p.threat[base, i, j] + beh.border_crisis_threat * p.crisis[crisis, t, i, j]
            v += beh.aggression_threat_gain * p.aggression_stake[stake, t, i, j]
            if j == pressurer:
                v += beh.pressure_threat_gain * pth[i]
            if coord[j, i] != 0.0:  # j coordinates with the pressure on i
                v += beh.pressure_threat_gain * beh.coordination_threat_share * coord[j, i] * pth[i]
            # threat perception is mutual: whoever applies the pressure names its target a threat
            if i == pressurer:
                v += beh.pressure_threat_gain * pth[j]
            if coord[i, j] != 0.0:
                v += beh.pressure_threat_gain * beh.coordination_threat_share * coord[i, j] * pth[j]
            closer = 0.0
            for m in range(n):
                rise = level[j, m] - p.initial_level[l0, j, m]
                if rise > 0:
                    closer += rise * PER_RUNG * p.threat[base, i, m]
            thr[i, j] = v + beh.bloc_threat_gain * closer
    intensity = row(p.random_intensity, b)
    for e in range(timer.shape[0]):
        if timer[e] > 0:
            a, c = p.random_pairs[e, 0], p.random_pairs[e, 1]
            rise = beh.border_crisis_threat * p.random_intensity[intensity, e]
            thr[a, c] += rise
            thr[c, a] += rise
    for i in range(n):
        for j in range(n):
            thr[i, j] = min(1.0, max(0.0, thr[i, j]))


# --------------------------------------------------------------------------- 3. trade


@njit(**RULE)
def divert_trade(p, b, level, beh, ptr, coord, trade, share, cut):
    """Bilateral trade this month (USD bn) and trade shares ``share[i, j] = trade[i, j] / total[i]``.

    Pressure on k cuts k's trade with the pressurer by ``cut * ptr[k]`` and with each coordinator c
    by that times ``coord[c, k]`` (a cut pair loses trade both ways); a share ``diversion`` of
    each actor's lost trade goes to its partners in proportion to alignment level.
    """
    n = level.shape[0]
    base, total = row(p.trade_usd_bn, b), row(p.total_trade_usd_bn, b)
    pressurer = p.roles[ROLE_PRESSURER]
    for i in range(n):
        for j in range(n):
            cut[i, j] = 0.0
    for k in range(n):
        c = beh.pressure_trade_cut * ptr[k]
        cut[k, pressurer] = max(cut[k, pressurer], c)
        cut[pressurer, k] = max(cut[pressurer, k], c)
        for m in range(n):
            if coord[m, k] != 0.0:  # m coordinates with the pressure on k
                cc = c * coord[m, k]
                cut[k, m] = max(cut[k, m], cc)
                cut[m, k] = max(cut[m, k], cc)
    for i in range(n):
        cut[i, i] = 0.0
    for i in range(n):
        for j in range(n):
            trade[i, j] = p.trade_usd_bn[base, i, j] * (1.0 - cut[i, j])
    for i in range(n):
        lost = 0.0
        pull = 0.0
        for k in range(n):
            lost += p.trade_usd_bn[base, i, k] * cut[i, k]
            pull += level[i, k] * PER_RUNG * (1.0 - cut[i, k])
        if pull <= 0.0 or lost <= 0.0:
            continue
        for k in range(n):
            if k != i:
                moved = beh.trade_diversion_share * lost * level[i, k] * PER_RUNG * (1.0 - cut[i, k]) / pull
                trade[i, k] += moved
                trade[k, i] += moved
    for i in range(n):
        for j in range(n):
            share[i, j] = trade[i, j] / p.total_trade_usd_bn[total, i]


# --------------------------------------------------------------------------- 4. terms and desire


@njit(**RULE)
def weigh_terms(p, b, t, level, beh, thr, share, terms, all_rungs):
    """The unweighted, unsigned utility terms ``terms[i, j, k]`` in the order of terms.TERMS.

    every rung:
    - shared_threat ``sum_k min(thr[i, k], thr[j, k])``: a common adversary (balance of threat);
    - economic_stake ``share[i, j] + arms_stake_weight * arms_export_share[i, j]``;
    - affinity, rapport (times this month's summitry factor), mistrust: pair data;
    - entrapment ``sum_k level[i, k] / 5 * thr[j, k]``: i's friends whom j fears;
    - exposure ``vulnerability[i] * sum_k share[i, k] * thr[k, j]``: i's trade with those who fear j;
    - status ``status_concern[i] * max(0, power[j] - power[i]) / (power[i] + power[j])``;
    - partner_threat ``thr[i, j]``: the threat i perceives from j itself (balance of threat: an
      aggression, pressure or a crisis that makes j more threatening to i pushes i away from j);
    treaty only:
    - capability ``sum_k min(thr[i, k], thr[j, k]) * min(1, power[j] / power[k])``: what j adds
      against each common adversary;
    - underwriting ``sum_k max(0, thr[j, k] - thr[i, k]) + aggression_threat_gain * aggression[j]``:
      j's quarrels i does not share, and j's ongoing aggression;
    - autonomy ``1``: a treaty binds;
    - third_party ``sum_k level[i, k] / 5 * thr[k, j]``: i's partners who fear j would drift away.
    The sums run over third parties k (k != i, j). The treaty terms are computed for pairs at
    entente or above (where they count), or for every pair when ``all_rungs`` (the anchors need
    the treaty desire at any level; explanations show them).
    """
    n = level.shape[0]
    power, concern, vulnerability = row(p.power, b), row(p.status_concern, b), row(p.trade_vulnerability, b)
    arms, affinity, rapport = row(p.arms_export_share, b), row(p.affinity, b), row(p.rapport, b)
    summitry, mistrust, aggression = row(p.rapport_factor, b), row(p.mistrust, b), row(p.aggression, b)
    for i in range(n):
        for j in range(n):
            # read the pair's data before branching (a read of p inside a branch costs reference counting)
            arms_ij, affinity_ij = p.arms_export_share[arms, i, j], p.affinity[affinity, i, j]
            rapport_ij = p.rapport[rapport, i, j] * p.rapport_factor[summitry, t, i, j]
            mistrust_ij, aggression_j = p.mistrust[mistrust, i, j], p.aggression[aggression, t, j]
            p_i, p_j = p.power[power, i], p.power[power, j]
            concern_i, vulnerability_i = p.status_concern[concern, i], p.trade_vulnerability[vulnerability, i]
            if i == j:
                for k in range(N_TERMS):
                    terms[i, j, k] = 0.0
                continue
            shared = 0.0
            entrap = 0.0
            expo = 0.0
            for k in range(n):
                if k == i or k == j:
                    continue
                shared += min(thr[i, k], thr[j, k])
                entrap += level[i, k] * PER_RUNG * thr[j, k]
                expo += share[i, k] * thr[k, j]
            terms[i, j, T_SHARED] = shared
            terms[i, j, T_STAKE] = share[i, j] + beh.arms_stake_weight * arms_ij
            terms[i, j, T_AFFINITY] = affinity_ij
            terms[i, j, T_RAPPORT] = rapport_ij
            terms[i, j, T_ENTRAP] = entrap
            terms[i, j, T_EXPOSURE] = vulnerability_i * expo
            terms[i, j, T_STATUS] = concern_i * max(0.0, p_j - p_i) / (p_i + p_j)
            terms[i, j, T_MISTRUST] = mistrust_ij
            terms[i, j, T_PARTNER_THREAT] = thr[i, j]
            # the treaty terms count only at entente and above (signing or keeping a treaty)
            treaty = level[i, j] >= ENTENTE or all_rungs
            capability = 0.0
            underwrite = 0.0
            third = 0.0
            for k in range(n if treaty else 0):
                if k == i or k == j:
                    continue
                capability += min(thr[i, k], thr[j, k]) * min(1.0, p_j / p.power[power, k])
                underwrite += max(0.0, thr[j, k] - thr[i, k])
                third += level[i, k] * PER_RUNG * thr[k, j]
            aggressor = beh.aggression_threat_gain * aggression_j
            terms[i, j, T_CAPABILITY] = capability
            terms[i, j, T_UNDERWRITING] = underwrite + aggressor if treaty else 0.0
            terms[i, j, T_AUTONOMY] = 1.0 if treaty else 0.0
            terms[i, j, T_THIRD_PARTY] = third


@njit(**RULE)
def form_desire(terms, weights, anchor, z, noise_sd, desire, treaty_desire):
    """``desire = sum_every w_k term_k + anchor + noise_sd * z``; ``treaty_desire = desire + sum_treaty w_k term_k``."""
    n = terms.shape[0]
    for i in range(n):
        for j in range(n):
            if i == j:
                desire[i, j] = 0.0
                treaty_desire[i, j] = 0.0
                continue
            d = anchor[i, j] + noise_sd * z[i * (n - 1) + (j if j < i else j - 1)]
            for k in range(FIRST_TREATY_TERM):
                d += weights[k] * terms[i, j, k]
            extra = 0.0
            for k in range(FIRST_TREATY_TERM, N_TERMS):
                extra += weights[k] * terms[i, j, k]
            desire[i, j] = d
            treaty_desire[i, j] = d + extra


# --------------------------------------------------------------------------- 5-6. intents and consent


@njit(**RULE)
def desire_at(level, desire, treaty_desire):
    """The desire that counts at a rung: the treaty desire for a formal alliance, the desire below it."""
    return treaty_desire if level == MAX_LEVEL else desire


@njit(**RULE)
def form_intents(level, desire, treaty_desire, th, hysteresis, intent):
    """Raise when the desire for the next rung exceeds its bar; lower when the desire at the
    current rung L falls under ``th[L] - (L + 1) * hysteresis`` (deeper ties are stickier)."""
    n = level.shape[0]
    for i in range(n):
        for j in range(n):
            if i == j:
                intent[i, j] = 0
                continue
            L = level[i, j]
            up = L < MAX_LEVEL and desire_at(L + 1, desire[i, j], treaty_desire[i, j]) > th[min(L + 1, MAX_LEVEL)]
            down = L > 0 and desire_at(L, desire[i, j], treaty_desire[i, j]) < th[L] - (L + 1) * hysteresis
            intent[i, j] = -1 if down else (1 if up else 0)


@njit(**RULE)
def resolve_consent(intent, level, streak, treaty_steps):
    """New levels: both must want to climb; a formal alliance needs ``treaty_steps`` months of it; either lowers."""
    n = level.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            L = level[i, j]
            lower = (intent[i, j] == -1 or intent[j, i] == -1) and L > 0
            both = intent[i, j] == 1 and intent[j, i] == 1 and L < MAX_LEVEL
            s = 0
            new = L
            if lower:
                new = L - 1
            elif both:
                if L == MAX_LEVEL - 1:
                    s = streak[i, j] + 1
                    if s >= treaty_steps:
                        new = L + 1
                        s = 0
                else:
                    new = L + 1
            level[i, j] = new
            level[j, i] = new
            streak[i, j] = s
            streak[j, i] = s


# --------------------------------------------------------------------------- resting point


@njit(**ENTRY)
def rest_desire(L, th, hysteresis, position):
    """Where a pair at level L rests: ``position`` of the way from its exit bar to the bar above.

    Exit bar ``th[L] - (L + 1) h``; the bottom and top rungs borrow the band width of their
    neighbour (they have no bar below / above).
    """
    if L == 0:
        width = th[2] - (th[1] - 2 * hysteresis)
        return th[1] - (1.0 - position) * width
    if L == MAX_LEVEL:
        width = th[MAX_LEVEL] - (th[MAX_LEVEL - 1] - MAX_LEVEL * hysteresis)
        return th[MAX_LEVEL] - (MAX_LEVEL + 1) * hysteresis + position * width
    low = th[L] - (L + 1) * hysteresis
    return low + position * (th[L + 1] - low)


def compute_anchor(ref, b, beh, anchor):
    """Each ordered pair's constant, so that the reference inputs at month 0 are a resting point.

    ``anchor[i, j] = rest(level0[i, j]) - desire0[i, j]`` where ``desire0`` is the noise-free
    desire (the treaty desire at the top rung) under the reference scenario's month-0 inputs
    and this run's behavioural parameters (in the spirit of the alternative-specific constants
    of discrete-choice models, calibrated to the observed initial state).
    """
    fill_anchor(ref, b, beh, anchor, new_work(ref.initial_level.shape[-1], ref.random_pairs.shape[0], 0, 0))


@COMPILED.entry(ENTRY)
def fill_anchor(ref, b, beh, anchor, w):
    """``compute_anchor`` with the working arrays of ``w`` (a Work): allocates nothing."""
    n = ref.initial_level.shape[-1]
    level, timer, s = w.level, w.timer, w.s
    start = row(ref.initial_level, b)
    for i in range(n):
        for j in range(n):
            level[i, j] = ref.initial_level[start, i, j]
            w.zero[i, j] = 0.0
    for e in range(timer.shape[0]):
        timer[e] = 0
    for k in range(w.quiet.shape[0]):
        w.quiet[k] = 0.0
    fill_thresholds(beh, w.th)
    fill_term_weights(beh, w.weights)
    # typed values, not literals: a literal argument would compile each rule again for that constant
    t, every_rung = np.int64(0), np.bool_(True)
    apply_policy(ref, b, t, level, beh, s.pressure_threat, s.pressure_trade, s.coordination)
    perceive_threat(ref, b, t, level, timer, beh, s.pressure_threat, s.coordination, s.threat)
    divert_trade(ref, b, level, beh, s.pressure_trade, s.coordination, s.trade, s.share, s.cut)
    weigh_terms(ref, b, t, level, beh, s.threat, s.share, s.terms, every_rung)
    form_desire(s.terms, w.weights, w.zero, w.quiet, 0.0, s.desire, s.treaty_desire)
    for i in range(n):
        for j in range(n):
            if i == j:
                anchor[i, j] = 0.0
                continue
            L = level[i, j]
            now = desire_at(L, s.desire[i, j], s.treaty_desire[i, j])
            anchor[i, j] = rest_desire(L, w.th, beh.hysteresis, beh.anchor_position) - now


# --------------------------------------------------------------------------- one month


@njit(**ENTRY)
def mark_steady_months(p, b, memo):
    """``memo.steady[t]``: run b's scheduled drivers of month t (crises, summitry, aggression and its
    stakes) equal those of month t - 1. A run's drivers are data, so this is done once per run
    (once per block when the runs share them), not every month."""
    n = p.initial_level.shape[-1]
    crisis, summitry, stake = row(p.crisis, b), row(p.rapport_factor, b), row(p.aggression_stake, b)
    aggression = row(p.aggression, b)
    for t in range(memo.steady.shape[0]):
        same = t > 0
        for i in range(n if same else 0):
            if p.aggression[aggression, t, i] != p.aggression[aggression, t - 1, i]:
                same = False
            for j in range(n):
                if (
                    p.crisis[crisis, t, i, j] != p.crisis[crisis, t - 1, i, j]
                    or p.rapport_factor[summitry, t, i, j] != p.rapport_factor[summitry, t - 1, i, j]
                    or p.aggression_stake[stake, t, i, j] != p.aggression_stake[stake, t - 1, i, j]
                ):
                    same = False  # fmt: skip
        memo.steady[t] = same


@njit(**RULE)
def inputs_unchanged(t, level, timer, s, memo):
    """True when this month's threat, trade and terms would equal last month's, bit for bit.

    They are functions of the levels, the random events under way, the pressure and
    coordination after the policy, and this month's crisis, summitry and aggression drivers:
    the memo holds the first four as they were when the terms were last computed, and
    ``memo.steady[t]`` says whether the drivers equal last month's (a chain of unchanged months
    keeps them equal).
    """
    if not memo.valid[0] or t == 0 or not memo.steady[t]:
        return False
    n = level.shape[0]
    for e in range(timer.shape[0]):
        if (timer[e] > 0) != memo.active[e]:
            return False
    for i in range(n):
        if s.pressure_threat[i] != memo.pressure_threat[i] or s.pressure_trade[i] != memo.pressure_trade[i]:
            return False
        for j in range(n):
            if level[i, j] != memo.level[i, j] or s.coordination[i, j] != memo.coordination[i, j]:
                return False
    return True


@njit(**RULE)
def remember(level, timer, s, memo):
    """Record the inputs this month's terms were computed from."""
    n = level.shape[0]
    for i in range(n):
        memo.pressure_threat[i] = s.pressure_threat[i]
        memo.pressure_trade[i] = s.pressure_trade[i]
        for j in range(n):
            memo.level[i, j] = level[i, j]
            memo.coordination[i, j] = s.coordination[i, j]
    for e in range(timer.shape[0]):
        memo.active[e] = timer[e] > 0
    memo.valid[0] = True


@COMPILED.entry(RULE)
def advance_run(p, b, t, level, streak, timer, anchor, th, weights, z, override_mask, override_intent, s, memo):
    """One month of run b. Updates ``level``, ``streak`` and ``timer`` in place; ``s`` (a Scratch)
    receives this month's pressure, threat, trade, terms, desires and intents. ``th`` and
    ``weights`` are the run's ``thresholds(beh)`` and ``term_weights(beh)``.

    ``z`` holds the month's standard normals: n*(n-1) for decision noise (ordered pairs, row by
    row, the diagonal skipped), then one per random event.
    Where ``override_mask`` is set, ``override_intent`` replaces the rule's intent (players).
    ``memo`` (a Memo): when this month's inputs equal those ``s`` holds terms for, steps 2-4
    keep them (the same numbers); pass one whose ``valid[0]`` is False to recompute.
    """
    n = level.shape[0]
    beh = p.behaviour[row(p.behaviour, b)]
    apply_policy(p, b, t, level, beh, s.pressure_threat, s.pressure_trade, s.coordination)
    advance_random_events(p, b, timer, z, n * (n - 1))
    if not inputs_unchanged(t, level, timer, s, memo):
        perceive_threat(p, b, t, level, timer, beh, s.pressure_threat, s.coordination, s.threat)
        divert_trade(p, b, level, beh, s.pressure_trade, s.coordination, s.trade, s.share, s.cut)
        weigh_terms(p, b, t, level, beh, s.threat, s.share, s.terms, np.bool_(False))  # not a literal (fill_anchor)
        remember(level, timer, s, memo)
    form_desire(s.terms, weights, anchor, z, beh.decision_noise_sd, s.desire, s.treaty_desire)
    form_intents(level, s.desire, s.treaty_desire, th, beh.hysteresis, s.intent)
    for i in range(n):
        for j in range(n):
            if override_mask[i, j]:
                s.intent[i, j] = override_intent[i, j]
    resolve_consent(s.intent, level, streak, beh.treaty_consent_steps)


# --------------------------------------------------------------------------- the batch


@COMPILED.entry(ENTRY)
def run_runs(p, ref, seeds, first, last, steps, levels, focal_trade, w):
    """Runs first .. last - 1 of a batch, one after another, on the working arrays ``w`` (a Work from
    ``params.new_work``, one per thread): fills ``levels[b]`` [steps + 1, n, n] and the focal pair's
    monthly trade ``focal_trade[b]`` [steps]. Allocates nothing and holds no GIL, so the batch
    engine calls it from several threads at once (disjoint run ranges, one Work each)."""
    n = levels.shape[-1]
    fa, fb = p.roles[ROLE_FOCAL_A], p.roles[ROLE_FOCAL_B]
    E = p.random_pairs.shape[0]
    shared = p.behaviour.shape[0] == 1 and ref.initial_level.shape[0] == 1 and ref.threat.shape[0] == 1
    level, streak, timer, s, memo = w.level, w.streak, w.timer, w.s, w.memo
    drivers = p.crisis.shape[0] == 1 and p.rapport_factor.shape[0] == 1
    drivers = drivers and p.aggression.shape[0] == 1 and p.aggression_stake.shape[0] == 1
    for b in range(first, last):
        beh = p.behaviour[row(p.behaviour, b)]
        if b == first or not shared:
            fill_anchor(ref, b, beh, w.anchor, w)
        if b == first or not drivers:
            mark_steady_months(p, b, memo)
        start = row(p.initial_level, b)
        for i in range(n):
            for j in range(n):
                level[i, j] = p.initial_level[start, i, j]
                streak[i, j] = 0
                levels[b, 0, i, j] = level[i, j]
        for e in range(E):
            timer[e] = 0
        key = run_key(seeds[b])
        memo.valid[0] = False
        for t in range(steps):
            fill_normals(key, t, w.z)
            advance_run(p, b, t, level, streak, timer, w.anchor, w.th, w.weights, w.z, w.mask, w.chosen, s, memo)
            for i in range(n):
                for j in range(n):
                    levels[b, t + 1, i, j] = level[i, j]
            focal_trade[b, t] = s.trade[fa, fb]


#: Runs per block of the threaded batch loop (each block runs on one thread).
BLOCK_RUNS = 256


# Compiled code calls copies of the rules without Python wrappers (rules/compiling.py); Python calls the
# entry points (the batch loop, the Mesa model's), whose calls go to those copies. The other rules as
# written stay callable from Python (the unit tests call each on its own) and compile only when Python does.
_ONCE_A_RUN = ("rest_desire", "fill_anchor", "mark_steady_months")
_MONTHLY = ("row", "fill_thresholds", "fill_term_weights", "apply_policy", "advance_random_events", "perceive_threat",
            "divert_trade", "weigh_terms", "form_desire", "desire_at", "form_intents", "resolve_consent",
            "inputs_unchanged", "remember", "advance_run")  # fmt: skip
COMPILED.bind(
    globals(),
    inner={**{name: RULE for name in _MONTHLY}, **{name: ENTRY for name in _ONCE_A_RUN}},
    bound={name: rng.COMPILED.inner[name] for name in ("run_key", "fill_normals")},
)
