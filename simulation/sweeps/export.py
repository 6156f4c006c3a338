"""Long-format ("tidy") export of sweep results, for R, spreadsheets and anything without Parquet.

A results table has one row per run and one column per outcome. The long format has one row per
run and outcome: the run's identifiers (``run``, ``point``, ``replicate``, ``seed`` and every
swept quantity) repeated, then ``outcome``, ``value`` (a number; null where the outcome is null,
e.g. ``alliance_month`` of a run that never allied) and ``text`` (for category outcomes such as
``blocs``). A per-month trajectory becomes one row per month (``outcome = "trajectory"``, with
``month``). Seeds stay int64, so R's arrow and every CSV reader read them exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.errors import InputError

#: Identifier columns of a results table (kept on every long row), before the swept quantities.
ID_COLUMNS = ("run", "point", "replicate", "seed")


def long_format(df: pd.DataFrame, factors: list[str] | None = None) -> pd.DataFrame:
    """One row per run and outcome (see the module docstring). Nothing is dropped."""
    factors = [f for f in (factors or []) if f in df.columns]
    ids = [c for c in ID_COLUMNS if c in df.columns] + [f for f in factors if f not in ID_COLUMNS]
    outcomes = [c for c in df.columns if c not in ids]
    pieces = []
    for name in outcomes:
        col = df[name]
        if name == "trajectory":
            traj = np.stack(col.to_numpy()).astype(float)
            months = traj.shape[1]
            part = df.loc[df.index.repeat(months), ids].reset_index(drop=True)
            part["outcome"] = name
            part["month"] = pd.array(np.tile(np.arange(months), len(df)), dtype="Int64")
            part["value"] = traj.ravel()
            part["text"] = pd.array([None] * len(part), dtype="string")
        else:
            part = df[ids].reset_index(drop=True).copy()
            part["outcome"] = name
            part["month"] = pd.array([pd.NA] * len(df), dtype="Int64")
            if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                part["value"] = pd.to_numeric(col.astype("Float64"), errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                )
                part["text"] = pd.array([None] * len(df), dtype="string")
            else:
                part["value"] = np.nan
                part["text"] = col.astype("string").to_numpy()
        pieces.append(part)
    out = pd.concat(pieces, ignore_index=True)
    out["value"] = out["value"].astype("Float64")  # NaN -> null: "never" stays null, not a number
    if "seed" in out:
        out["seed"] = out["seed"].astype("int64")
    return out


def export_long(results: Path, out: Path, csv: bool = False, overwrite: bool = False) -> Path:
    """Write the long format of ``results`` (a results.parquet or its folder) to ``out``.

    Parquet keeps the sweep's manifest in its metadata; CSV gets it as ``<out>.manifest.json``.
    An existing ``out`` is not replaced unless ``overwrite``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.sweeps.execute import read_results

    df, manifest = read_results(Path(results))
    if out.exists() and not overwrite:
        raise InputError(out, None, "exists; not overwritten (use --overwrite or another --out)")
    factors = list(manifest.get("design", {}).get("factors", []))
    long = long_format(df, factors)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if csv:
        long.to_csv(tmp, index=False, na_rep="")
        (out.parent / (out.name + ".manifest.json")).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    else:
        table = pa.Table.from_pandas(long, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"alliance_sim_manifest"] = json.dumps(manifest).encode()
        pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(out)
    return out
