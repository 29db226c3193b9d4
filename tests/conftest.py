"""Fixtures shared by several test files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

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


__all__ = ["SUPERUSER"]
