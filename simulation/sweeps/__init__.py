"""Sweeps: the sweep file, its design, execution on local or Dask executors, the sealed results folder."""
