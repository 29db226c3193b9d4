"""Where each entity lands and in which format, as the company's systems export it.

HR exports employees as GBK-encoded CSV and job assignments as an Excel workbook; the CRM exports JSON
lines; the time clocks export JSON lines; the ERP exports CSV, and inventory snapshots as Parquet. Large
facts come as one file per month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.simulator.exports import Table
from ingest.simulator.period import Period

MONTHLY = (
    "erp.sales_orders",
    "erp.sales_order_lines",
    "crm.activities",
    "attendance.punches",
    "erp.inventory_snapshots",
)
SPECIAL_FORMAT = {
    "hr.employees": "csv-gbk",
    "hr.job_assignments": "xlsx",
    "attendance.punches": "jsonl",
    "erp.inventory_snapshots": "parquet",
}
EXTENSION = {"csv": "csv", "csv-gbk": "csv", "xlsx": "xlsx", "jsonl": "jsonl", "parquet": "parquet"}


def file_format(entity: str) -> str:
    if entity in SPECIAL_FORMAT:
        return SPECIAL_FORMAT[entity]
    return "jsonl" if entity.startswith("crm.") else "csv"


class LandingFile:
    """One landing file: rows of an entity's table (by index), plus the cells the mess edited.

    Its text is built when asked for (`frame`, `column`), so a month's file costs memory only while it is
    being written. `LandingFile(entity, rel, fmt, frame)` wraps a ready frame.
    """

    def __init__(
        self,
        entity: str,
        rel: str,
        fmt: str,
        frame: pd.DataFrame | None = None,
        month: int | None = None,
        *,
        table: Table | None = None,
        rows: np.ndarray | None = None,
    ):
        self.entity, self.rel, self.fmt, self.month = entity, rel, fmt, month  # rel: forward slashes
        if frame is not None:
            table, rows = Table.from_frame(entity, frame), np.arange(len(frame))
        self.table = table
        self.rows = np.asarray(rows, dtype=np.int32 if table is None or table.n < 2**31 else np.int64)
        self.edits: dict[tuple[int, str], str | None] = {}  # (position, column) -> the cell as planted
        self.raw_lines: dict[int, str] = {}  # CSV row number -> the line written as is
        self.appended_at: int | None = None  # rows from here on were delivered late or again

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def columns(self) -> list[str]:
        return self.table.column_names

    def column(self, name: str) -> np.ndarray:
        """Text cells of one column, edits applied."""
        values = self.table.cells(name, self.rows)
        for (pos, col), value in self.edits.items():
            if col == name:
                values[pos] = value
        return values

    def column_at(self, name: str, positions) -> np.ndarray:
        """Text cells of one column at the given positions only (column(name)[positions] without formatting
        the rest of the file)."""
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) == 0:
            return np.empty(0, dtype=object)
        values = self.table.cells(name, self.rows[positions])
        for k, pos in enumerate(positions.tolist()):
            if (pos, name) in self.edits:
                values[k] = self.edits[(pos, name)]
        return values

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({name: self.column(name) for name in self.columns})

    def get(self, position: int, column: str):
        if (position, column) in self.edits:
            return self.edits[(position, column)]
        return self.table.cells(column, self.rows[[position]])[0]

    def set(self, position: int, column: str, value: str | None) -> None:
        self.edits[(position, column)] = value

    @property
    def header_rows(self) -> int:
        return 1 if self.fmt in ("csv", "csv-gbk", "xlsx") else 0

    def row_number(self, position: int) -> int:
        """Row number a person sees for the 0-based data row (CSV/XLSX count the header as row 1)."""
        return position + 1 + self.header_rows

    def original_rows(self) -> int:
        return len(self) if self.appended_at is None else self.appended_at

    def append(self, other: LandingFile, positions) -> None:
        """Deliver rows of `other` (same entity) again at the end of this file, as they stand now."""
        positions = [int(p) for p in positions]
        assert other.table is self.table, "rows move only between files of one entity"
        if self.appended_at is None:
            self.appended_at = len(self)
        start = len(self)
        for k, p in enumerate(positions):
            for (pos, col), value in list(other.edits.items()):
                if pos == p:
                    self.edits[(start + k, col)] = value
        self.rows = np.concatenate([self.rows, other.rows[np.asarray(positions, dtype=np.int64)]])

    def drop(self, positions) -> None:
        positions = sorted(int(p) for p in positions)
        if self.appended_at is not None:
            self.appended_at -= sum(1 for p in positions if p < self.appended_at)
        keep = np.ones(len(self), dtype=bool)
        keep[positions] = False
        shift = np.cumsum(~keep)  # rows dropped at or before each position
        self.edits = {(pos - int(shift[pos]), col): v for (pos, col), v in self.edits.items() if keep[pos]}
        self.rows = self.rows[keep]

    def ready(self, start: int = 0, stop: int | None = None) -> LandingFile:
        """A copy of rows start:stop holding their text (what a writer reads); drop it once written.

        A chunk that starts after row 0 carries no header: its raw_lines count from its own first line."""
        stop = len(self) if stop is None else min(stop, len(self))
        part = LandingFile(self.entity, self.rel, self.fmt, month=self.month, table=self.table, rows=self.rows[start:stop])
        part.edits = {(pos - start, col): v for (pos, col), v in self.edits.items() if start <= pos < stop}
        out = LandingFile(self.entity, self.rel, self.fmt, part.frame, self.month)
        offset = 0 if start == 0 else start + self.header_rows  # lines before this chunk's first line
        n_lines = stop - start + (self.header_rows if start == 0 else 0)
        out.raw_lines = {n - offset: line for n, line in self.raw_lines.items() if 1 <= n - offset <= n_lines}
        out.appended_at = self.appended_at
        return out


def split_files(tables: dict[str, Table], period: Period) -> list[LandingFile]:
    files = []
    for entity, table in tables.items():
        source, name = entity.split(".")
        fmt = file_format(entity)
        ext = EXTENSION[fmt]
        if entity in MONTHLY:
            order = np.argsort(table.month, kind="stable")
            bounds = np.searchsorted(table.month[order], np.arange(period.n_months + 1))
            for m, label in enumerate(period.month_labels):
                rows = order[bounds[m] : bounds[m + 1]]
                if len(rows):
                    rel = f"{source}/{name}/{name}_{label}.{ext}"
                    files.append(LandingFile(entity, rel, fmt, month=m, table=table, rows=rows))
        else:
            files.append(LandingFile(entity, f"{source}/{name}/{name}.{ext}", fmt, table=table, rows=np.arange(table.n)))
    return files
