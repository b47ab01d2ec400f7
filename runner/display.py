"""What an operator sees during and after a campaign: a progress bar on a terminal, plain
lines otherwise, the messages of a dry run, and a summary table. Phones are always masked."""

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from runner.campaign import ClientOutcome, RunSummary
from runner.phones import mask_phone
from runner.report import (
    LABELS,
    Report,
    as_of_line,
    explanations,
    itt_explanations,
    itt_table_rows,
    scope_line,
    table_rows,
)

_FINAL = {"sent", "holdout", "skipped", "failed", "unknown", "would_send", "would_hold_out"}


class CampaignDisplay:
    def __init__(self, *, live: bool) -> None:
        self.live = live
        self.out = Console(file=sys.stdout, soft_wrap=True, highlight=False)
        # soft_wrap: off a terminal (cron's log file) one client is one line, never cut at 80.
        self.err = Console(file=sys.stderr, soft_wrap=True, highlight=False)
        self.progress: Progress | None = None
        self.task = None

    def __enter__(self) -> "CampaignDisplay":
        if self.live and self.err.is_terminal:
            self.progress = Progress(
                TextColumn("salon {task.fields[salon]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=self.err,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def on_start(self, company_id: int, candidates: int) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task("", total=candidates, salon=company_id, last="")
        else:
            self.err.print(f"salon {company_id}: {candidates} candidate(s)")

    def on_event(self, outcome: ClientOutcome) -> None:
        candidate = outcome.candidate
        who = f"{mask_phone(candidate.phone)} client {candidate.client_id} [{candidate.arm}]"
        if outcome.status in ("would_send", "would_hold_out"):
            text = outcome.text or "(holdout: no message)"
            source = f" ({outcome.source}{', ' + outcome.detail if outcome.detail else ''})"
            self.out.print(f"{who}{source if outcome.text else ''}: {text}", markup=False)
            return
        line = f"{outcome.status:<8} {who}" + (f": {outcome.detail}" if outcome.detail else "")
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, last=f"{outcome.status} {who}")
        else:
            self.err.print(line, markup=False)


_COLUMNS = (
    "salon",
    "run",
    "status",
    "candidates",
    "sent",
    "held out",
    "skipped",
    "failed",
    "unknown",
    "AI/template",
    "contexts saved/parked",
    "holdouts passed over",
    "stopped by",
)


def summary_rows(s: RunSummary) -> list[str]:
    c = s.counts
    return [
        str(s.company_id),
        str(s.run_id),
        s.status,
        str(c["candidates"]),
        str(c["sent"] if s.live else c["would_send"]),
        str(c["held_out"] if s.live else c["would_hold_out"]),
        str(c["skipped"]),
        str(c["failed"]),
        str(c["unknown"]),
        f"{c['source_ai']}/{c['source_template']}",
        f"{c['context_saved']}/{c['context_parked']}",
        str(c["holdouts_passed_over"]),
        s.stop_reason or "",
    ]


def summary_table(summaries: list[RunSummary]) -> Table:
    """One column per salon for a few salons (fits a terminal), one row per salon for many."""
    dry = any(not s.live for s in summaries)
    table = Table(title="Campaign summary" + (" (dry run: what would be sent)" if dry else ""))
    rows = [summary_rows(s) for s in summaries]
    if len(summaries) <= 4:
        table.add_column("")
        for row in rows:
            table.add_column(f"salon {row[0]}", justify="right")
        for index, label in enumerate(_COLUMNS[1:], start=1):
            table.add_row(label, *(row[index] for row in rows))
        return table
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in ("status", "stopped by") else "right")
    for row in rows:
        table.add_row(*row)
    return table


def print_summary(summaries: list[RunSummary]) -> None:
    console = _stdout()
    for s in summaries:
        if s.notice:
            console.print(s.notice, markup=False)
        reasons = {k: v for k, v in s.counts.items() if k.startswith(("skipped_", "fallback_"))}
        if reasons:
            listed = ", ".join(f"{k}={v}" for k, v in sorted(reasons.items()))
            console.print(f"salon {s.company_id}: {listed}", markup=False)
    console.print(summary_table(summaries))


def print_report(report: Report, lang: str) -> None:
    console = _stdout()
    words = LABELS[lang]
    if not report.summary:
        console.print(words["empty"], markup=False)
        return
    console.print(as_of_line(report, lang), markup=False)
    sections = [(words["per_message"], table_rows(report, lang), explanations(report, lang))]
    if report.intent_to_treat:
        sections.append(
            (words["itt"], itt_table_rows(report, lang), itt_explanations(report, lang))
        )
    for title, (header, rows), lines in sections:
        table = Table(title=f"{title} — {scope_line(report, lang)}")
        for index, column in enumerate(header):
            table.add_column(column, justify="left" if index in (0, len(header) - 1) else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        for line in lines:
            console.print(line, markup=False)


def _stdout() -> Console:
    """Tables for stdout; logs and pipes get the whole table, not one squeezed to 80 columns."""
    console = Console(file=sys.stdout, highlight=False)
    return console if console.is_terminal else Console(file=sys.stdout, highlight=False, width=160)
