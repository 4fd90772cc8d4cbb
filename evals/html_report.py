"""The evaluation report as one self-contained HTML page (plots embedded, tables sortable).

Built from small blocks — ``page``, ``table``, ``figure`` — that other evaluations (conversation
replay) can reuse. Every text that comes from data (queries, questions, ids) is escaped.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from evals.bootstrap import interval_text

Column = tuple[str, str]  # (key in the row, heading)

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:2em auto;
max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}th,td{border:1px solid #ddd;padding:4px 8px;
vertical-align:top;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
th.sortable{cursor:pointer;background:#f4f4f4;user-select:none}th.sortable:after{content:" \\2195";color:#999}
.figs{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figure img{max-width:100%;border:1px solid #eee}
.sig{font-weight:bold}.muted{color:#777}ul.q{margin:0;padding-left:1.2em}
"""

SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th.sortable").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("data-dir") !== "asc";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("data-dir"); });
      th.setAttribute("data-dir", up ? "asc" : "desc");
      function key(row) { var v = row.cells[column].getAttribute("data-v"); return v === null ? row.cells[column].textContent : v; }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === "") return 1; if (y === "") return -1;           // empty values last either way
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def page(title: str, blocks: Sequence[str]) -> str:
    return ("<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>\n" + "\n".join(blocks) + f"\n<script>{SORT_JS}</script></body></html>\n")


def section(heading: str, *blocks: str, note: str = "") -> str:
    text = f"<p class=\"muted\">{escape(note)}</p>" if note else ""
    return f"<h2>{escape(heading)}</h2>{text}" + "".join(blocks)


def figure(name: str, png: bytes, caption: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure><img alt=\"{escape(name)}\" data-plot=\"{escape(name)}\" src=\"data:image/png;base64,{data}\">"
            + (f"<figcaption class=\"muted\">{escape(caption)}</figcaption>" if caption else "") + "</figure>")


def figures(images: dict[str, bytes]) -> str:
    return "<div class=\"figs\">" + "".join(figure(name, png) for name, png in images.items()) + "</div>"


def table(columns: Sequence[Column], rows: Sequence[dict], sortable: bool = True, table_id: str = "") -> str:
    """A table of rows; numbers right-aligned; list values as bullet lists; click a heading to sort."""
    cls = "sortable" if sortable else ""
    head = "".join(f"<th class=\"{cls}\">{escape(h)}</th>" for _, h in columns)
    body = "".join("<tr>" + "".join(cell(row.get(key)) for key, _ in columns) + "</tr>" for row in rows)
    ident = f" id=\"{escape(table_id)}\"" if table_id else ""
    return f"<table class=\"{cls}\"{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cell(value) -> str:
    if value is None:
        return "<td data-v=\"\"></td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float)):
        return f"<td class=\"n\" data-v=\"{value}\">{value}</td>"
    if isinstance(value, list):
        items = "".join(f"<li>{escape(str(v))}</li>" for v in value)
        return f"<td data-v=\"{len(value)}\"><ul class=\"q\">{items}</ul></td>"
    return f"<td>{escape(str(value))}</td>"


def metrics_table(results: dict[str, dict], keys: Sequence[str],
                  differences: dict[str, dict[str, dict]] | None = None) -> str:
    """Metrics down, runs across; with ``differences`` (run → metric → interval) a column per comparison."""
    names = list(results)
    head = "<th>metric</th>" + "".join(f"<th>{escape(n)}</th>" for n in names)
    compared = list(differences or {})
    head += "".join(f"<th>{escape(n)} − {escape(names[0])} (95% CI)</th>" for n in compared)
    rows: list[str] = []
    for key in keys:
        cells = "".join(cell(results[n].get(key)) for n in names)
        for n in compared:
            d = (differences or {})[n].get(key)
            cells += "<td></td>" if d is None else (
                f"<td class=\"n {'sig' if d['significant'] else 'muted'}\">{interval_text(d)}</td>")
        rows.append(f"<tr><td>{escape(key)}</td>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
