"""The A/B report as one self-contained HTML page: inline CSS and SVG, no scripts, no fonts."""

from runner.report import LABELS, Report, escape, explanations, percent, points, table_rows

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 60rem; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
p.explain { background: #f5f7fa; padding: 0.6rem 0.8rem; border-left: 4px solid #4a7bd0; }
.note { color: #a15c00; }
svg text { font-size: 12px; fill: #222; }
"""

_COLOURS = {
    "holdout": "#9aa5b1",
    "control": "#7fa7d9",
    "waterfall_template": "#4a7bd0",
    "waterfall_ai": "#1f4e9c",
}
_ROW = 34
_LEFT = 250
_WIDTH = 700


def render_html(report: Report, lang: str) -> str:
    words = LABELS[lang]
    scope = (
        words["scope_all"]
        if report.company_id is None
        else words["scope_one"].format(company=report.company_id)
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{escape(words['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(words['title'])}</h1><p>{escape(scope)}</p>",
    ]
    if not report.summary:
        parts.append(f"<p>{escape(words['empty'])}</p></body></html>")
        return "".join(parts)
    parts += [f'<p class="explain">{escape(line)}</p>' for line in explanations(report, lang)]
    parts.append(f"<h2>{escape(words['chart'])}</h2>")
    parts.append(_rate_chart(report, words))
    parts.append(f"<h2>{escape(words['uplift'])}</h2>")
    parts.append(_uplift_chart(report, words))
    header, rows = table_rows(report, lang)
    parts.append(_table(header, rows, css_last="note"))
    if report.breakdown:
        parts.append(f"<h2>{escape(words['breakdown'])}</h2>")
        parts.append(
            _table(
                ["", words["arm"], words["n"], words["conversions"], words["rate"], words["ci"]],
                [
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
            )
        )
    parts.append(f"<h2>{escape(words['runs'])}</h2>")
    parts.append(
        _table(
            [
                words["run"],
                words["salon"],
                words["status"],
                words["started"],
                words["sent"],
                words["held_out"],
                words["failed"],
            ],
            [
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
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def _rate_chart(report: Report, words: dict) -> str:
    rows = report.summary
    top = max(float(row["ci_high"] or 0) for row in rows) or 0.1
    scale = (_WIDTH - _LEFT - 60) / (top * 1.1)
    height = _ROW * len(rows) + 20
    shapes = []
    for index, row in enumerate(rows):
        y = 10 + index * _ROW
        rate, low, high = (float(row[key] or 0) for key in ("conversion_rate", "ci_low", "ci_high"))
        colour = _COLOURS.get(row["arm"], "#4a7bd0")
        shapes += [
            f'<text x="0" y="{y + 17}">{escape(words.get(row["arm"], row["arm"]))}</text>',
            f'<rect class="bar" data-arm="{escape(row["arm"])}" data-rate="{rate:.4f}" '
            f'x="{_LEFT}" y="{y + 4}" width="{rate * scale:.1f}" height="18" fill="{colour}"/>',
            _whisker(_LEFT + low * scale, _LEFT + high * scale, y + 13),
            f'<text x="{_LEFT + high * scale + 6:.1f}" y="{y + 17}">{percent(rate)}</text>',
        ]
    return _svg(height, shapes)


def _uplift_chart(report: Report, words: dict) -> str:
    rows = [row for row in report.summary if row["uplift_vs_holdout"] is not None]
    if not rows:
        return ""
    extent = (
        max(
            max(abs(float(row["uplift_ci_low"])), abs(float(row["uplift_ci_high"]))) for row in rows
        )
        or 0.1
    )
    middle = _LEFT + (_WIDTH - _LEFT - 60) / 2
    scale = (_WIDTH - _LEFT - 60) / 2 / (extent * 1.1)
    height = _ROW * len(rows) + 20
    shapes = [
        f'<line x1="{middle}" y1="0" x2="{middle}" y2="{height}" stroke="#888" '
        'stroke-dasharray="4 3"/>'
    ]
    for index, row in enumerate(rows):
        y = 10 + index * _ROW
        uplift, low, high = (
            float(row[key]) for key in ("uplift_vs_holdout", "uplift_ci_low", "uplift_ci_high")
        )
        shapes += [
            f'<text x="0" y="{y + 17}">{escape(words[row["arm"]])}</text>',
            _whisker(middle + low * scale, middle + high * scale, y + 13),
            f'<circle class="uplift" data-arm="{escape(row["arm"])}" data-uplift="{uplift:.4f}" '
            f'cx="{middle + uplift * scale:.1f}" cy="{y + 13}" r="5" fill="#1f4e9c"/>',
            f'<text x="{middle + high * scale + 6:.1f}" y="{y + 17}">'
            f"{points(uplift, words['pp'])}</text>",
        ]
    return _svg(height, shapes)


def _whisker(x1: float, x2: float, y: float) -> str:
    return (
        f'<g class="whisker"><line x1="{x1:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" '
        'stroke="#222" stroke-width="1.5"/>'
        f'<line x1="{x1:.1f}" y1="{y - 6}" x2="{x1:.1f}" y2="{y + 6}" stroke="#222"/>'
        f'<line x1="{x2:.1f}" y1="{y - 6}" x2="{x2:.1f}" y2="{y + 6}" stroke="#222"/></g>'
    )


def _svg(height: int, shapes: list[str]) -> str:
    body = "".join(shapes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" role="img">{body}</svg>'
    )


def _table(header: list[str], rows: list[list[str]], css_last: str | None = None) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = []
    for row in rows:
        cells = [f"<td>{escape(cell)}</td>" for cell in row]
        if css_last and row[-1]:
            cells[-1] = f'<td class="{css_last}">{escape(row[-1])}</td>'
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
