"""Credibility analyses: global sensitivity, scenario discovery, landscape theory, calibration."""
