"""Where each entity lands and in which format, as the company's systems export it.

HR exports employees as GBK-encoded CSV and job assignments as an Excel workbook; the CRM exports JSON
lines; the time clocks export JSON lines; the ERP exports CSV, and inventory snapshots as Parquet. Large
facts come as one file per month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class LandingFile:
    entity: str
    rel: str  # path relative to the landing folder, with forward slashes
    fmt: str
    frame: pd.DataFrame
    month: int | None = None
    raw_lines: dict[int, str] = field(default_factory=dict)  # CSV row number -> the line written as is
    appended_at: int | None = None  # rows from here on were delivered late or again

    @property
    def header_rows(self) -> int:
        return 1 if self.fmt in ("csv", "csv-gbk", "xlsx") else 0

    def row_number(self, position: int) -> int:
        """Row number a person sees for the 0-based data row (CSV/XLSX count the header as row 1)."""
        return position + 1 + self.header_rows

    def original_rows(self) -> int:
        return len(self.frame) if self.appended_at is None else self.appended_at

    def append(self, rows: pd.DataFrame) -> None:
        if self.appended_at is None:
            self.appended_at = len(self.frame)
        self.frame = pd.concat([self.frame, rows], ignore_index=True)

    def drop(self, positions) -> None:
        positions = list(positions)
        if self.appended_at is not None:
            self.appended_at -= sum(1 for p in positions if p < self.appended_at)
        self.frame = self.frame.drop(index=self.frame.index[positions]).reset_index(drop=True)


def split_files(tables: dict[str, Table], period: Period) -> list[LandingFile]:
    files = []
    for entity, table in tables.items():
        source, name = entity.split(".")
        fmt = file_format(entity)
        ext = EXTENSION[fmt]
        if entity in MONTHLY:
            for m, label in enumerate(period.month_labels):
                part = table.frame[table.month == m].reset_index(drop=True)
                if len(part):
                    files.append(LandingFile(entity, f"{source}/{name}/{name}_{label}.{ext}", fmt, part, m))
        else:
            files.append(LandingFile(entity, f"{source}/{name}/{name}.{ext}", fmt, table.frame.reset_index(drop=True)))
    return files
