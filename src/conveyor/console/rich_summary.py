"""The end-of-run summary as rich renderables (the plain text form is in ``summary``)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from conveyor.console.formatting import UNICODE_MARKS, Marks
from conveyor.console.live_view import conclusion_style
from conveyor.console.summary import COLUMNS, RunSummary
from conveyor.engine.status import Conclusion


def render_summary(summary: RunSummary, marks: Marks = UNICODE_MARKS) -> RenderableType:
    heading = f"{summary.title} ({summary.subtitle})" if summary.subtitle else summary.title
    table = Table(title=Text(f"Summary: {heading}"), title_justify="left", expand=False)
    for name in COLUMNS:
        table.add_column(name, justify="right" if name in ("duration", "steps") else "left")
    for row in summary.rows:
        key, conclusion, seconds, steps, failed = row.cells(marks)
        style = conclusion_style(row.conclusion)
        table.add_row(
            Text(key),
            Text(conclusion, style=style),
            Text(seconds),
            Text(steps),
            Text(failed, style="red" if failed else ""),
        )
    parts: list[RenderableType] = [Text(""), table]
    for step in summary.step_summaries:
        parts.append(Rule(Text(f"Step summary: {step.heading}"), align="left", style="dim"))
        parts.append(Text(step.text))  # markdown shown as written
    verdict_style = "bold green" if summary.conclusion is Conclusion.SUCCESS else "bold red"
    if summary.conclusion in (Conclusion.SKIPPED, Conclusion.CANCELLED):
        verdict_style = "bold yellow"
    parts.extend([Text(""), Text(summary.verdict(marks), style=verdict_style)])
    return Group(*parts)
