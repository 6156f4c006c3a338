"""Long-format ("tidy") export of sweep results, for R, spreadsheets and anything without Parquet.

A results table has one row per run and one column per outcome. The long format has one row per
run and outcome: the run's identifiers (``run``, ``point``, ``replicate``, ``seed`` and every
swept quantity) repeated, then ``outcome``, ``value`` (a number; null where the outcome is null,
e.g. ``alliance_month`` of a run that never allied) and ``text`` (for category outcomes such as
``blocs``). A per-month trajectory becomes one row per month (``outcome = "trajectory"``, with
``month``). Seeds stay int64 in Parquet (R's arrow reads them exactly); in CSV they are text (``s`` and the
digits), so R's ``read.csv``, pandas and spreadsheets read them back exactly without any option.
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
    """One row per run and outcome (see the module docstring). Nothing is dropped.

    Parameters
    ----------
    df
        A sweep's results table (one row per run).
    factors
        The swept quantities' columns, kept on every row beside the run's identifiers.

    Returns
    -------
    pandas.DataFrame
        The long table: identifiers, factors, ``outcome``, ``month``, ``value`` and ``text``.
    """
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


#: Seeds in a CSV are text with this prefix: R's read.csv, spreadsheets and other readers turn digit
#: strings into doubles (53 bits), and nearly every seed is above 2**53; a letter keeps them exact everywhere.
CSV_SEED_PREFIX = "s"

#: How the CSV's columns read back (copied into the CSV's .manifest.json).
CSV_NOTES = {
    "seed": f"text: '{CSV_SEED_PREFIX}' + the run's int64 seed in decimal (alliance-sim run --seed takes the digits)",
    "run": "whole number below 2**53: the run's id (with master_seed and the manifest's seed_rule it gives the seed)",
    "empty field": "null (an outcome that did not happen, e.g. alliance_month of a run that never allied)",
    "value": "decimal, shortest text that reads back to the same 64-bit double",
}


def csv_frame(long: pd.DataFrame) -> pd.DataFrame:
    """The long table as the CSV holds it: seeds as text (see ``CSV_SEED_PREFIX``), everything else as is.

    Parameters
    ----------
    long
        The long table (:func:`long_format`).

    Returns
    -------
    pandas.DataFrame
        A copy with the seed column as text.
    """
    out = long.copy()
    if "seed" in out:
        out["seed"] = CSV_SEED_PREFIX + out["seed"].astype("int64").astype(str)
    return out


def write_csv(long: pd.DataFrame, path: Path) -> None:
    """Write the long table as CSV: UTF-8, comma-separated, a header row, nulls as empty fields,
    floats in their shortest exact decimal form, seeds as text.

    Parameters
    ----------
    long
        The long table (:func:`long_format`).
    path
        The CSV file to write.
    """
    csv_frame(long).to_csv(path, index=False, na_rep="", lineterminator="\n", encoding="utf-8")


def read_csv(path: Path) -> pd.DataFrame:
    """Read an exported CSV back into the long table's types (the seed as int64).

    Parameters
    ----------
    path
        A CSV written by :func:`write_csv` (``alliance-sim export --csv``).

    Returns
    -------
    pandas.DataFrame
        The long table, with the types it had before it was written.
    """
    df = pd.read_csv(path, dtype={"seed": "string", "outcome": "string", "text": "string"}, keep_default_na=False,
                     na_values={"value": [""], "month": [""]})  # fmt: skip
    if "seed" in df:
        df["seed"] = df["seed"].str.removeprefix(CSV_SEED_PREFIX).astype("int64")
    df["text"] = df["text"].replace("", pd.NA)
    df["value"] = df["value"].astype("Float64")
    df["month"] = df["month"].astype("Int64")
    return df


def check_export_target(results: Path, out: Path, csv: bool, overwrite: bool) -> None:
    """Before any work: ``out`` is not the input, a manifest, a sealed file or sweep results, and an existing
    ``out`` (and, for CSV, its ``.manifest.json``) is replaced only with ``--overwrite`` and only when an
    earlier export made it.

    Parameters
    ----------
    results
        The sweep's ``results.parquet`` or its folder (the input).
    out
        The file to write.
    csv
        Whether the export is CSV (with a ``.manifest.json`` beside it) rather than Parquet.
    overwrite
        Whether an earlier export at ``out`` may be replaced.

    Raises
    ------
    InputError
        ``out`` is refused (one line naming it).
    """
    from simulation.core.io import EXPORT_KEY, check_output_file, tool_manifest

    results = Path(results)
    source = results / "results.parquet" if results.is_dir() else results
    check_output_file(out, inputs=(source, source.parent / "manifest.json"))
    sidecar = out.parent / (out.name + ".manifest.json")
    if csv and (same_file_safe(sidecar, source) or same_file_safe(sidecar, source.parent / "manifest.json")):
        raise InputError(sidecar, "--out", "is an input of this command; write the output to another file")
    targets = [out, sidecar] if csv else [out]
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        raise InputError(existing[0], "--out", "exists; not overwritten (use --overwrite or another --out)")
    for target in existing:
        ours = False
        if target == sidecar:
            ours = "export" in (tool_manifest(target.parent, target.name) or {})
        elif csv:
            ours = "export" in (tool_manifest(sidecar.parent, sidecar.name) or {})
        else:
            try:
                import pyarrow.parquet as pq

                ours = EXPORT_KEY in (pq.read_schema(target).metadata or {})
            except Exception:  # noqa: BLE001 - unreadable: not an export of ours
                ours = False
        if not ours:
            raise InputError(
                target, "--out", "exists and was not written by alliance-sim export; not replaced (use another --out)"
            )


def same_file_safe(a: Path, b: Path) -> bool:
    """Whether two paths both exist and are the same file.

    Parameters
    ----------
    a, b
        The paths to compare.

    Returns
    -------
    bool
        True when both exist and name one file.
    """
    from simulation.core.io import same_file

    return (a.exists() and b.exists()) and same_file(a, b)


def export_long(results: Path, out: Path, csv: bool = False, overwrite: bool = False) -> Path:
    """Write the long format of ``results`` (a results.parquet or its folder) to ``out``.

    Parquet keeps the sweep's manifest in its metadata (and an ``alliance_sim_export`` marker, so a later
    ``--overwrite`` knows the file is an export); CSV gets it as ``<out>.manifest.json``. An existing ``out``
    is replaced only with ``overwrite`` and only when it is an earlier export.

    Parameters
    ----------
    results
        A sweep's ``results.parquet`` or its folder.
    out
        The file to write (Parquet, or CSV with ``csv``).
    csv
        Write CSV (with ``<out>.manifest.json``) instead of Parquet.
    overwrite
        Replace an earlier export at ``out``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.core.io import EXPORT_KEY, atomic_path, write_atomic
    from simulation.sweeps.execute import read_results

    out = Path(out)
    check_export_target(Path(results), out, csv, overwrite)
    df, manifest = read_results(Path(results))
    factors = list(manifest.get("design", {}).get("factors", []))
    long = long_format(df, factors)
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = {"format": "long", "file_format": "csv" if csv else "parquet", "results": str(results)}
    if not csv:
        table = pa.Table.from_pandas(long, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"alliance_sim_manifest"] = json.dumps(manifest).encode()
        meta[EXPORT_KEY] = json.dumps(stamp).encode()
        with atomic_path(out) as tmp:  # a full disk leaves no partial file, under any name
            pq.write_table(table.replace_schema_metadata(meta), tmp)
        return out
    sidecar = {**manifest, "export": {**stamp, "csv_columns": CSV_NOTES}}
    side = out.parent / (out.name + ".manifest.json")
    side_written = False
    try:
        with atomic_path(out) as tmp:  # the table, then its manifest, then the table renamed
            write_csv(long, tmp)
            write_atomic(side, json.dumps(sidecar, indent=2) + "\n")
            side_written = True
    except OSError:
        if side_written:  # a manifest never stays without the table it describes
            side.unlink(missing_ok=True)
        raise
    return out
