"""HTML building blocks of the report: escaped text, sortable tables, the page shell.

Everything is inline (style, script, SVG): the page needs no network and no other file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape

from ..money import cents

# Sorting without a network: a click on a header sorts by the cells' data-value (numbers
# as numbers, else text); a second click reverses.
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.tabIndex = 0;
    function sort() {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      function key(row) {
        var cell = row.cells[col], v = cell.getAttribute("data-value");
        if (v === null) { v = cell.textContent; }
        var n = Number(v);
        return v !== "" && !isNaN(n) ? [0, n] : [1, v];
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), r = x[0] - y[0];
        if (!r) { r = x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0; }
        return up ? r : -r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});
"""

STYLE = """
:root { --ink: #1b1f24; --muted: #59636e; --line: #d0d7de; --band: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.lead, p.note { color: var(--muted); margin: 4px 0 10px; }
nav a { margin-right: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left;
         white-space: nowrap; }
td.num, th.num { text-align: right; }
thead th { background: var(--band); position: sticky; top: 0; }
table.sortable th { cursor: pointer; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
figure { margin: 12px 0 20px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, .card, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  thead th { position: static; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  @page { margin: 14mm; }
}
"""


@dataclass(frozen=True)
class Cell:
    """One table cell: what is shown, and the exact value it sorts and checks by."""

    text: str
    value: str | None = None
    numeric: bool = False


def money(text: str | Decimal | None) -> Cell:
    """Money shown to cents, the exact value kept in data-value (and as a tooltip)."""
    if text is None or text == "":
        return Cell("")
    try:
        exact = Decimal(str(text))
    except InvalidOperation:
        return Cell(str(text))
    return Cell(f"{cents(exact):,.2f}", format(exact, "f"), numeric=True)


def number(value, places: int | None = None) -> Cell:
    """A count or hours: right-aligned, sorted as a number."""
    if value is None or value == "":
        return Cell("")
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return Cell(str(value))
    shown = f"{exact:,.{places}f}" if places is not None else f"{exact:,}"
    return Cell(shown, str(value), numeric=True)


def text(value) -> Cell:
    return Cell("" if value is None else str(value))


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, id: str,
          numeric: Sequence[bool] | None = None) -> str:
    """A sortable table; `id` names it for readers and tests."""
    rows = list(rows)
    if numeric is None:
        numeric = [bool(rows) and all(r[i].numeric or not r[i].text for r in rows)
                   for i in range(len(headers))]
    head = "".join(f'<th scope="col"{" class=num" if n else ""}>{escape(h)}</th>'
                   for h, n in zip(headers, numeric))
    body = []
    for row in rows:
        cells = []
        for cell in row:
            attrs = ' class="num"' if cell.numeric else ""
            if cell.value is not None:
                attrs += f' data-value="{escape(cell.value)}"'
                if cell.value != cell.text:
                    attrs += f' title="{escape(cell.value)}"'
            cells.append(f"<td{attrs}>{escape(cell.text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="sortable" id="{escape(id)}">'
            f"<thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) +
            "\n</tbody></table></div>")


def cards(items: Sequence[tuple[str, str, str]]) -> str:
    """Key figures: (label, shown text, data-key for readers and tests)."""
    return '<div class="cards">' + "".join(
        f'<div class="card" data-key="{escape(key)}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(shown)}</div></div>' for label, shown, key in items
    ) + "</div>"


def document(title: str, body: str) -> str:
    """The whole page: one file, its style and script inline."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n")
