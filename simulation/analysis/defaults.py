"""The outcomes each analysis reads when none is asked for, in a module that loads nothing, so the
command line's help can name them without loading pandas (any numeric catalogue outcome can be asked for:
see outcomes.py)."""

#: Outcomes ``compare`` reports when none is asked for.
COMPARE_OUTCOMES = (
    "alliance_reached",
    "alliance_at_end",
    "entente_reached",
    "entente_at_end",
    "final_level",
    "alliance_month",
)

#: Outcomes ``sensitivity`` analyses when none is asked for.
SENSITIVITY_OUTCOMES = ("alliance_reached", "alliance_month", "final_level")
