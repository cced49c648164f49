"""A list of connection stages, each ok or failed with its detail and hint."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from mailtui.transport import CheckReport


def report_markup(report: CheckReport) -> str:
    lines = []
    for stage in report.stages:
        mark = "[green]✔ ok    [/]" if stage.ok else "[b red]✘ FAILED[/]"
        lines.append(f"{mark} [b]{escape(stage.stage)}[/]  {escape(stage.detail)}")
        if stage.hint:
            lines.append(f"          [i]hint: {escape(stage.hint)}[/]")
    return "\n".join(lines)


class StageList(Static):
    def show_report(self, report: CheckReport) -> None:
        self.update(report_markup(report))

    def show_running(self, stage: str) -> None:
        self.update(f"[b]…[/] {escape(stage)}")
