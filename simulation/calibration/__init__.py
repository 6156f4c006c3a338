"""Calibration: patterns (what the documents say happened), ABC-SMC, the shipped posterior."""
