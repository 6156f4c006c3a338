"""What a finished policy search writes: tables, the held-out re-evaluation, scenario discovery on failures,
figures and a report in words. Every table is written atomically and its SHA-256 recorded in the manifest."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.strategy import folder as sealed
from simulation.strategy.robust import non_dominated
from simulation.strategy.search import SearchState, objective_matrix, reference_policies, robust_table
from simulation.strategy.worlds import WorldSet, posterior, uncertainty_names, uncertainty_table
from simulation.sweeps.folder import sha256_bytes, write_bytes_atomically


def _write_table(state: SearchState, name: str, df: pd.DataFrame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink)
    data = sink.getvalue()
    write_bytes_atomically(state.out / name, data)
    state.manifest.setdefault("files", {})[name] = sha256_bytes(data)


def objective_records(state: SearchState) -> list[dict[str, Any]]:
    spec = state.search.spec
    rows = []
    for o in spec.objectives:
        r = o.robustness
        rows.append(
            {
                "column": o.column,
                "measure": o.measure,
                "kind": "cost" if o.cost else "outcome",
                "direction": o.direction,
                "statistic": r.statistic,
                "percentile": r.percentile if r.statistic in ("percentile", "regret") else None,
                "threshold": r.threshold,
                "optimised": "minimised" if o.minimised else "maximised",
            }
        )
    return rows


def write_outputs(state: SearchState) -> int:
    """Write every output of a finished search; returns the number of policies on the front."""
    search, out, manifest = state.search, state.out, state.manifest
    spec = search.spec
    keys = list(state.policies)
    table = robust_table(state, "search", keys, state.worlds)
    F, G = objective_matrix(state, table)
    feasible = np.ones(len(keys), bool) if G is None else np.all(G <= 0, axis=1)
    front = set(non_dominated(F, None if G is None else feasible).tolist())
    levers = pd.DataFrame([state.policies[k] for k in keys], columns=search.lever_names)
    evaluations = pd.concat([pd.DataFrame({"key": keys}), levers], axis=1)
    evaluations.insert(1, "generation", [state.first_generation[k] for k in keys])
    for column in table.columns:
        evaluations[column] = table[column].to_numpy()
    evaluations["feasible"] = feasible
    evaluations["pareto"] = [i in front for i in range(len(keys))]
    pareto = evaluations[evaluations["pareto"]].drop(columns=["pareto"]).reset_index(drop=True)
    _write_table(state, "evaluations.parquet", evaluations)
    _write_table(state, "pareto.parquet", pareto)
    _write_table(state, "per_draw.parquet", per_draw_long(state, "search", keys, state.worlds))

    ref_keys, _ = reference_policies(search)
    references = robust_table(state, "search", ref_keys, state.worlds).reset_index()
    references.insert(0, "policy", [k.removeprefix("ref.") for k in ref_keys])
    beaten = beaten_by_front(state, references, pareto)
    references["front_dominates_or_equals"] = [b is not None for b in beaten]
    references["by_policy"] = [b or "" for b in beaten]
    _write_table(state, "reference_policies.parquet", references)

    reeval = reevaluation(state, pareto)
    if reeval is not None:
        _write_table(state, "reevaluation.parquet", reeval)
    convergence = convergence_table(state)
    data = convergence.to_csv(index=False).encode()
    write_bytes_atomically(out / "convergence.csv", data)
    manifest["files"]["convergence.csv"] = sha256_bytes(data)
    failures = failure_analysis(state, pareto)

    from simulation.strategy.figures import write_figures

    write_figures(state, evaluations, pareto, references, convergence, failures)
    text = report_text(state, evaluations, pareto, references, reeval, convergence, failures)
    write_bytes_atomically(out / "report.md", text.encode())
    manifest["files"]["report.md"] = sha256_bytes(text.encode())
    post = posterior()
    manifest.update(
        {
            "objectives": objective_records(state),
            "constraints": [c.model_dump(mode="json") for c in spec.constraints],
            "levers": [lv.model_dump(mode="json", exclude_none=True) for lv in spec.levers],
            "seeds": {
                "master_seed": spec.search.master_seed,
                "rule": "streams of SeedSequence(master_seed, spawn_key=(s,)): 1 posterior draws, 2 search seeds, "
                "3 held-out seeds, 4 deep-uncertainty sample, 5 the algorithm",
                "posterior_rows_search": state.worlds.draw_index.tolist(),
                "posterior_rows_holdout": [] if state.holdout is None else state.holdout.draw_index.tolist(),
            },
            "budget": {
                "population": spec.search.population,
                "generations": spec.search.generations,
                "policies_proposed": spec.search.population * spec.search.generations,
                "policies_evaluated": len(keys),
                "draws": state.worlds.draws,
                "replicates": state.worlds.replicates,
                "runs_per_policy": state.worlds.runs,
                "runs_search": len(keys) * state.worlds.runs,
            },
            "posterior": {"table_sha256": post.manifest.get("table_sha256"), "method": post.manifest.get("method")},
            "algorithm": "NSGA-II (pymoo), levers encoded on [0, 1]",
            "pareto_policies": len(pareto),
        }
    )
    return len(pareto)


def per_draw_long(state: SearchState, set_name: str, keys: list[str], worlds: WorldSet) -> pd.DataFrame:
    values = np.stack([state.values[f"{set_name}:{k}"] for k in keys])  # [P, D, M]
    P, D, M = values.shape
    df = pd.DataFrame(
        {
            "key": np.repeat(keys, D),
            "draw": np.tile(np.arange(D), P),
            "posterior_row": np.tile(worlds.draw_index, P),
            "weight": np.tile(worlds.weights, P),
        }
    )
    for m, name in enumerate(state.measures):
        df[name] = values[:, :, m].ravel()
    return df


def beaten_by_front(state: SearchState, references: pd.DataFrame, pareto: pd.DataFrame) -> list[str | None]:
    """For each named policy, a front policy that is no worse on every objective (None if there is none)."""
    if references.empty or pareto.empty:
        return [None] * len(references)
    Fr, _ = objective_matrix(state, references)
    Fp, _ = objective_matrix(state, pareto)
    out = []
    for row in Fr:
        ok = np.flatnonzero(np.all(Fp <= row + 1e-12, axis=1))
        out.append(None if ok.size == 0 else str(pareto["key"].iloc[ok[0]]))
    return out


def reevaluation(state: SearchState, pareto: pd.DataFrame) -> pd.DataFrame | None:
    """The front on held-out draws and fresh seeds: each robust objective in and out of sample."""
    if state.holdout is None or pareto.empty:
        return None
    keys = pareto["key"].tolist()
    held = robust_table(state, "holdout", keys, state.holdout)
    rows = pd.DataFrame({"key": keys})
    for o in state.search.spec.objectives:
        rows[f"{o.column}_search"] = pareto[o.column].to_numpy()
        rows[f"{o.column}_holdout"] = held[o.column].to_numpy()
        rows[f"{o.column}_change"] = rows[f"{o.column}_holdout"] - rows[f"{o.column}_search"]
    return rows


def convergence_table(state: SearchState) -> pd.DataFrame:
    """Per generation: policies evaluated so far, the front's size and its hypervolume (objectives
    normalised by the range every evaluated policy spans; reference point 1.1)."""
    from simulation.strategy.search import hypervolume

    keys = list(state.policies)
    table = robust_table(state, "search", keys, state.worlds)
    F, G = objective_matrix(state, table)
    feasible = np.ones(len(keys), bool) if G is None else np.all(G <= 0, axis=1)
    gens = np.array([state.first_generation[k] for k in keys])
    ideal, nadir = F.min(axis=0), F.max(axis=0)
    rows = []
    for g in range(1, int(gens.max()) + 1):
        seen = gens <= g
        idx = np.flatnonzero(seen)
        front = idx[non_dominated(F[idx], feasible[idx] if G is not None else None)]
        rows.append(
            {
                "generation": g,
                "policies_evaluated": int(seen.sum()),
                "front_size": int(front.size),
                "hypervolume": hypervolume(F[front], ideal, nadir),
            }
        )
    return pd.DataFrame(rows)


def chosen_policies(state: SearchState, pareto: pd.DataFrame, count: int) -> list[str]:
    """Front policies to examine: the best on each objective in turn (distinct), up to ``count``."""
    chosen: list[str] = []
    for o in state.search.spec.objectives:
        if len(chosen) >= count or pareto.empty:
            break
        ordered = pareto.sort_values(o.column, ascending=o.minimised, kind="stable")
        for key in ordered["key"]:
            if key not in chosen:
                chosen.append(key)
                break
    return chosen


def world_inputs(state: SearchState) -> pd.DataFrame:
    """One row per world (search draws, then held-out draws): the posterior parameters of its draw and its
    deep-uncertainty values."""
    post = posterior()
    sets = [state.worlds] + ([state.holdout] if state.holdout is not None else [])
    samples = np.concatenate([post.samples[w.draw_index] for w in sets])
    x = pd.DataFrame(samples, columns=list(post.keys))
    table = uncertainty_table(state.search)
    names = uncertainty_names(state.search)
    if names:
        rows = np.concatenate([w.uncertainty_row for w in sets])
        for path, name in names.items():
            x[name] = [table[r][path] for r in rows]
    return x.loc[:, x.std() > 0]


def failure_analysis(state: SearchState, pareto: pd.DataFrame) -> list[dict[str, Any]]:
    """PRIM on the worlds where each chosen front policy fails, with a sentence naming the parameters."""
    fail = state.search.spec.failure
    if fail is None or fail.policies == 0:
        return []
    from simulation.analysis.discovery import prim_boxes
    from simulation.core.errors import InputError

    x = world_inputs(state)
    m = state.measures.index(fail.measure)
    out = []
    for key in [*chosen_policies(state, pareto, fail.policies), *(f"ref.{n}" for n in fail.named)]:
        per_draw = [state.values[f"search:{key}"][:, m]]
        if state.holdout is not None and f"holdout:{key}" in state.values:
            per_draw.append(state.values[f"holdout:{key}"][:, m])
        values = np.concatenate(per_draw)
        xs = x.iloc[: values.size]
        y = values > fail.above if fail.above is not None else values < fail.below
        rule = f"{fail.measure} {'>' if fail.above is not None else '<'} {fail.above if fail.above is not None else fail.below:g}"
        entry: dict[str, Any] = {
            "key": key,
            "policy": describe_policy(state, key),
            "worlds": int(values.size),
            "failing": int(y.sum()),
            "rule": rule,
            "result": None,
        }
        if y.sum() < 3 or y.all():
            entry["words"] = f"fails ({rule} in a draw) in {int(y.sum())} of {values.size} worlds: " + (
                "too few for scenario discovery." if y.sum() < 3 else "in every world."
            )
        else:
            try:  # a box must concentrate failures well above their share in all worlds
                result = prim_boxes(xs, y, min_density=max(0.8, 0.5 + y.mean() / 2))
            except InputError:
                result = None
            entry["result"] = result
            entry["words"] = failure_words(rule, y, result)
        out.append(entry)
    return out


def describe_policy(state: SearchState, key: str) -> str:
    """'named policy high_us_pressure' or 'front policy 4f78e6ec (us_rule containment, pressure_on_china 0.31, ...)'."""
    if key.startswith("ref."):
        return f"named policy {key.removeprefix('ref.')}"
    values = state.policies[key]
    shown = ", ".join(
        f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items() if v is not None
    )
    return f"front policy {key[:8]} ({shown})"


def failure_words(rule: str, y: np.ndarray, result: Any) -> str:
    share = f"fails ({rule} in a draw) in {int(y.sum())} of {y.size} worlds ({y.mean():.0%})"
    if result is None or result.limits.empty:
        return share + "; PRIM finds no box that concentrates the failures."
    parts = []
    for name, row in result.limits.iterrows():
        at_low = np.isclose(row["min"], row["swept_min"])
        at_high = np.isclose(row["max"], row["swept_max"])
        if at_low and not at_high:
            parts.append(f"{name} is below {row['max']:.3g}")
        elif at_high and not at_low:
            parts.append(f"{name} is above {row['min']:.3g}")
        else:
            parts.append(f"{name} is between {row['min']:.3g} and {row['max']:.3g}")
    return (
        f"{share}; it fails mostly when {' and '.join(parts)} (PRIM box: {result.coverage:.0%} of the failures "
        f"lie inside, {result.density:.0%} of the worlds inside fail)."
    )


def _markdown(df: pd.DataFrame) -> str:
    return df.to_markdown(index=False, floatfmt=".3f")


def report_text(state, evaluations, pareto, references, reeval, convergence, failures) -> str:
    spec = state.search.spec
    objectives = [o.column for o in spec.objectives]
    lines = [
        f"# Policy search: {spec.title}",
        "",
        f"{len(evaluations):,} distinct policies evaluated ({spec.search.population} x {spec.search.generations} "
        f"proposed by NSGA-II), each on the same {state.worlds.draws} posterior draws x {state.worlds.replicates} "
        f"runs ({state.worlds.runs:,} runs per policy). {len(pareto)} policies are on the front.",
        "",
        "Objectives: "
        + "; ".join(
            f"{r['column']} ({r['direction']} {r['measure']}, {r['statistic']}; {r['optimised']})"
            for r in objective_records(state)
        )
        + ".",
        "",
        "## Named policies against the front",
        "",
        _markdown(references[["policy", *objectives, "front_dominates_or_equals"]])
        if not references.empty
        else "(none)",
        "",
    ]
    unbeaten = (
        references.loc[~references["front_dominates_or_equals"], "policy"].tolist() if not references.empty else []
    )
    if unbeaten:
        lines += [
            f"Not dominated or equalled by any front policy: {', '.join(unbeaten)}. Their rules or schedules lie "
            "outside what the levers can express, or the search's budget did not reach them.",
            "",
        ]
    if reeval is not None:
        lines += ["## Out of sample (held-out draws, fresh seeds)", ""]
        for o in objectives:
            change = reeval[f"{o}_change"]
            lines.append(
                f"- {o}: mean change {change.mean():+.3f}, mean absolute change {change.abs().mean():.3f}, "
                f"largest {change.abs().max():.3f}"
            )
        lines.append("")
    if failures:
        lines += ["## Where the chosen policies fail", ""]
        for f in failures:
            lines.append(f"- {f['policy']} {f['words']}")
        lines.append("")
    last = convergence.iloc[-1]
    lines += [
        "## Convergence",
        "",
        f"Hypervolume {convergence['hypervolume'].iloc[0]:.3f} after generation 1, {last['hypervolume']:.3f} after "
        f"generation {int(last['generation'])} (front of {int(last['front_size'])}).",
        "",
    ]
    return "\n".join(lines)


def read_outputs(folder: Path) -> dict[str, Any]:
    """A finished search's tables (verified against the manifest's hashes) and its manifest.

    Parameters
    ----------
    folder
        A finished policy search's folder.

    Returns
    -------
    dict
        ``manifest``, and each Parquet table by its name without the suffix (pandas DataFrames).

    Raises
    ------
    InputError
        Not a finished search, or a table changed since it was written.
    """
    from simulation.core.errors import InputError
    from simulation.sweeps.folder import read_manifest, sha256_file

    folder = Path(folder)
    manifest, why = read_manifest(folder)
    if manifest is None or not sealed.is_search_manifest(manifest):
        raise InputError(folder, None, f"not a policy-search folder ({why or 'another kind of manifest'})")
    if not manifest.get("complete"):
        raise InputError(folder, None, "the policy search is not finished; finish it with --resume")
    out: dict[str, Any] = {"manifest": manifest}
    for name, sha in (manifest.get("files") or {}).items():
        path = folder / name
        if not path.is_file() or sha256_file(path) != sha:
            raise InputError(path, None, "does not match the hash the manifest recorded; not read")
        if name.endswith(".parquet"):
            out[name.removesuffix(".parquet")] = pd.read_parquet(path)
    return out
