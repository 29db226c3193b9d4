"""Great Expectations 1.x over DuckDB (duckdb-engine): the incompatibilities and their shims, kept here.

1. great_expectations issue 11579. SqlAlchemyExecutionEngine runs each query inside `with engine.connect()`
   and reads the rows after the block. With duckdb-engine the result is gone once the connection is back
   in the pool, so every metric bundle comes back empty and standard expectations fail with
   `IndexError: list index out of range` (a pooling class alone, e.g. StaticPool, does not help: the
   SQLAlchemy Connection itself must stay open). Shim: an execution engine that keeps ONE persistent
   connection, as GX already does for sqlite, SQL Server, BigQuery and Databricks.
2. One DBAPI connection per engine, opened by us. Both SQLAlchemy engines of the datasource get a
   `creator` that opens the DuckDB file with plain `duckdb.connect(path, read_only=...)` (StaticPool: one
   connection per engine). duckdb-engine's own connect adds a custom user agent to the configuration, and
   DuckDB refuses two connections with different configurations to one file in one process, so without
   this GX could not run while the process holds the warehouse open (a Dagster step, the CLI).
3. Schemas. duckdb-engine 0.17 on SQLAlchemy 2.1 fails in `Inspector.get_columns` (it asks for
   pg_catalog.pg_collation); GX then falls back to `select * from <table> limit 1` WITHOUT the schema, so
   a table outside `main` (raw_erp.sales_orders, marts.fct_...) is "not found"; and GX 1.24 deprecates
   TableAsset.schema_name in favour of the schema of the connection. Shim: the datasource carries a
   `search_path` (the validated table's schema), set on each connection it opens; the table asset names
   the table without its schema.
4. Lifecycle. GX has no close step for the two SQLAlchemy engines of a SQL datasource (the datasource's
   own engine, used to test the connection, and the execution engine's). Until they are disposed the
   process keeps the DuckDB file open, and nobody else can write it. `duckdb_datasource()` closes the
   persistent connection and disposes both engines when its block ends.

GX is imported lazily (about 2 s): the classes are built on first use. No `from __future__ import
annotations` here: GX's pydantic-v1 models resolve annotations at class creation.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

DATASOURCE_TYPE = "scorelink_duckdb"


def connection_string(warehouse_path: str | Path) -> str:
    return f"duckdb:///{Path(warehouse_path).resolve()}"


def duckdb_creator(connection_url: str, read_only: bool, search_path: str | None) -> Callable[[], Any]:
    """A SQLAlchemy `creator`: a plain DuckDB connection (no duckdb-engine config) wrapped for the dialect."""

    def create() -> Any:
        import duckdb
        import sqlalchemy as sa
        from duckdb_engine import ConnectionWrapper

        con = duckdb.connect(sa.engine.make_url(connection_url).database, read_only=read_only)
        if search_path:
            try:
                con.execute("set search_path = ?", [search_path])
            except duckdb.CatalogException:  # no such schema: the table is missing too; the runner says so
                pass
        return ConnectionWrapper(con)

    return create


@cache
def shim_types() -> tuple[type, type]:
    """(execution engine class, datasource class), built once per process (GX registers the type)."""
    import sqlalchemy as sa
    from great_expectations.datasource.fluent import SQLDatasource
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    class PersistentConnectionExecutionEngine(SqlAlchemyExecutionEngine):
        """One DuckDB connection for the engine's whole life (trap 11579), closed by close()."""

        def __init__(self, *args: Any, search_path: str | None = None, read_only: bool = True, **kwargs: Any):
            kwargs.pop("connect_args", None)
            creator = duckdb_creator(kwargs["connection_string"], read_only, search_path)
            super().__init__(*args, creator=creator, poolclass=sa.pool.StaticPool, **kwargs)

        @contextmanager
        def get_connection(self) -> Iterator[Any]:
            if self._connection is None or self._connection.closed:
                self._connection = self.engine.connect()
            yield self._connection  # kept open: the caller reads rows after its block ends

        def close(self) -> None:
            # The base class disposes the engine but leaves a checked-out connection open, and a
            # disposed pool does not close connections that are checked out: close it first.
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self.engine.dispose()

    class DuckDBWarehouseDatasource(SQLDatasource):
        """A SQL datasource over a DuckDB file whose execution engine keeps one connection."""

        type: Literal["scorelink_duckdb"] = "scorelink_duckdb"
        # DuckDB schema searched for unqualified names (GX's reflection fallback drops the schema).
        search_path: str | None = None
        read_only: bool = True
        # (the annotation cannot say `type`: inside this class body `type` is the field above)
        execution_engine_override: ClassVar[Any] = PersistentConnectionExecutionEngine

        def _create_engine(self) -> Any:
            # The datasource's own engine (connection test, table lookup): same kind of connection.
            creator = duckdb_creator(str(self.connection_string), self.read_only, self.search_path)
            return sa.create_engine(
                str(self.connection_string), creator=creator, poolclass=sa.pool.StaticPool
            )

        def release(self) -> None:
            """Close the persistent connection and dispose both engines: frees the DuckDB file."""
            if self._execution_engine is not None:
                self._execution_engine.close()
                self._execution_engine = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    return PersistentConnectionExecutionEngine, DuckDBWarehouseDatasource


def read_only_possible(warehouse_path: str | Path, timeout_s: float = 30.0) -> bool:
    """Whether GX can open the warehouse read-only; waits while another process writes it.

    False when this process already holds a read-write connection to the file (DuckDB refuses a second
    connection with another configuration in the same process): then share it read-write instead.
    """
    import duckdb

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            duckdb.connect(str(warehouse_path), read_only=True).close()
            return True
        except duckdb.ConnectionException as exc:
            if "different configuration" in str(exc):
                return False
            raise
        except duckdb.IOException as exc:  # another process holds the write lock (dbt, a loader)
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextmanager
def duckdb_datasource(
    context: Any, name: str, warehouse_path: str | Path, schema: str | None, read_only: bool | None = None
) -> Iterator[Any]:
    """Add a DuckDB datasource to a GX context; on exit every connection and engine of it is closed.

    read_only: validation only reads. Several read-only processes can hold the file together; the results
    table is written afterwards, once this block has released the file. None: read-only unless this
    process already has the file open read-write (see read_only_possible).
    """
    shim_types()
    if read_only is None:
        read_only = read_only_possible(warehouse_path)
    factory = getattr(context.data_sources, f"add_{DATASOURCE_TYPE}")
    datasource = None
    try:
        datasource = factory(
            name=name,
            connection_string=connection_string(warehouse_path),
            search_path=schema,
            read_only=read_only,
        )
        yield datasource
    finally:
        release_all(context, datasource)


def release_all(context: Any, *extra: Any) -> None:
    """Release every scorelink_duckdb datasource the context knows (and the ones passed in)."""
    _, datasource_type = shim_types()
    seen: list[Any] = [d for d in extra if d is not None]
    try:
        seen += list(context.data_sources.all().values())
    except Exception:  # a context that failed half-way may not list its datasources; release what we have
        pass
    for ds in seen:
        if isinstance(ds, datasource_type):
            ds.release()
