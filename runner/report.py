"""`reactivate report`: the A/B answer from the marts, as a table, JSON, CSV or one HTML page.

All numbers come from `analytics.ab_conversion_summary` (and the breakdown and run history);
nothing is recomputed here. The HTML page is self-contained (inline CSS and SVG, no scripts or
fonts) so it can be mailed to a salon owner or opened offline.
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row

from runner.errors import JobFailed

# The arms as the seed lists them (the one list): the holdout first, then the universal rule's
# arm, then the rest by name; each with its titles for the page.
ARMS = """
select arm, message_kind, timing_rule, title_en, title_ru
from analytics.experiment_arms
order by message_kind = 'none' desc, timing_rule = 'universal' desc, arm
"""

SUMMARY = """
select company_id, arm, n, conversions, conversion_rate, ci_low, ci_high, uplift_vs_holdout,
    uplift_ci_low, uplift_ci_high, p_value, p_value_holm, beats_holdout, alpha,
    minimum_detectable_uplift, visits, revenue, messages_sent, replies, reply_rate, windows_open,
    sample_note, srm_assigned_p_value, srm_contacted_p_value, srm_warning,
    attribution_window_days, reply_window_hours, measured_at
from analytics.ab_conversion_summary
where company_id is not distinct from %(company_id)s
order by array_position(%(arms)s, arm)
"""

INTENT_TO_TREAT = """
select company_id, arm, n, conversions, conversion_rate, ci_low, ci_high, messaged, revenue,
    windows_open, excluded, uplift_vs_holdout, uplift_ci_low, uplift_ci_high, p_value_holm,
    beats_holdout, minimum_detectable_uplift, uplift_vs_rule, uplift_vs_rule_ci_low,
    uplift_vs_rule_ci_high, p_value_vs_rule_holm, beats_rule, minimum_detectable_uplift_vs_rule,
    alpha, srm_p_value, srm_warning, itt_horizon_days, sample_note
from analytics.itt_conversion_summary
where company_id is not distinct from %(company_id)s
order by array_position(%(arms)s, arm)
"""

BREAKDOWN = """
select dimension, dimension_value, arm, n, conversions, conversion_rate, ci_low, ci_high
from analytics.ab_conversion_breakdown
where company_id is not distinct from %(company_id)s
order by dimension, dimension_value, array_position(%(arms)s, arm)
"""

# Runs by salon name, started in the salon's own time.
RUNS = """
select runs.run_id, runs.company_id, coalesce(salons.salon_name, runs.company_id::text) as salon,
    runs.status, runs.stop_reason,
    runs.started_at at time zone coalesce(salons.timezone, 'Europe/Moscow') as started_local,
    coalesce((runs.counts ->> 'sent')::int, 0) as sent,
    coalesce((runs.counts ->> 'held_out')::int, 0) as held_out,
    coalesce((runs.counts ->> 'failed')::int, 0) + coalesce((runs.counts ->> 'unknown')::int, 0)
        as failed
from reactivation.campaign_runs as runs
left join analytics.salons as salons on salons.company_id = runs.company_id
where runs.is_live and (%(company_id)s::int is null or runs.company_id = %(company_id)s)
order by runs.run_id desc
limit 20
"""

SALON_NAME = "select salon_name from analytics.salons where company_id = %(company_id)s"

LABELS = {
    "en": {
        "title": "Reactivation: does messaging bring clients back?",
        "scope_all": "All salons together",
        "scope_one": "Salon {salon}",
        "as_of": (
            "Report as of {date}. A booking counts within {attribution} days of the message, a"
            " reply within {reply} hours; each intent-to-treat window closes {horizon} days"
            " after the client's later due date."
        ),
        "per_message": "Per message: clients timed by rhythm, with and without a message",
        "arm": "Group",
        "n": "Clients",
        "conversions": "Booked",
        "rate": "Booked, %",
        "ci": "95% interval",
        "uplift": "Difference vs no message",
        "p": "p-value (Holm)",
        "revenue": "Revenue",
        "reply_rate": "Replied",
        "note": "Note",
        "runs": "Recent campaign runs",
        "run": "Run",
        "salon": "Salon",
        "status": "Status",
        "started": "Started (salon time)",
        "sent": "Sent",
        "held_out": "Held out",
        "failed": "Failed or unknown",
        "breakdown": "By interval tier and message source",
        "chart": "Share of clients who booked within the attribution window (bars: 95% interval)",
        "small": "small sample: indicative only",
        "open": "{open} windows still open",
        "other_timing": "timed by the 30-day rule: compared below, over the same windows",
        "too_early": "too early to tell: this sample detects {mde} or more",
        "no_bookings": "too early to tell: nobody has booked yet",
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
        "revenue_line": "Revenue from bookings after a message: {revenue}; replies: {replies}.",
        "itt": "Intent to treat: every client who became due, messaged or not",
        "itt_explain": (
            "Every client whose window opened counts once in their group, messaged or not, so"
            " all four groups are compared over the same days. {closed} windows have closed;"
            " {open} are still open and are compared once they close."
        ),
        "vs_rule": "Difference vs the 30-day rule",
        "itt_rule": (
            "Rhythm timing against the 30-day rule, group “{arm}”: {uplift} (95% interval"
            " {low} to {high}; p = {p} after Holm's adjustment). {verdict}"
        ),
        "srm": (
            "Warning: the groups' sizes do not match their planned shares (sample-ratio check"
            " p < 0.001). That usually means a fault in assignment or in who was skipped, not an"
            " effect: check before trusting these numbers."
        ),
        "empty": "No measured campaigns yet: run a live campaign, then `reactivate build`.",
        "pp": "pp",
    },
    "ru": {
        "title": "Реактивация: возвращают ли сообщения клиентов?",
        "scope_all": "Все салоны вместе",
        "scope_one": "Салон «{salon}»",
        "as_of": (
            "Отчёт на {date}. Запись засчитывается в течение {attribution} дн. после сообщения,"
            " ответ — в течение {reply} ч; окно сравнения всех групп закрывается через {horizon}"
            " дн. после более позднего срока визита клиента."
        ),
        "per_message": "По сообщениям: клиенты, выбранные по ритму, с сообщением и без",
        "arm": "Группа",
        "n": "Клиентов",
        "conversions": "Записались",
        "rate": "Записались, %",
        "ci": "95% интервал",
        "uplift": "Разница с группой без сообщений",
        "p": "p-значение (Холм)",
        "revenue": "Выручка",
        "reply_rate": "Ответили",
        "note": "Примечание",
        "runs": "Последние запуски",
        "run": "Запуск",
        "salon": "Салон",
        "status": "Статус",
        "started": "Начало (время салона)",
        "sent": "Отправлено",
        "held_out": "Без сообщения",
        "failed": "Ошибки и неизвестные",
        "breakdown": "По источнику интервала и тексту сообщения",
        "chart": "Доля клиентов, записавшихся в окне атрибуции (отрезки: 95% интервал)",
        "small": "мало данных: результат ориентировочный",
        "open": "ещё идёт окно у {open}",
        "other_timing": "выбраны по правилу 30 дней: сравнение ниже, в тех же окнах",
        "too_early": "рано судить: такая выборка заметит разницу от {mde}",
        "no_bookings": "рано судить: записей пока нет",
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
        "revenue_line": "Выручка от записей после сообщений: {revenue}; ответили: {replies}.",
        "itt": "Все клиенты, которым пришёл срок, с сообщением и без",
        "itt_explain": (
            "Каждый клиент, у которого открылось окно, считается один раз в своей группе —"
            " получил он сообщение или нет, поэтому все четыре группы сравниваются за одни и те"
            " же дни. Закрылось окон: {closed}; ещё идут: {open} — их сравним, когда закроются."
        ),
        "vs_rule": "Разница с правилом 30 дней",
        "itt_rule": (
            "Выбор момента по ритму против правила 30 дней, группа «{arm}»: {uplift} (95%"
            " интервал от {low} до {high}; p = {p} с поправкой Холма). {verdict}"
        ),
        "srm": (
            "Внимание: размеры групп не совпадают с задуманными долями (проверка соотношения"
            " выборок, p < 0,001). Обычно это ошибка в распределении или в пропусках клиентов,"
            " а не эффект: проверьте, прежде чем доверять цифрам."
        ),
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
    arms: dict[str, dict]  # arm -> its seed row (titles, message kind, timing rule)
    intent_to_treat: list[dict] = field(default_factory=list)
    salon_name: str | None = None

    def arm_title(self, arm: str, lang: str) -> str:
        return (self.arms.get(arm) or {}).get(f"title_{lang}") or arm

    @property
    def holdout_arm(self) -> str | None:
        return next((a for a, row in self.arms.items() if row["message_kind"] == "none"), None)


def load_report(conn: psycopg.Connection, company_id: int | None) -> Report:
    try:
        with conn.cursor(row_factory=dict_row) as cursor:
            arms = {row["arm"]: row for row in cursor.execute(ARMS).fetchall()}
            params = {"company_id": company_id, "arms": list(arms)}
            summary = cursor.execute(SUMMARY, params).fetchall()
            intent_to_treat = cursor.execute(INTENT_TO_TREAT, params).fetchall()
            breakdown = cursor.execute(BREAKDOWN, params).fetchall()
            runs = cursor.execute(RUNS, params).fetchall()
            named = cursor.execute(SALON_NAME, params).fetchone() if company_id else None
    except psycopg.errors.UndefinedTable:
        raise JobFailed("the A/B marts do not exist yet: run `reactivate build` first") from None
    return Report(
        company_id,
        summary,
        breakdown,
        runs,
        arms,
        intent_to_treat,
        named["salon_name"] if named else None,
    )


def as_json(report: Report) -> str:
    payload = {
        "company_id": report.company_id,
        "summary": report.summary,
        "intent_to_treat": report.intent_to_treat,
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


def scope_line(report: Report, lang: str) -> str:
    words = LABELS[lang]
    if report.company_id is None:
        return words["scope_all"]
    return words["scope_one"].format(salon=report.salon_name or report.company_id)


def as_of_line(report: Report, lang: str) -> str:
    """The report's date and the windows its numbers were measured with (from the marts)."""
    first = report.summary[0]
    horizon = report.intent_to_treat[0]["itt_horizon_days"] if report.intent_to_treat else "–"
    return LABELS[lang]["as_of"].format(
        date=first["measured_at"].date().isoformat(),
        attribution=first["attribution_window_days"],
        reply=first["reply_window_hours"],
        horizon=horizon,
    )


# A table is a list of columns: the header's word and how a mart row becomes the cell.
_Column = tuple[str, Callable[[Report, dict, str], str]]

_LEADING_COLUMNS: list[_Column] = [
    ("arm", lambda report, row, lang: report.arm_title(row["arm"], lang)),
    ("n", lambda report, row, lang: str(row["n"])),
    ("conversions", lambda report, row, lang: str(row["conversions"])),
    ("rate", lambda report, row, lang: percent(row["conversion_rate"], lang)),
    ("ci", lambda report, row, lang: interval(row["ci_low"], row["ci_high"], lang)),
    (
        "uplift",
        lambda report, row, lang: _uplift_text(
            row, "uplift_vs_holdout", "uplift_ci_low", "uplift_ci_high", lang
        ),
    ),
]
_REVENUE: _Column = ("revenue", lambda report, row, lang: money(row["revenue"], lang))

PER_MESSAGE_COLUMNS: list[_Column] = [
    *_LEADING_COLUMNS,
    ("p", lambda report, row, lang: p_value_text(row["p_value_holm"], lang)),
    _REVENUE,
    ("reply_rate", lambda report, row, lang: percent(row["reply_rate"], lang)),
    # Per message, an arm without an uplift is one timed by another rule.
    ("note", lambda report, row, lang: _note(report, row, lang, uncompared_is_other_timing=True)),
]
INTENT_TO_TREAT_COLUMNS: list[_Column] = [
    *_LEADING_COLUMNS,
    (
        "vs_rule",
        lambda report, row, lang: _uplift_text(
            row, "uplift_vs_rule", "uplift_vs_rule_ci_low", "uplift_vs_rule_ci_high", lang
        ),
    ),
    _REVENUE,
    ("note", lambda report, row, lang: _note(report, row, lang, uncompared_is_other_timing=False)),
]


def _table(
    report: Report, rows: list[dict], columns: list[_Column], lang: str
) -> tuple[list[str], list[list[str]]]:
    words = LABELS[lang]
    header = [words[key] for key, _ in columns]
    return header, [[cell(report, row, lang) for _, cell in columns] for row in rows]


def table_rows(report: Report, lang: str) -> tuple[list[str], list[list[str]]]:
    return _table(report, report.summary, PER_MESSAGE_COLUMNS, lang)


def itt_table_rows(report: Report, lang: str) -> tuple[list[str], list[list[str]]]:
    return _table(report, report.intent_to_treat, INTENT_TO_TREAT_COLUMNS, lang)


def explanations(report: Report, lang: str) -> list[str]:
    """One plain sentence per compared arm: what the numbers mean for a salon owner; then the
    decision rule, the revenue and replies, and a sample-ratio warning when the mart raised one."""
    words = LABELS[lang]
    holdout = next((row for row in report.summary if row["arm"] == report.holdout_arm), None)
    lines = []
    if any(row["srm_warning"] for row in report.summary + report.intent_to_treat):
        lines.append(words["srm"])
    for row in report.summary:
        if holdout is None or row["uplift_vs_holdout"] is None:
            continue
        lines.append(
            words["explain"].format(
                n=row["n"],
                arm=report.arm_title(row["arm"], lang),
                conversions=row["conversions"],
                rate=percent(row["conversion_rate"], lang),
                holdout_rate=percent(holdout["conversion_rate"], lang),
                uplift=points(row["uplift_vs_holdout"], lang),
                low=points(row["uplift_ci_low"], lang),
                high=points(row["uplift_ci_high"], lang),
                p=p_value_text(row["p_value_holm"], lang),
                # The decision is the mart's (ab_conversion_summary.beats_holdout).
                verdict=words["significant" if row["beats_holdout"] else "not_significant"],
            )
        )
    compared = sum(1 for row in report.summary if row["p_value_holm"] is not None)
    if compared:
        alpha = float(report.summary[0]["alpha"])  # the level the mart decided at
        lines.append(
            words["decision_rule"].format(comparisons=compared, alpha=number(alpha, lang, 2))
        )
    sent = sum(row["messages_sent"] for row in report.summary)
    replies = sum(row["replies"] for row in report.summary)
    revenue = sum(row["revenue"] for row in report.summary if row["arm"] != report.holdout_arm)
    lines.append(
        words["revenue_line"].format(
            revenue=money(revenue, lang),
            replies=percent(replies / sent if sent else None, lang),
        )
    )
    return lines


def itt_explanations(report: Report, lang: str) -> list[str]:
    words = LABELS[lang]
    closed = sum(row["n"] for row in report.intent_to_treat)
    still_open = sum(row["windows_open"] for row in report.intent_to_treat)
    lines = [words["itt_explain"].format(closed=closed, open=still_open)]
    for row in report.intent_to_treat:
        if row["uplift_vs_rule"] is None:
            continue
        lines.append(
            words["itt_rule"].format(
                arm=report.arm_title(row["arm"], lang),
                uplift=points(row["uplift_vs_rule"], lang),
                low=points(row["uplift_vs_rule_ci_low"], lang),
                high=points(row["uplift_vs_rule_ci_high"], lang),
                p=p_value_text(row["p_value_vs_rule_holm"], lang),
                verdict=words["significant" if row["beats_rule"] else "not_significant"],
            )
        )
    return lines


# --- numbers as each language writes them --------------------------------------------------

_MINUS = "\u2212"  # a real minus sign, not a hyphen
_NARROW_SPACE = "\u202f"


def number(value: float, lang: str, decimals: int = 1, signed: bool = False) -> str:
    text = f"{abs(value):,.{decimals}f}"
    if lang == "ru":  # 1 234,5: a narrow space groups thousands, a comma marks decimals
        text = text.replace(",", _NARROW_SPACE).replace(".", ",")
    sign = _MINUS if value < 0 and round(abs(value), decimals) else ""
    if signed and not sign:
        sign = "+"
    return sign + text


def percent(value, lang: str = "en") -> str:
    """14.4% in English, 14,4 % in Russian."""
    if value is None:
        return "–"
    text = number(float(value) * 100, lang)
    return f"{text}{_NARROW_SPACE}%" if lang == "ru" else f"{text}%"


def points(value, lang: str = "en") -> str:
    """Percentage points: +4.2 pp, −2,6 п. п."""
    if value is None:
        return "–"
    return f"{number(float(value) * 100, lang, signed=True)} {LABELS[lang]['pp']}"


def money(value, lang: str = "en") -> str:
    if value is None:
        return "–"
    text = number(float(value), lang, decimals=0)
    return f"{text} ₽"


def p_value_text(value, lang: str = "en") -> str:
    if value is None:
        return ""
    if float(value) < 0.001:
        return "< " + number(0.001, lang, 3)
    return number(float(value), lang, 3)


def interval(low, high, lang: str = "en") -> str:
    if low is None or high is None:
        return "–"
    return f"{percent(low, lang)} – {percent(high, lang)}"


def _uplift_text(row: dict, key: str, low: str, high: str, lang: str) -> str:
    if row[key] is None:
        return ""
    return f"{points(row[key], lang)} ({points(row[low], lang)} … {points(row[high], lang)})"


def _note(report: Report, row: dict, lang: str, uncompared_is_other_timing: bool) -> str:
    words = LABELS[lang]
    notes = [words["small"]] if row["sample_note"] else []
    if row["arm"] != report.holdout_arm:
        if row["uplift_vs_holdout"] is None and row["n"] and uncompared_is_other_timing:
            notes.append(words["other_timing"])
        elif row["uplift_vs_holdout"] is not None and not row["beats_holdout"]:
            mde = row["minimum_detectable_uplift"]
            notes.append(
                words["no_bookings"]
                if mde is None
                else words["too_early"].format(mde=points(mde, lang).lstrip("+"))
            )
    if row["windows_open"]:
        notes.append(words["open"].format(open=row["windows_open"]))
    return "; ".join(notes)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
