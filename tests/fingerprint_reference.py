"""Test helper: the per-period fingerprint as publication computed it until the grouped query (main at b98c8f6).

Kept verbatim (one Arrow round trip per period and table) as the reference the grouped period_digests must equal:
the values are stored in published.score_versions.input_fingerprint and published.version_tables, so a changed
formula would turn every published period into "restatement pending".
"""

from __future__ import annotations

import hashlib

import duckdb
import pyarrow as pa

from orchestration.publish import PUBLISHED_TABLES, PublishedTable, month_bounds


def _period_rows_sql(t: PublishedTable) -> str:
    source_of = dict(t.renames)
    casts = ", ".join(f"cast({source_of.get(c, c)} as {ty}) as {c}" for c, ty in t.spec)
    where = f"{t.month_column} >= ? and {t.month_column} < ?" + (f" and {t.where}" if t.where else "")
    return f"select {casts} from {t.source} where {where} order by {', '.join(t.key)}"


def _digest_sql(t: PublishedTable, source: str) -> str:
    row = "struct_pack(" + ", ".join(f"{c} := {c}" for c in t.columns) + ")"
    order = ", ".join(t.key)
    return f"select count(*), coalesce(md5(string_agg(cast({row} as varchar), chr(10) order by {order})), '') from {source}"


def _fingerprint(con: duckdb.DuckDBPyConnection, rows_by_table: dict[str, pa.Table]) -> tuple[str, dict[str, str]]:
    by_name = {t.name: t for t in PUBLISHED_TABLES}
    per_table = {}
    for name, rows in rows_by_table.items():
        t = by_name[name]
        if t.adjustable and "adjustment_ids" not in rows.column_names:  # the mart's rows, before adjustments
            t = PublishedTable(t.name, t.source, t.month_column, t.spec, t.key, t.where, t.renames)
        con.register("_publish_rows", rows)
        try:
            per_table[name] = con.execute(_digest_sql(t, "_publish_rows")).fetchone()[1]
        finally:
            con.unregister("_publish_rows")
    h = hashlib.sha256()
    for name, digest in per_table.items():
        h.update(f"[{name}:{rows_by_table[name].num_rows}:{digest}]".encode())
    return h.hexdigest(), per_table


def _apply_adjustments(con: duckdb.DuckDBPyConnection, t: PublishedTable, rows: pa.Table, approved: pa.Table) -> pa.Table:
    if not t.adjustable:
        return rows
    field, ty = t.adjustable, dict(t.spec)[t.adjustable]
    con.register("_publish_rows", rows)
    con.register("_approved", approved)
    try:
        others = ", ".join(f"r.{c}" if c != field else
                           f"cast(r.{c} + coalesce(a.change, 0) as {ty}) as {c}" for c in (c for c, _ in t.spec))
        return con.execute(
            f"""select {others}, a.ids as adjustment_ids, r.{field} as unadjusted_{field}
                from _publish_rows r
                left join (select employee_id, sum(change) as change,
                                  string_agg(adjustment_id, ',' order by adjustment_id) as ids
                           from _approved where table_name = '{t.name}' group by employee_id) a using (employee_id)
                order by {', '.join(f'r.{k}' for k in t.key)}""").fetch_arrow_table()
    finally:
        con.unregister("_publish_rows")
        con.unregister("_approved")


def reference_digest(con: duckdb.DuckDBPyConnection, period: str) -> tuple[str, dict[str, int], dict[str, str],
                                                                             dict[str, str]]:
    """(input fingerprint, row counts, digests of the published rows, source digests) of one period."""
    approved = con.execute(
        """select a.adjustment_id, a.employee_id, a.table_name, a.field, d.approved_change as change
           from published.adjustments a join published.adjustment_decisions d using (adjustment_id)
           where a.period = ? and d.decision = 'approved' order by a.adjustment_id""", [period]).fetch_arrow_table()
    raw = {t.name: con.execute(_period_rows_sql(t), list(month_bounds(period))).fetch_arrow_table()
           for t in PUBLISHED_TABLES}
    rows = {t.name: _apply_adjustments(con, t, raw[t.name], approved) for t in PUBLISHED_TABLES}
    fingerprint, digests = _fingerprint(con, rows)
    _, raw_digests = _fingerprint(con, {t.name: raw[t.name] for t in PUBLISHED_TABLES if t.adjustable})
    return fingerprint, {n: r.num_rows for n, r in rows.items()}, digests, {**digests, **raw_digests}
