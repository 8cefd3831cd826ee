"""What commands print: the two consoles, a progress line, and the tables of results."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.core import junit
from bot.core import plan as plan_module
from bot.core.evaluate import Evaluation
from bot.core.readings import Reading
from bot.core.results import Totals

out = Console()
err = Console(stderr=True)

STATUS_MARKS = {"met": "[green]met[/]", "unmet": "[red]unmet[/]", "unknown": "[yellow]unknown[/]"}


def progress() -> Progress:
    """A transient counter on stderr, for long stores."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed:,.0f}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def print_totals_table(summaries: list[junit.FileSummary], overall: Totals) -> None:
    """Each file's totals and the overall ones; unreadable files named on stderr."""
    table = Table(title="JUnit results")
    for column in ("file", "tests", "passed", "failed", "errors", "skipped"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for file_summary in summaries:
        t = file_summary.totals
        counts = (t.tests, t.passed, t.failed, t.errors, t.skipped)
        table.add_row(escape(file_summary.path), *(str(n) for n in counts))
    counts = (overall.tests, overall.passed, overall.failed, overall.errors, overall.skipped)
    table.add_row("[bold]total[/bold]", *(f"[bold]{n}[/bold]" for n in counts))
    out.print(table)
    for file_summary in summaries:
        if file_summary.error:
            err.print(f"[red]error[/red] {escape(file_summary.error)}", highlight=False)


def print_plan(plan: plan_module.Plan, readings: Sequence[Reading] = ()) -> None:
    """The plan's phases, its checklist (how each item is read) and its tracked tests."""
    table = Table(title="Phases")
    for column in ("#", "title", "priority", "estimate", "names"):
        table.add_column(column)
    for phase in plan.phases:
        names = ", ".join([*phase.tests, *phase.identifiers][:6])
        table.add_row(
            escape(phase.label),
            escape(phase.title),
            escape(phase.priority or ""),
            escape(phase.estimate or ""),
            escape(names),
        )
    out.print(table)
    items = Table(title="Checklist")
    for column in ("#", "done", "item", "reading"):
        items.add_column(column)
    for item in plan.items:
        reading = item.metric.kind.value if item.metric else f"manual: {item.manual_reason}"
        items.add_row(
            str(item.index), "x" if item.checked else "", escape(item.text), escape(reading)
        )
    out.print(items)
    print_readings(readings)
    out.print(f"Tracked tests: {escape(', '.join(plan.tests)) or 'none'}")


def print_readings(readings: Sequence[Reading]) -> None:
    """How the checklist is read, one item a line, as the summary comment says it."""
    if not readings:
        return
    out.print("[bold]How the checklist is read[/]")
    for reading in readings:
        out.print(f"  #{reading.index} {escape(reading.text)} — {escape(reading.words)}")
        if reading.suggestion:
            rule = f"/remediation rule #{reading.index} {reading.suggestion}"
            out.print(f"      to measure it: {escape(rule)}", highlight=False)


def print_evaluation(evaluation: Evaluation) -> None:
    """The totals, each success metric's status, and the failures by phase."""
    totals = evaluation.totals
    rate = f"{totals.pass_rate:.1%}" if totals.pass_rate is not None else "n/a"
    out.print(
        f"[bold]{totals.passed}/{totals.tests - totals.skipped} passing ({rate})[/], "
        f"{totals.failed} failed, {totals.errors} errors, {totals.skipped} skipped"
    )
    table = Table(title="Success metrics")
    for column in ("#", "status", "item", "evidence"):
        table.add_column(column)
    for item in evaluation.items:
        mark = STATUS_MARKS.get(item.status.value, item.status.value)
        table.add_row(str(item.index), mark, escape(item.text), escape(item.evidence))
    out.print(table)
    for phase in evaluation.phases:
        out.print(f"[bold]{escape(phase.label)}: {escape(phase.title)}[/]")
        for group in phase.groups:
            reason = f"[dim]({escape(group.reason)})[/]"
            out.print(f"  {len(group.tests)} × {escape(group.message)}  {reason}")
        if not phase.groups:
            out.print("  no failures mapped")
    if evaluation.unplanned:
        out.print("[bold red]Unplanned failures[/]")
        for group in evaluation.unplanned:
            out.print(f"  {len(group.tests)} × {escape(group.message)}")
    for note in evaluation.discrepancies:
        out.print(f"[yellow]note[/] {escape(note)}")
