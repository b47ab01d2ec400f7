"""The A/B report as one self-contained HTML page (templates/report.html.j2, rendered by Jinja2
with autoescaping): this module only lays the charts out; the numbers and words come from
runner/report.py."""

import functools

import jinja2

from runner.report import LABELS, Report, explanations, percent, points, table_rows

_COLOURS = {
    "holdout": "#9aa5b1",
    "control": "#7fa7d9",
    "waterfall_template": "#4a7bd0",
    "waterfall_ai": "#1f4e9c",
}
_ROW = 34
_LEFT = 250
_WIDTH = 700


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
    scope = (
        words["scope_all"]
        if report.company_id is None
        else words["scope_one"].format(company=report.company_id)
    )
    context = {"lang": lang, "words": words, "scope": scope, "has_summary": bool(report.summary)}
    if report.summary:
        summary_header, summary_rows = table_rows(report, lang)
        context |= {
            "explanations": explanations(report, lang),
            "width": _WIDTH,
            "left": _LEFT,
            "rates": _rate_chart(report, words),
            "uplifts": _uplift_chart(report, words),
            "summary_header": summary_header,
            "summary_rows": summary_rows,
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
                    words.get(row["arm"], row["arm"]),
                    str(row["n"]),
                    str(row["conversions"]),
                    percent(row["conversion_rate"]),
                    f"{percent(row['ci_low'])} – {percent(row['ci_high'])}",
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
                    str(run["company_id"]),
                    run["status"] + (f" ({run['stop_reason']})" if run["stop_reason"] else ""),
                    run["started_at"].strftime("%Y-%m-%d %H:%M"),
                    str(run["sent"]),
                    str(run["held_out"]),
                    str(run["failed"]),
                ]
                for run in report.runs
            ],
        }
    return _template().render(context)


def _rate_chart(report: Report, words: dict) -> dict:
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
                "label": words.get(row["arm"], row["arm"]),
                "rate": rate,
                "width": rate * scale,
                "colour": _COLOURS.get(row["arm"], "#4a7bd0"),
                "low_x": _LEFT + low * scale,
                "high_x": _LEFT + high * scale,
                "text": percent(rate),
            }
        )
    return {"height": _ROW * len(rows) + 20, "bars": bars}


def _uplift_chart(report: Report, words: dict) -> dict:
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
                "label": words[row["arm"]],
                "uplift": uplift,
                "x": middle + uplift * scale,
                "low_x": middle + low * scale,
                "high_x": middle + high * scale,
                "text": points(uplift, words["pp"]),
            }
        )
    return {"height": _ROW * len(rows) + 20, "middle": middle, "points": chart_points}
