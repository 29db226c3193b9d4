"""The throwaway PostgreSQL server that the PostgreSQL tests run against really serves SQL on loopback."""

from __future__ import annotations

import psycopg2


def test_postgres_server_answers_on_loopback(postgres_dsn: str) -> None:
    with psycopg2.connect(postgres_dsn) as conn, conn.cursor() as cur:
        cur.execute("create table t (x int)")
        cur.execute("insert into t values (1), (2), (40)")
        cur.execute("select sum(x), current_database() from t")
        total, database = cur.fetchone()
    assert total == 43
    assert database.startswith("test_")
