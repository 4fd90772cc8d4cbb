"""The outcome report as a terminal table, JSON, or a self-contained HTML page with bar charts."""
from __future__ import annotations

import html
import json

COLUMNS = (("conversations", "conversations", "n"), ("csat", "CSAT 4–5", "%"), ("csat_mean", "CSAT mean", "n"),
           ("participation_rate", "participation", "%"), ("nps", "NPS", "n"),
           ("transfer_rate", "transfer", "%"), ("self_service_rate", "self-service", "%"),
           ("first_contact_resolution", "FCR", "%"), ("helpful_rate", "helpful", "%"))


def render_report(report: dict, format: str) -> str:
    if format == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if format == "html":
        return _html(report)
    return _table(report)


def _cell(value, kind: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if kind == "%" else f"{value:g}"


def _rows(report: dict):
    yield "total", report["totals"]
    for row in report.get("rows", []):
        yield str(row["key"]), row


def _table(report: dict) -> str:
    header = [report["by"] or ""] + [title for _, title, _ in COLUMNS]
    body = [[name] + [_cell(row[key], kind) for key, _, kind in COLUMNS] for name, row in _rows(report)]
    widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
    lines = [f"outcomes {report['since']} → {report['until']} (FCR window {report['first_contact_window_hours']:g} h)"]
    for row in [header] + body:
        lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def _bar(value, kind: str) -> str:
    if value is None or kind != "%":
        return html.escape(_cell(value, kind))
    return f'<span class="bar" style="width:{value * 100:.0f}px"></span>{_cell(value, kind)}'


def _html(report: dict) -> str:
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title, _ in COLUMNS)
    rows = "".join(f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{_bar(row[key], kind)}</td>"
                                                                  for key, _, kind in COLUMNS) + "</tr>"
                   for name, row in _rows(report))
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>faqbot outcomes</title>
<style>body{{font:14px/1.5 sans-serif;margin:24px}}table{{border-collapse:collapse}}
th,td{{padding:6px 10px;border-bottom:1px solid #eee;text-align:left}}
.bar{{display:inline-block;height:10px;background:#1677ff;margin-right:6px;vertical-align:middle}}</style></head>
<body><h1>faqbot outcomes</h1><p>{html.escape(report['since'])} → {html.escape(report['until'])},
grouped by {html.escape(str(report['by'] or 'nothing'))}; first-contact window
{report['first_contact_window_hours']:g} h.</p>
<table><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table></body></html>"""
