"""Fixtures shared by several test files."""

from __future__ import annotations

import fcntl
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from postgres_server import SUPERUSER, start_local_postgres


@pytest.fixture(scope="session")
def postgres_server_dsn() -> Iterator[str]:
    """DSN of a PostgreSQL superuser connection: SCORELINK_TEST_POSTGRES_DSN, or a throwaway local server."""
    external = os.environ.get("SCORELINK_TEST_POSTGRES_DSN")
    if external:
        yield external
        return
    server = start_local_postgres()
    try:
        yield server.dsn()
    finally:
        server.stop()


@pytest.fixture
def postgres_dsn(postgres_server_dsn: str) -> Iterator[str]:
    """A fresh, empty database for one test (dropped afterwards); DSN as the superuser."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(postgres_server_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    parts = dict(item.split("=", 1) for item in postgres_server_dsn.split())
    parts["dbname"] = name
    try:
        yield " ".join(f"{key}={value}" for key, value in parts.items())
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(autouse=True)
def _one_spark_test_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests marked `spark` hold an exclusive file lock: two Spark sessions never run at once, even when two
    pytest processes (two worktrees, or pytest-xdist) run the suite on one machine. Each Spark test keeps its
    warehouse and Derby metastore under its own tmp_path; the lock is about the CPU and memory one local
    Spark session takes (a driver JVM of 2 GB and a job per dbt node)."""
    if request.node.get_closest_marker("spark") is None:
        yield
        return
    with open(Path(tempfile.gettempdir()) / "scorelink-spark-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


__all__ = ["SUPERUSER"]
