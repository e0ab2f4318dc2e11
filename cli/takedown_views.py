"""How takedown figures look to a person: rich tables."""

from __future__ import annotations

from rich.table import Table


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def metrics_table(title: str, rows: list[dict]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("", "notified", "removed", "h to notice (mean/max)", "h to removal (mean/max)"):
        table.add_column(column, justify="left" if not column else "right")
    for row in rows:
        table.add_row(
            row["key"],
            str(row["notified"]),
            str(row["removed"]),
            f"{_hours(row['hours_to_notice_mean'])} / {_hours(row['hours_to_notice_max'])}",
            f"{_hours(row['hours_to_removal_mean'])} / {_hours(row['hours_to_removal_max'])}",
        )
    return table


def takedown_tables(figures: dict) -> list[Table]:
    if not figures["per_host"]:
        return []
    up = figures["notified_still_up"]
    still = Table(title="Notified copies still up", title_justify="left")
    for column in ("copies", "days up (median)", "days up (max)"):
        still.add_column(column, justify="right")
    still.add_row(
        str(up["copies"]),
        "-" if up["days_up_median"] is None else f"{up['days_up_median']:.1f}",
        "-" if up["days_up_max"] is None else f"{up['days_up_max']:.1f}",
    )
    return [
        metrics_table("Takedowns per host", figures["per_host"]),
        metrics_table("Takedowns per source", figures["per_source"]),
        still,
    ]
