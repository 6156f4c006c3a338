"""The seminar dashboard (Solara): ``alliance-sim dashboard``."""
