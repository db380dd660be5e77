"""Text and HTML previews of results for DataFrame.show(), repr() and notebooks."""

from __future__ import annotations

import html
import unicodedata
from typing import List, Optional

import pyarrow as pa

__all__ = ["format_table", "format_html"]


def _width(text: str) -> int:
    """Return the display width of ``text`` (East Asian wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _cut(text: str, max_width: int) -> str:
    """Cut ``text`` to ``max_width`` columns, ending with "…" when cut."""
    if max_width <= 0 or _width(text) <= max_width:
        return text
    out, w = "", 0
    for c in text:
        cw = _width(c)
        if w + cw > max_width - 1:
            break
        out += c
        w += cw
    return out + "…"


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _cell_text(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return str(value)


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def format_table(table: pa.Table, more: bool, max_cell_width: int = 40,
                 max_width: Optional[int] = None, multiline: bool = True) -> str:
    """Render ``table`` as a text table with ASCII borders.

    Numbers are right-aligned, NULL is spelled out, values longer than
    ``max_cell_width`` are cut with "…". With ``multiline`` a value containing line
    breaks spans several lines (else breaks show as "\\n"). When the table is wider
    than ``max_width``, columns in the middle are replaced by a "…" column. ``more``
    adds a note that only the first rows are shown."""
    names = table.column_names
    if not names:
        return "(no columns)"
    numeric = [_is_numeric(t) for t in table.schema.types]
    rows: List[List[List[str]]] = []  # row -> column -> lines
    for row in table.to_pylist():
        cells = []
        for v in row.values():
            text = _cell_text(v).replace("\r\n", "\n").replace("\t", "    ")
            if not multiline:
                text = text.replace("\n", "\\n")
            cells.append([_cut(line, max_cell_width) for line in text.split("\n")])
        rows.append(cells)
    headers = [_cut(n, max_cell_width) for n in names]
    widths = [max([_width(headers[i])] + [_width(l) for r in rows for l in r[i]])
              for i in range(len(names))]

    shown = list(range(len(names)))
    if max_width is not None:
        total = lambda cols: 1 + sum(widths[c] + 3 if c >= 0 else 4 for c in cols)  # noqa: E731
        if total(shown) > max_width:
            left, right = [], []
            lo, hi = 0, len(names) - 1
            while lo <= hi:
                take_left = len(left) <= len(right)
                cand_left = left + [lo] if take_left else left
                cand_right = right if take_left else [hi] + right
                if total(cand_left + [-1] + cand_right) > max_width and (left or right):
                    break
                left, right = cand_left, cand_right
                if take_left:
                    lo += 1
                else:
                    hi -= 1
            shown = left + [-1] + right if lo <= hi else left + right

    def width_of(c: int) -> int:
        return widths[c] if c >= 0 else 1

    rule = "+" + "+".join("-" * (width_of(c) + 2) for c in shown) + "+"
    out = [rule, "| " + " | ".join(_pad(headers[c], widths[c], False) if c >= 0 else "…"
                                   for c in shown) + " |", rule]
    for r in rows:
        height = max(len(r[c]) for c in shown if c >= 0) if any(c >= 0 for c in shown) else 1
        for k in range(height):
            parts = []
            for c in shown:
                if c < 0:
                    parts.append("…" if k == 0 else " ")
                    continue
                line = r[c][k] if k < len(r[c]) else ""
                parts.append(_pad(line, widths[c], numeric[c]))
            out.append("| " + " | ".join(parts) + " |")
    out.append(rule)
    notes = []
    if more:
        notes.append(f"showing the first {len(rows)} rows")
    if -1 in shown:
        notes.append(f"{len(shown) - 1} of {len(names)} columns")
    if notes:
        out.append("(" + "; ".join(notes) + ")")
    return "\n".join(out)


def format_html(table: pa.Table, more: bool, max_cell_width: int = 200) -> str:
    """Render ``table`` as an HTML table (for Jupyter's _repr_html_)."""
    head = "".join(f"<th>{html.escape(n)}</th>" for n in table.column_names)
    numeric = [_is_numeric(t) for t in table.schema.types]
    body = []
    for row in table.to_pylist():
        cells = []
        for i, v in enumerate(row.values()):
            style = ' style="text-align: right"' if numeric[i] else ""
            text = html.escape(_cut(_cell_text(v), max_cell_width)).replace("\n", "<br>")
            cells.append(f"<td{style}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f"<p>showing the first {table.num_rows} rows</p>" if more else ""
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{note}")
