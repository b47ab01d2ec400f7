"""`reactivate report`: the A/B answer from the marts, as a table, JSON, CSV or one HTML page.

All numbers come from `analytics.ab_conversion_summary` (and the breakdown and run history);
nothing is recomputed here. The HTML page is self-contained (inline CSS and SVG, no scripts or
fonts) so it can be mailed to a salon owner or opened offline.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row

from runner.errors import JobFailed

ARMS = ("holdout", "control", "waterfall_template", "waterfall_ai")

SUMMARY = """
select company_id, arm, n, conversions, conversion_rate, ci_low, ci_high, uplift_vs_holdout,
    uplift_ci_low, uplift_ci_high, p_value, p_value_holm, beats_holdout, alpha, visits, revenue,
    messages_sent, replies, reply_rate, windows_open, sample_note
from analytics.ab_conversion_summary
where company_id is not distinct from %(company_id)s
order by array_position(%(arms)s, arm)
"""

BREAKDOWN = """
select dimension, dimension_value, arm, n, conversions, conversion_rate, ci_low, ci_high
from analytics.ab_conversion_breakdown
where company_id is not distinct from %(company_id)s
order by dimension, dimension_value, array_position(%(arms)s, arm)
"""

RUNS = """
select run_id, company_id, status, stop_reason, started_at, finished_at,
    coalesce((counts ->> 'sent')::int, 0) as sent,
    coalesce((counts ->> 'held_out')::int, 0) as held_out,
    coalesce((counts ->> 'failed')::int, 0) + coalesce((counts ->> 'unknown')::int, 0) as failed
from reactivation.campaign_runs
where is_live and (%(company_id)s::int is null or company_id = %(company_id)s)
order by run_id desc
limit 20
"""

LABELS = {
    "en": {
        "title": "Reactivation: does messaging bring clients back?",
        "scope_all": "All salons together",
        "scope_one": "Salon {company}",
        "arm": "Group",
        "n": "Clients",
        "conversions": "Booked",
        "rate": "Booked, %",
        "ci": "95% interval",
        "uplift": "Difference vs no message",
        "p": "p-value (Holm)",
        "note": "Note",
        "holdout": "No message (holdout)",
        "control": "Plain reminder after 30 days",
        "waterfall_template": "Timed by rhythm, template text",
        "waterfall_ai": "Timed by rhythm, AI text",
        "runs": "Recent campaign runs",
        "run": "Run",
        "salon": "Salon",
        "status": "Status",
        "started": "Started",
        "sent": "Sent",
        "held_out": "Held out",
        "failed": "Failed or unknown",
        "breakdown": "By interval tier and message source",
        "chart": "Share of clients who booked within the attribution window (bars: 95% interval)",
        "small": "small sample: indicative only",
        "open": "{open} windows still open",
        "explain": (
            "Of {n} clients who got a message in group “{arm}”, {conversions} booked ({rate}). "
            "Without a message, {holdout_rate} booked. Difference: {uplift} "
            "(95% interval {low} to {high}; p = {p} after Holm's adjustment). {verdict}"
        ),
        "decision_rule": (
            "Decision rule: a group works when it booked more clients than the group without a"
            " message and its p-value, adjusted by Holm's method for the {comparisons}"
            " comparisons with that group, is below {alpha}."
        ),
        "significant": "Unlikely to be chance.",
        "not_significant": "This could still be chance: wait for more clients.",
        "empty": "No measured campaigns yet: run a live campaign, then `reactivate build`.",
        "pp": "pp",
    },
    "ru": {
        "title": "Реактивация: возвращают ли сообщения клиентов?",
        "scope_all": "Все салоны вместе",
        "scope_one": "Салон {company}",
        "arm": "Группа",
        "n": "Клиентов",
        "conversions": "Записались",
        "rate": "Записались, %",
        "ci": "95% интервал",
        "uplift": "Разница с группой без сообщений",
        "p": "p-значение (Холм)",
        "note": "Примечание",
        "holdout": "Без сообщения",
        "control": "Простое напоминание через 30 дней",
        "waterfall_template": "Вовремя по ритму, шаблонный текст",
        "waterfall_ai": "Вовремя по ритму, текст от ИИ",
        "runs": "Последние запуски",
        "run": "Запуск",
        "salon": "Салон",
        "status": "Статус",
        "started": "Начало",
        "sent": "Отправлено",
        "held_out": "Без сообщения",
        "failed": "Ошибки и неизвестные",
        "breakdown": "По источнику интервала и тексту сообщения",
        "chart": "Доля клиентов, записавшихся в окне атрибуции (отрезки: 95% интервал)",
        "small": "мало данных: результат ориентировочный",
        "open": "ещё идёт окно у {open}",
        "explain": (
            "Из {n} клиентов группы «{arm}», получивших сообщение, записались {conversions} "
            "({rate}). Без сообщения записались {holdout_rate}. Разница: {uplift} "
            "(95% интервал от {low} до {high}; p = {p} с поправкой Холма). {verdict}"
        ),
        "decision_rule": (
            "Правило решения: группа работает, если в ней записалось больше клиентов, чем без"
            " сообщения, и её p-значение с поправкой Холма на число сравнений с этой группой"
            " ({comparisons}) меньше {alpha}."
        ),
        "significant": "Вряд ли это случайность.",
        "not_significant": "Это ещё может быть случайностью: нужно больше клиентов.",
        "empty": "Измеренных кампаний пока нет: запустите кампанию, затем `reactivate build`.",
        "pp": "п. п.",
    },
}


@dataclass(frozen=True)
class Report:
    company_id: int | None
    summary: list[dict]
    breakdown: list[dict]
    runs: list[dict]


def load_report(conn: psycopg.Connection, company_id: int | None) -> Report:
    params = {"company_id": company_id, "arms": list(ARMS)}
    try:
        with conn.cursor(row_factory=dict_row) as cursor:
            summary = cursor.execute(SUMMARY, params).fetchall()
            breakdown = cursor.execute(BREAKDOWN, params).fetchall()
            runs = cursor.execute(RUNS, params).fetchall()
    except psycopg.errors.UndefinedTable:
        raise JobFailed("the A/B marts do not exist yet: run `reactivate build` first") from None
    return Report(company_id, summary, breakdown, runs)


def as_json(report: Report) -> str:
    payload = {
        "company_id": report.company_id,
        "summary": report.summary,
        "breakdown": report.breakdown,
        "runs": report.runs,
    }
    return json.dumps(payload, default=_plain, ensure_ascii=False, indent=2)


def as_csv(report: Report) -> str:
    buffer = io.StringIO()
    columns = list(report.summary[0]) if report.summary else ["company_id", "arm", "n"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in report.summary:
        writer.writerow({key: _plain(value) for key, value in row.items()})
    return buffer.getvalue()


def table_rows(report: Report, lang: str) -> tuple[list[str], list[list[str]]]:
    words = LABELS[lang]
    header = [
        words["arm"],
        words["n"],
        words["conversions"],
        words["rate"],
        words["ci"],
        words["uplift"],
        words["p"],
        words["note"],
    ]
    rows = []
    for row in report.summary:
        rows.append(
            [
                words.get(row["arm"], row["arm"]),
                str(row["n"]),
                str(row["conversions"]),
                percent(row["conversion_rate"]),
                f"{percent(row['ci_low'])} – {percent(row['ci_high'])}",
                _uplift_text(row, words["pp"]),
                p_value_text(row["p_value_holm"]),
                _note(row, words),
            ]
        )
    return header, rows


def explanations(report: Report, lang: str) -> list[str]:
    """One plain sentence per treated arm: what the numbers mean for a salon owner."""
    words = LABELS[lang]
    holdout = next((row for row in report.summary if row["arm"] == "holdout"), None)
    lines = []
    for row in report.summary:
        if row["arm"] == "holdout" or holdout is None or row["uplift_vs_holdout"] is None:
            continue
        lines.append(
            words["explain"].format(
                n=row["n"],
                arm=words[row["arm"]],
                conversions=row["conversions"],
                rate=percent(row["conversion_rate"]),
                holdout_rate=percent(holdout["conversion_rate"]),
                uplift=points(row["uplift_vs_holdout"], words["pp"]),
                low=points(row["uplift_ci_low"], words["pp"]),
                high=points(row["uplift_ci_high"], words["pp"]),
                p=p_value_text(row["p_value_holm"]),
                # The decision is the mart's (ab_conversion_summary.beats_holdout).
                verdict=words["significant" if row["beats_holdout"] else "not_significant"],
            )
        )
    compared = sum(1 for row in report.summary if row["p_value_holm"] is not None)
    if lines:
        alpha = float(report.summary[0]["alpha"])  # the level the mart decided at
        lines.append(words["decision_rule"].format(comparisons=compared, alpha=alpha))
    return lines


def p_value_text(value) -> str:
    if value is None:
        return ""
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def percent(value) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f}%"


def points(value, unit: str = "pp") -> str:
    """Percentage points: +4.2 pp."""
    return "–" if value is None else f"{float(value) * 100:+.1f} {unit}"


def _uplift_text(row: dict, unit: str) -> str:
    if row["uplift_vs_holdout"] is None:
        return ""
    return (
        f"{points(row['uplift_vs_holdout'], unit)} "
        f"({points(row['uplift_ci_low'], unit)} … {points(row['uplift_ci_high'], unit)})"
    )


def _note(row: dict, words: dict) -> str:
    notes = [words["small"]] if row["sample_note"] else []
    if row["windows_open"]:
        notes.append(words["open"].format(open=row["windows_open"]))
    return "; ".join(notes)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
