"""Load the landing files of one entity into its raw table, keeping bad rows in quarantine.

Landing layout: <landing>/<source>/<entity>/<any file name>.<csv|xlsx|jsonl|parquet>, plus landing.yml.

For every file: rows read = rows loaded + rows quarantined, recorded in ingest.file_loads and checked by
an asset check against the rows actually present. A file already loaded (same content, by sha256) is
skipped, so loading the same files twice changes nothing. An entity loads in one transaction: if one of
its files cannot be read, nothing of the entity is written and the error names the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from ingest.contract import RAW_SQL_TYPES, Contract
from ingest.fast_path import FastPathFailed, insert_checked_rows, load_file_fast
from ingest.readers import SUPPORTED_SUFFIXES, read_landing_file
from ingest.row_checks import check_rows

INGEST_DDL = """
create schema if not exists ingest;
create table if not exists ingest.file_loads (
  batch_id varchar primary key,
  source varchar not null,
  entity varchar not null,
  source_file varchar not null,
  sha256 varchar not null,
  file_format varchar not null,
  encoding varchar,
  rows_read bigint not null,
  rows_loaded bigint not null,
  rows_quarantined bigint not null,
  extra_columns varchar,
  loaded_at timestamp not null
);
create table if not exists ingest.quarantine (
  batch_id varchar not null,
  source varchar not null,
  entity varchar not null,
  source_file varchar not null,
  row_number bigint not null,
  column_name varchar,
  reason varchar not null,
  raw_record varchar,
  quarantined_at timestamp not null
);
"""


@dataclass
class FileLoad:
    source_file: str
    batch_id: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    skipped: bool = False


@dataclass
class EntityLoad:
    entity: str
    files: list[FileLoad] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files if not f.skipped)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files if not f.skipped)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files if not f.skipped)

    @property
    def files_skipped(self) -> int:
        return sum(f.skipped for f in self.files)


def landing_files(landing_dir: Path, contract: Contract) -> list[Path]:
    folder = landing_dir / contract.source / contract.entity
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def ensure_raw_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the raw table, or add columns a newer contract version introduced."""
    con.execute(INGEST_DDL)
    con.execute(f"create schema if not exists {contract.raw_schema}")
    con.execute(contract.create_table_sql())
    existing = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [contract.raw_schema, contract.entity],
        ).fetchall()
    }
    for col in contract.columns:
        if col.name not in existing:
            con.execute(f'alter table {contract.raw_table} add column "{col.name}" {RAW_SQL_TYPES[col.type]}')


def load_entity(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    landing_dir: Path,
    timezone: str,
    on_file: Callable[[FileLoad], None] | None = None,
    reader: Literal["duckdb", "python"] = "duckdb",
) -> EntityLoad:
    """Load every landing file of one entity in one transaction.

    reader="duckdb" (default) lets DuckDB read and check the rows it can decide for certain and gives the
    rest to the Python readers and row checks (ingest/fast_path.py); reader="python" uses only the Python
    readers and checks. Both give the same tables, row for row (tests/test_ingest_fast_path.py). If DuckDB
    raises while loading (the transaction is then aborted), the entity is rolled back and loaded again with
    reader="python"; on_file is then called again for the files already reported.
    """
    result = EntityLoad(contract.name)
    con.execute("begin transaction")
    try:
        ensure_raw_table(con, contract)
        for path in landing_files(landing_dir, contract):
            file_load = _load_file(con, contract, landing_dir, path, timezone, reader)
            result.files.append(file_load)
            if on_file:
                on_file(file_load)
        con.execute("commit")
    except FastPathFailed:
        # DuckDB could not read a file the way the fast path expected; its error aborted the transaction.
        # Nothing of the entity was written: load it again with the Python readers.
        con.execute("rollback")
        return load_entity(con, contract, landing_dir, timezone, on_file, reader="python")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _load_file(con, contract: Contract, landing_dir: Path, path: Path, timezone: str, reader: str) -> FileLoad:
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    rel = path.relative_to(landing_dir).as_posix()
    batch_id = f"{contract.name}:{sha256[:16]}"
    already = con.execute("select rows_read, rows_loaded, rows_quarantined from ingest.file_loads "
                          "where batch_id = ?", [batch_id]).fetchone()
    if already:
        return FileLoad(rel, batch_id, *already, skipped=True)

    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fast = None
    if reader == "duckdb":
        fast = load_file_fast(con, contract, path, data, batch_id, rel, timezone, loaded_at)
    del data
    if fast is not None:
        rows_read, rows_loaded, rejects = fast.rows_read, fast.rows_loaded, fast.rejects
        encoding, extra_columns = fast.encoding, fast.extra_columns
    else:
        raw = read_landing_file(path, contract)
        checked = check_rows(raw, contract, timezone)
        rejects = raw.rejects + checked.rejects
        rows_read, encoding, extra_columns = raw.rows_read, raw.encoding, raw.extra_columns
        rows_loaded = insert_checked_rows(con, contract, checked.good, batch_id, rel, loaded_at)
    if rejects:
        con.executemany(
            "insert into ingest.quarantine values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [batch_id, contract.source, contract.entity, rel, r.row_number, r.column, r.reason,
                 r.raw_record, loaded_at]
                for r in sorted(rejects, key=lambda r: r.row_number)
            ],
        )
    file_load = FileLoad(rel, batch_id, rows_read, rows_loaded, len(rejects))
    con.execute(
        "insert into ingest.file_loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, contract.source, contract.entity, rel, sha256, path.suffix.lower().lstrip("."),
         encoding, file_load.rows_read, file_load.rows_loaded, file_load.rows_quarantined,
         json.dumps(extra_columns) if extra_columns else None, loaded_at],
    )
    return file_load


def reconcile_entity(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[dict]:
    """Files whose recorded counts do not match the rows actually in the raw table and quarantine.

    Returns one dict per mismatching file (empty list when rows in = rows loaded + rows quarantined holds).
    """
    return [
        dict(zip(("source_file", "rows_read", "rows_loaded", "rows_quarantined", "in_raw", "in_quarantine"), r,
                 strict=True))
        for r in con.execute(
            f"""
            with raw_counts as (
                select _batch_id as batch_id, count(*) as n from {contract.raw_table} group by 1
            ), quarantine_counts as (
                select batch_id, count(*) as n from ingest.quarantine where source = ? and entity = ? group by 1
            )
            select f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined,
                   coalesce(r.n, 0) as in_raw, coalesce(q.n, 0) as in_quarantine
            from ingest.file_loads f
            left join raw_counts r using (batch_id)
            left join quarantine_counts q using (batch_id)
            where f.source = ? and f.entity = ?
              and (f.rows_read != f.rows_loaded + f.rows_quarantined
                   or coalesce(r.n, 0) != f.rows_loaded
                   or coalesce(q.n, 0) != f.rows_quarantined)
            order by f.source_file
            """,
            [contract.source, contract.entity, contract.source, contract.entity],
        ).fetchall()
    ]
