"""Calendar months of a run, one convention everywhere.

A scenario starts at ``start`` (YYYY-MM) and simulates ``steps`` months. Step ``s`` (0-based: the model's own
counter, the event log's, a scenario's ``at_step``) is the calendar month ``month_label(start, s)``: step 0 is
the start month, step 47 of a January 2018 start is December 2021. A run's *month* ``m`` (1-based: the
outcomes ``alliance_month`` and ``first_month_*``, the row of a trajectory) is the state at the end of step
``m - 1``, so it carries that month's label: month 1 is January 2018, month 6 June 2018, month 48 December
2021 (``run_month_label``). Row 0 of a trajectory is the state before the first step: the end of the month
before the start (December 2017).
"""

from __future__ import annotations


def month_label(start: str, step: int) -> str:
    """Calendar month (YYYY-MM) of step ``step`` (0-based) of a run starting at ``start``."""
    year, month = (int(x) for x in start.split("-"))
    total = year * 12 + (month - 1) + step
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def run_month_label(start: str, month: int) -> str:
    """Calendar month (YYYY-MM) of a run's month ``month`` (1-based; 0 is the state at the start, labelled
    with the month before it): the month at whose end the state holds."""
    return month_label(start, month - 1)


def month_words(label: str) -> str:
    """'Dec 2021' for the calendar month '2021-12' (YYYY-MM), as the figures write months."""
    year, month = label.split("-")
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[int(month) - 1]} {year}"
