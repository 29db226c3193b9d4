"""The DuckDB warehouse as a Dagster resource: one short-lived connection per step, closed at once.

DuckDB allows one writer per file. Steps run one after another (in-process executor), dbt runs as a
subprocess between them, and nobody keeps a connection open across steps, so the lock is always free
for the next writer. Readers (BI, notebooks) use the published copies, never this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb


class WarehouseResource(dg.ConfigurableResource):
    path: str
    memory_limit: str = "2.5GB"  # DuckDB spills to disk past it (settings: SCORELINK_DUCKDB_MEMORY_LIMIT)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, read_only=read_only, config={"memory_limit": self.memory_limit})
        try:
            yield con
        finally:
            con.close()
