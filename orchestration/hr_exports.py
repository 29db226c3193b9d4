"""HR exports: one period's current published scores as CSV and XLSX, read from the serving DuckDB only.

    paths = export_period(published_dir / "serving.duckdb", "2024-03", home / "reports" / "exports")

For the period's current version (the highest version in published.score_versions) it writes:

    scorelink_<period>_v<version>.xlsx              sheets: version, role_scores, sales_rep_scores, incentives,
                                                    score_deltas
    scorelink_<period>_v<version>_version.csv       the version metadata (one row)
    scorelink_<period>_v<version>_role_scores.csv   every published role score row of that version
    scorelink_<period>_v<version>_sales_rep_scores.csv
    scorelink_<period>_v<version>_incentives.csv    the quarter's incentives (only in the month closing a quarter)
    scorelink_<period>_v<version>_score_deltas.csv  per-employee, per-field changes against the previous version
                                                    (empty for a first publication)

Rows are the published rows exactly: every column of the published table, in its order, sorted by
employee_id. Versions are immutable, so a file name with its version always means the same rows; a
restatement gets new files and the old ones stay valid. Files are written to a temporary name and moved
into place. The CSV files are UTF-8 with a byte-order mark (so Excel reads them as UTF-8); text is
written as is. In the XLSX, text cells are always text: a value starting with '=' never becomes a formula;
dates and timestamps are ISO text; an empty text is an empty cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import duckdb

# published.<name>, one sheet and one CSV each, in this row order
EXPORTED_TABLES = {"role_scores": "employee_id", "sales_rep_scores": "employee_id", "incentives": "employee_id",
                   "score_deltas": "employee_id, table_name, field"}
VERSION_COLUMNS = ("period", "version", "scorecard_version", "published_at", "input_fingerprint", "run_id",
                   "reason", "row_count", "changed_rows", "previous_version", "published_by", "gate_results")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ExportError(LookupError):
    """No serving DuckDB, a malformed period, or a period that was never published."""


def _cell(value: Any) -> Any:
    """Timestamps as ISO text (exact, no Excel serial rounding); everything else unchanged."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql, params)
    return [d[0] for d in cursor.description], cursor.fetchall()


def read_period(serving_db: Path, period: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """The period's version metadata and current published rows: {'version'|table: (columns, rows)}."""
    if not PERIOD.match(period):
        raise ExportError(f"period {period!r}: write a month, YYYY-MM (published periods are months)")
    if not Path(serving_db).exists():
        raise ExportError(f"no serving DuckDB at {serving_db}: publish first (scorelink demo or scorelink run)")
    with duckdb.connect(str(serving_db), read_only=True) as con:
        try:
            version = _query(
                con, f"select {', '.join(VERSION_COLUMNS)} from published.score_versions where period = ? "
                     "order by version desc limit 1", [period])
        except duckdb.CatalogException as exc:
            raise ExportError(f"{serving_db} holds no published.score_versions: publish first") from exc
        if not version[1]:
            known = [r[0] for r in con.execute("select distinct period from published.score_versions order by 1")
                     .fetchall()]
            raise ExportError(f"period {period} is not published; published periods: {', '.join(known) or 'none'}")
        number = version[1][0][1]
        data = {"version": version}
        for table, order in EXPORTED_TABLES.items():
            data[table] = _query(con, f"select * from published.{table} where period = ? and version = ? "
                                      f"order by {order}", [period, number])
    return data


def _write_csv(path: Path, columns: list[str], rows: list[tuple]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])
    os.replace(tmp, path)


def _write_xlsx(path: Path, sheets: dict[str, tuple[list[str], list[tuple]]], created: dt.datetime) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "ScoreLink"
    wb.properties.created = created
    for name, (columns, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=_cell(value))
                if isinstance(cell.value, str) and cell.data_type != "s":
                    cell.data_type = "s"  # text stays text (no formulas from data)
        ws.freeze_panes = "A2"
        for c, column in enumerate(columns, start=1):
            width = max([len(column)] + [len(str(_cell(row[c - 1]))) for row in rows[:200]])
            ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 70)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    os.replace(tmp, path)


def export_period(serving_db: Path, period: str, out_dir: Path) -> list[Path]:
    """Write the period's current published scores as one XLSX and one CSV per table; return the paths."""
    data = read_period(Path(serving_db), period)
    version_row = data["version"][1][0]
    stem = f"scorelink_{period}_v{version_row[1]}"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    xlsx = out_dir / f"{stem}.xlsx"
    published_at = version_row[VERSION_COLUMNS.index("published_at")]
    _write_xlsx(xlsx, data, published_at if isinstance(published_at, dt.datetime) else dt.datetime(2000, 1, 1))
    paths = [xlsx]
    for name, (columns, rows) in data.items():
        path = out_dir / f"{stem}_{name}.csv"
        _write_csv(path, columns, rows)
        paths.append(path)
    return paths
