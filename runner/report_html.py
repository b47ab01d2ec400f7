"""The A/B report as one self-contained HTML page (templates/report.html.j2, rendered by Jinja2
with autoescaping): this module only lays the charts out; the numbers, decisions and words come
from the marts through runner/report.py."""

import functools

import jinja2

from runner.report import (
    LABELS,
    Report,
    as_of_line,
    explanations,
    interval,
    itt_explanations,
    itt_table_rows,
    percent,
    points,
    scope_line,
    table_rows,
)

# Arms in the seed's order (holdout first): grey for no message, then darker blues.
_PALETTE = ("#9aa5b1", "#7fa7d9", "#4a7bd0", "#1f4e9c", "#16386f", "#0e2548")
_ROW = 34
_LEFT = 250
_WIDTH = 700
_AXIS = 22  # room under the bars for the axis and its labels


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("runner", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty cell
        trim_blocks=True,
    )
    return environment.get_template("report.html.j2")


def render_html(report: Report, lang: str) -> str:
    words = LABELS[lang]
    context = {
        "lang": lang,
        "words": words,
        "scope": scope_line(report, lang),
        "has_summary": bool(report.summary),
    }
    if report.summary:
        summary_header, summary_rows = table_rows(report, lang)
        itt_header, itt_rows = itt_table_rows(report, lang)
        context |= {
            "as_of": as_of_line(report, lang),
            "explanations": explanations(report, lang),
            "itt_explanations": itt_explanations(report, lang) if report.intent_to_treat else [],
            "width": _WIDTH,
            "left": _LEFT,
            "rates": _rate_chart(report, lang),
            "uplifts": _uplift_chart(report, lang),
            "summary_header": summary_header,
            "summary_rows": summary_rows,
            "itt_header": itt_header,
            "itt_rows": itt_rows,
            "breakdown_header": [
                "",
                words["arm"],
                words["n"],
                words["conversions"],
                words["rate"],
                words["ci"],
            ],
            "breakdown_rows": [
                [
                    f"{row['dimension']}: {row['dimension_value']}",
                    report.arm_title(row["arm"], lang),
                    str(row["n"]),
                    str(row["conversions"]),
                    percent(row["conversion_rate"], lang),
                    interval(row["ci_low"], row["ci_high"], lang),
                ]
                for row in report.breakdown
            ],
            "runs_header": [
                words["run"],
                words["salon"],
                words["status"],
                words["started"],
                words["sent"],
                words["held_out"],
                words["failed"],
            ],
            "runs_rows": [
                [
                    str(run["run_id"]),
                    run["salon"],
                    run["status"] + (f" ({run['stop_reason']})" if run["stop_reason"] else ""),
                    run["started_local"].strftime("%Y-%m-%d %H:%M"),
                    str(run["sent"]),
                    str(run["held_out"]),
                    str(run["failed"]),
                ]
                for run in report.runs
            ],
        }
    return _template().render(context)


def _colour(report: Report, arm: str) -> str:
    arms = list(report.arms)
    return _PALETTE[arms.index(arm) % len(_PALETTE)] if arm in arms else _PALETTE[2]


def _rate_chart(report: Report, lang: str) -> dict:
    rows = report.summary
    top = max(float(row["ci_high"] or 0) for row in rows) or 0.1
    scale = (_WIDTH - _LEFT - 60) / (top * 1.1)
    bars = []
    for index, row in enumerate(rows):
        rate, low, high = (float(row[key] or 0) for key in ("conversion_rate", "ci_low", "ci_high"))
        bars.append(
            {
                "y": 10 + index * _ROW,
                "arm": row["arm"],
                "label": report.arm_title(row["arm"], lang),
                "rate": rate,
                "width": rate * scale,
                "colour": _colour(report, row["arm"]),
                "low_x": _LEFT + low * scale,
                "high_x": _LEFT + high * scale,
                "text": percent(rate, lang),
            }
        )
    axis_y = 10 + len(rows) * _ROW
    # The axis starts at zero, so a bar's length is its rate; one more tick at the top.
    ticks = [(_LEFT, percent(0, lang)), (_LEFT + top * scale, percent(top, lang))]
    return {
        "height": axis_y + _AXIS,
        "bars": bars,
        "axis": {"y": axis_y, "zero_x": _LEFT, "end_x": _WIDTH - 40, "ticks": ticks},
    }


def _uplift_chart(report: Report, lang: str) -> dict:
    rows = [row for row in report.summary if row["uplift_vs_holdout"] is not None]
    extent = max(
        (max(abs(float(row["uplift_ci_low"])), abs(float(row["uplift_ci_high"]))) for row in rows),
        default=0.0,
    )
    middle = _LEFT + (_WIDTH - _LEFT - 60) / 2
    scale = (_WIDTH - _LEFT - 60) / 2 / ((extent or 0.1) * 1.1)
    chart_points = []
    for index, row in enumerate(rows):
        uplift, low, high = (
            float(row[key]) for key in ("uplift_vs_holdout", "uplift_ci_low", "uplift_ci_high")
        )
        chart_points.append(
            {
                "y": 10 + index * _ROW,
                "arm": row["arm"],
                "label": report.arm_title(row["arm"], lang),
                "uplift": uplift,
                "x": middle + uplift * scale,
                "low_x": middle + low * scale,
                "high_x": middle + high * scale,
                "text": points(uplift, lang),
            }
        )
    axis_y = 10 + len(rows) * _ROW
    span = extent or 0.1
    ticks = [
        (middle - span * scale, points(-span, lang)),
        (middle, "0"),
        (middle + span * scale, points(span, lang)),
    ]
    return {
        "height": axis_y + _AXIS,
        "middle": middle,
        "points": chart_points,
        "axis": {
            "y": axis_y,
            "zero_x": middle,
            "start_x": _LEFT,
            "end_x": _WIDTH - 40,
            "ticks": ticks,
        },
    }
