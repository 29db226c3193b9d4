"""Test helper: empty marts for every published table a small hand-made fixture does not build itself."""

from __future__ import annotations

import duckdb

from orchestration.publish import PUBLISHED_TABLES


def create_missing_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Create each published table's source mart that does not exist yet, empty, with the mart's column names."""
    existing = {f"{s}.{n}" for s, n in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    for t in PUBLISHED_TABLES:
        if t.source in existing:
            continue
        source_of = dict(t.renames)
        cols = [(source_of.get(c, c), ty) for c, ty in t.spec]
        if t.where and "period_type" in t.where and "period_type" not in dict(cols):
            cols.append(("period_type", "varchar"))
        con.execute(f"create schema if not exists {t.source.split('.')[0]}")
        con.execute(f"create table {t.source} ({', '.join(f'{c} {ty}' for c, ty in cols)})")
