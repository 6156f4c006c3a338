"""Foundations every layer may use: errors (the one input gate), io, paths, resources, stats, the calendar and the alignment ladder."""
