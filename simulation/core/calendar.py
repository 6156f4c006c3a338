"""Calendar months of a run: month ``step`` after the scenario's start, as YYYY-MM."""

from __future__ import annotations


def month_label(start: str, step: int) -> str:
    """Calendar month (YYYY-MM) of month ``step`` after ``start``."""
    year, month = (int(x) for x in start.split("-"))
    total = year * 12 + (month - 1) + step
    return f"{total // 12:04d}-{total % 12 + 1:02d}"
