"""The outcome report as a terminal table, JSON, or a self-contained HTML page with bar charts.

Two tables: the outcomes (CSAT, NPS, self-service …) and the hand-offs' contact-centre metrics (waits,
service level …); ``--by agent`` shows the per-agent columns. Labels come from ``handoff/metric_labels.py``."""
from __future__ import annotations

import html
import json

from handoff.metric_labels import AGENT_COLUMNS, OPERATIONS, OUTCOMES, labels, shown

BY_AGENT = tuple(c for c in OUTCOMES + OPERATIONS if c[0] in AGENT_COLUMNS)


def render_report(report: dict, format: str) -> str:
    if format == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if format == "html":
        return _html(report)
    return _table(report)


def _tables(report: dict):
    if report["by"] == "agent":
        return (("per agent", "坐席绩效", BY_AGENT),)
    return (("outcomes", "服务结果", OUTCOMES), ("contact centre", "人工服务运营指标", OPERATIONS))


def _rows(report: dict):
    yield "total", report["totals"]
    for row in report.get("rows", []):
        yield str(row["key"]), row


def _table(report: dict) -> str:
    filters = ", ".join(f"{k}={v}" for k, v in report.get("filters", {}).items())
    lines = [f"outcomes {report['since']} → {report['until']} (FCR window {report['first_contact_window_hours']:g} h)"
             + (f"; only {filters}" if filters else "")]
    for n, (title, _, columns) in enumerate(_tables(report)):
        header = [report["by"] or title] + [english for _, _, english, _ in columns]
        body = [[name] + [shown(row.get(key), kind) for key, _, _, kind in columns] for name, row in _rows(report)]
        widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
        lines.extend([""] if n else [])
        for row in [header] + body:
            lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def _bar(value, kind: str) -> str:
    if value is None or kind != "%":
        return html.escape(shown(value, kind))
    return f'<span class="bar" style="width:{min(value, 1) * 100:.0f}px"></span>{shown(value, kind)}'


def _html_table(report: dict, columns) -> str:
    head = "".join(f"<th>{html.escape(zh)}</th>" for _, zh, _, _ in columns)
    rows = "".join(f"<tr><td>{html.escape('合计' if name == 'total' else name)}</td>"
                   + "".join(f"<td>{_bar(row.get(key), kind)}</td>" for key, _, _, kind in columns) + "</tr>"
                   for name, row in _rows(report))
    grouping = labels().get(report["by"] or "", "")
    return f"<table><thead><tr><th>{html.escape(grouping)}</th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _html(report: dict) -> str:
    sections = "".join(f"<h2>{html.escape(zh)}</h2>{_html_table(report, columns)}"
                       for _, zh, columns in _tables(report))
    filters = "，".join(f"{labels().get(k, k)}={v}" for k, v in report.get("filters", {}).items())
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>faqbot 服务报告</title>
<style>body{{font:14px/1.5 sans-serif;margin:24px}}table{{border-collapse:collapse}}
th,td{{padding:6px 10px;border-bottom:1px solid #eee;text-align:left}}
.bar{{display:inline-block;height:10px;background:#1677ff;margin-right:6px;vertical-align:middle}}</style></head>
<body><h1>faqbot 服务报告</h1><p>{html.escape(report['since'])} → {html.escape(report['until'])}，
维度：{html.escape(labels().get(report['by'] or '', '无'))}{'，筛选：' + html.escape(filters) if filters else ''}；
首次联系解决的判断窗口 {report['first_contact_window_hours']:g} 小时。</p>
{sections}</body></html>"""
