"""The period close and adjustments as the CLI runs them: on the warehouse, then the serving copies.

    scorelink publish --period 2024-03 [--reason "late orders"] [--by anna]
    scorelink dispute E00012 2024-03 --change 4 --reason "order SO-17 missing" --by E00012
    scorelink adjust E00012 2024-03 --change -5 --reason "..." --by E00003 [--table incentives]
    scorelink approve ADJ00001 --by hr.anna [--change 3] [--note "..."]   /  scorelink reject ADJ00001 --by ...

After a publication the serving copies (Parquet, serving.duckdb) are rewritten, and, when the environment variable
SCORELINK_SERVING_POSTGRES_DSN is set, the PostgreSQL serving schema too (orchestration/serving_postgres.py).
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from orchestration.publish import (
    PeriodPublication,
    close_and_record_status,
    decide_adjustment,
    request_adjustment,
    write_serving_copies,
)
from orchestration.settings import get_settings

POSTGRES_DSN_ENV = "SCORELINK_SERVING_POSTGRES_DSN"


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


@contextmanager
def _warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    path = get_settings().warehouse_path
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run the pipeline first (scorelink run)")
    con = duckdb.connect(str(path))
    try:
        yield con
    finally:
        con.close()


def refresh_serving(con: duckdb.DuckDBPyConnection) -> None:
    write_serving_copies(con, get_settings().published_dir)
    dsn = os.environ.get(POSTGRES_DSN_ENV)
    if dsn:
        from orchestration.serving_postgres import serve_postgres

        serve_postgres(con, dsn)


def close_periods(periods: list[str] | None, *, reason: str | None = None, published_by: str | None = None,
                  run_id: str | None = None) -> list[PeriodPublication]:
    """Publish the given closed months (None: every closed month) and refresh the serving stores."""
    with _warehouse() as con:
        run_id = run_id or f"cli-{uuid.uuid4()}"
        results = close_and_record_status(con, run_id, periods, reason=reason,
                                          published_by=published_by or current_user())
        refresh_serving(con)
    return results


def record_adjustment(**kwargs) -> str:
    with _warehouse() as con:
        adjustment_id = request_adjustment(con, **kwargs)
        refresh_serving(con)
    return adjustment_id


def record_decision(adjustment_id: str, **kwargs) -> None:
    with _warehouse() as con:
        decide_adjustment(con, adjustment_id, **kwargs)
        refresh_serving(con)
