"""Where ScoreLink reads and writes. One place decides; everything else asks here.

All generated output (the demo's landing files, the warehouse, published copies, reports, Dagster's run
history) lives under one folder, SCORELINK_HOME (default: ./output in the repository, git-ignored).

The dbt target (SCORELINK_DBT_TARGET: duckdb, postgres or spark) decides where dbt builds the models. The
DuckDB warehouse stays the ingest store (raw tables, quarantine, gate results, published snapshots) for
every target; with postgres or spark the pipeline lands the raw tables on the target before dbt runs.
Connection settings of a target come from SCORELINK_PG_* / SCORELINK_SPARK_* (the variables that
dbt_project/profiles.yml reads) and are validated when the settings load; an error names the variable.
"""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt from this environment, whether or not the venv is on PATH (make targets call .venv/bin/... directly).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


DbtTarget = Literal["duckdb", "postgres", "spark"]


class SettingsError(ValueError):
    """Invalid ScoreLink configuration; the message names the environment variable(s) to fix."""


class PostgresSettings(BaseSettings):
    """A PostgreSQL server as the dbt target: the SCORELINK_PG_* variables dbt_project/profiles.yml reads."""

    model_config = SettingsConfigDict(env_prefix="SCORELINK_PG_", extra="ignore")

    host: str = Field(default="127.0.0.1", min_length=1, description="Server host name or address.")
    port: int = Field(default=5432, ge=1, le=65535, description="Server port.")
    user: str = Field(default="scorelink", min_length=1, description="Role dbt and ScoreLink log in as.")
    password: SecretStr = Field(default=SecretStr(""), description="Password (empty: trust / .pgpass).")
    dbname: str = Field(default="scorelink", min_length=1, description="Database holding every schema.")
    schema_: str = Field(default="dbt_scorelink", alias="SCORELINK_PG_SCHEMA", pattern=r"^[a-z_][a-z0-9_]*$",
                         description="dbt's own schema (tests); models go to staging, intermediate and marts.")
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = Field(
        default="prefer", description="libpq sslmode.")
    threads: int = Field(default=4, ge=1, le=64, description="dbt threads.")

    def dsn(self) -> str:
        """A libpq connection string (psycopg2.connect)."""
        parts = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname,
                 "sslmode": self.sslmode}
        if self.password.get_secret_value():
            parts["password"] = self.password.get_secret_value()
        return " ".join(f"{k}={_libpq_quote(str(v))}" for k, v in parts.items())

    def sqlalchemy_url(self, search_path: str | None = None) -> str:
        """A SQLAlchemy URL (psycopg2 driver); search_path sets the schema of unqualified names."""
        from sqlalchemy.engine import URL

        query = {"sslmode": self.sslmode}
        if search_path:
            query["options"] = f"-csearch_path={search_path}"
        url = URL.create("postgresql+psycopg2", username=self.user,
                         password=self.password.get_secret_value() or None, host=self.host, port=self.port,
                         database=self.dbname, query=query)
        return url.render_as_string(hide_password=False)

    def env(self) -> dict[str, str]:
        return {"SCORELINK_PG_HOST": self.host, "SCORELINK_PG_PORT": str(self.port),
                "SCORELINK_PG_USER": self.user, "SCORELINK_PG_PASSWORD": self.password.get_secret_value(),
                "SCORELINK_PG_DBNAME": self.dbname, "SCORELINK_PG_SCHEMA": self.schema_,
                "SCORELINK_PG_SSLMODE": self.sslmode, "SCORELINK_PG_THREADS": str(self.threads)}


class SparkSettings(BaseSettings):
    """Apache Spark as the dbt target: the SCORELINK_SPARK_* variables dbt_project/profiles.yml reads.

    The `spark` target runs Spark in session mode (pyspark inside the dbt process, local mode) with everything
    it keeps under `home`: the managed tables (home/warehouse/<schema>.db/<table>/), the Derby metastore and
    the landed raw Parquet (home/landed/<schema>/<table>/). ScoreLink reads the tables dbt writes (gates,
    publish) as those Parquet folders, so `home` must be reachable from the machine that runs Dagster.
    host/user/token/cluster feed the cluster targets sketched in profiles.yml (thrift, http).
    """

    model_config = SettingsConfigDict(env_prefix="SCORELINK_SPARK_", extra="ignore")

    home: Path | None = Field(default=None, description="Spark's folder (default HOME/spark).")
    schema_: str = Field(default="dbt_scorelink", alias="SCORELINK_SPARK_SCHEMA", pattern=r"^[a-z_][a-z0-9_]*$",
                         description="dbt's own schema (database in Spark terms).")
    master: str = Field(default="local[2]", pattern=r"^(local(\[(\d+|\*)\])?|(spark|yarn|k8s)\S*)$",
                        description="spark.master of the session target.")
    shuffle_partitions: int = Field(default=4, ge=1, le=10000, description="spark.sql.shuffle.partitions.")
    driver_memory: str = Field(default="2g", pattern=r"^\d+[kmgt]?$", description="spark.driver.memory.")
    threads: int = Field(default=4, ge=1, le=64, description="dbt threads (queries at once in one session).")
    host: str | None = Field(default=None, description="Cluster host (thrift / http targets).")
    user: str | None = Field(default=None, description="Thrift user.")
    token: SecretStr | None = Field(default=None, description="HTTP access token.")
    cluster: str | None = Field(default=None, description="HTTP cluster id.")

    def resolved_home(self, home: Path) -> Path:
        return (self.home or home / "spark").resolve()

    def env(self, home: Path) -> dict[str, str]:
        out = {"SCORELINK_SPARK_HOME": str(self.resolved_home(home)), "SCORELINK_SPARK_SCHEMA": self.schema_,
               "SCORELINK_SPARK_MASTER": self.master,
               "SCORELINK_SPARK_SHUFFLE_PARTITIONS": str(self.shuffle_partitions),
               "SCORELINK_SPARK_DRIVER_MEMORY": self.driver_memory, "SCORELINK_SPARK_THREADS": str(self.threads)}
        for key, value in (("HOST", self.host), ("USER", self.user), ("CLUSTER", self.cluster),
                           ("TOKEN", self.token.get_secret_value() if self.token else None)):
            if value:
                out[f"SCORELINK_SPARK_{key}"] = value
        return out


def _libpq_quote(value: str) -> str:
    if value and not any(c in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _explain(exc: ValidationError, prefix: str, aliases: dict[str, str] | None = None) -> str:
    """pydantic's errors, each naming the environment variable it came from."""
    lines = []
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, SettingsError) or (not err["loc"] and isinstance(cause, ValueError)):
            lines.append(str(cause))  # already names its variables
            continue
        field = ".".join(str(p) for p in err["loc"])
        var = (aliases or {}).get(field) or (prefix + field.upper() if field else prefix.rstrip("_") + "_*")
        given = err.get("input")
        shown = f" (got {given!r})" if field and isinstance(given, (str, int)) and "PASSWORD" not in var \
            and "TOKEN" not in var else ""
        lines.append(f"{var}: {err['msg']}{shown}")
    return "; ".join(lines)


def load_target_settings(kind: type[BaseSettings]) -> BaseSettings:
    """PostgresSettings() or SparkSettings() from the environment; SettingsError names the variable."""
    prefix = kind.model_config["env_prefix"]
    try:
        return kind()
    except ValidationError as exc:
        aliases = {"SCORELINK_PG_SCHEMA": "SCORELINK_PG_SCHEMA", "SCORELINK_SPARK_SCHEMA": "SCORELINK_SPARK_SCHEMA"}
        raise SettingsError(_explain(exc, prefix, aliases)) from None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORELINK_", extra="ignore")

    home: Path = Field(default=REPO_ROOT / "output", description="Root of everything ScoreLink writes.")
    landing: Path | None = Field(default=None, description="Landing folder to ingest (default: HOME/landing).")
    warehouse: Path | None = Field(default=None, description="DuckDB warehouse file (default: HOME/warehouse/...).")
    dbt_target: DbtTarget = Field(default="duckdb", description="dbt target from dbt_project/profiles.yml: "
                                  "duckdb (embedded default), postgres or spark.")
    duckdb_memory_limit: str = Field(
        default="2.5GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB's memory cap for the warehouse (ingest and dbt); past it DuckDB spills to disk. "
                    "DuckDB's own default would be 80% of the machine's memory. "
                    "2.5GB keeps a whole 5,000 x 24 pipeline run (dbt's and Dagster's Python included) under 4 GiB.")

    _postgres: PostgresSettings | None = PrivateAttr(default=None)
    _spark: SparkSettings | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        # Validate the chosen target's connection settings now, so a typo fails at load, naming the variable.
        if self.dbt_target == "postgres":
            self._postgres = load_target_settings(PostgresSettings)
        elif self.dbt_target == "spark":
            self._spark = load_target_settings(SparkSettings)

    @property
    def postgres(self) -> PostgresSettings:
        if self._postgres is None:
            self._postgres = load_target_settings(PostgresSettings)
        return self._postgres

    @property
    def spark(self) -> SparkSettings:
        if self._spark is None:
            self._spark = load_target_settings(SparkSettings)
        return self._spark

    @property
    def spark_home(self) -> Path:
        return self.spark.resolved_home(self.home)

    @property
    def spark_warehouse_dir(self) -> Path:
        """spark.sql.warehouse.dir of the session target: managed tables in <schema>.db/<table>/."""
        return self.spark_home / "warehouse"

    @property
    def spark_landed_dir(self) -> Path:
        """Where the raw tables land as Parquet for Spark (<schema>/<table>/)."""
        return self.spark_home / "landed"

    @property
    def landing_dir(self) -> Path:
        return (self.landing or self.home / "landing").resolve()

    @property
    def warehouse_path(self) -> Path:
        # dbt-duckdb and Dagster must agree on one absolute path (relative paths made row counts flaky).
        return (self.warehouse or self.home / "warehouse" / "scorelink.duckdb").resolve()

    @property
    def published_dir(self) -> Path:
        return (self.home / "published").resolve()

    @property
    def dagster_home(self) -> Path:
        return (self.home / "dagster").resolve()

    def export_env(self) -> None:
        """Set the variables that subprocesses (dbt) and Dagster read."""
        self.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        os.environ["SCORELINK_WAREHOUSE"] = str(self.warehouse_path)
        os.environ["SCORELINK_LANDING"] = str(self.landing_dir)
        os.environ["SCORELINK_HOME"] = str(self.home.resolve())
        os.environ["SCORELINK_DBT_TARGET"] = self.dbt_target
        os.environ["SCORELINK_DUCKDB_MEMORY_LIMIT"] = self.duckdb_memory_limit
        # The target's validated connection settings, so dbt's profile reads exactly what ScoreLink uses.
        if self.dbt_target == "postgres":
            os.environ.update(self.postgres.env())
        elif self.dbt_target == "spark":
            os.environ.update(self.spark.env(self.home.resolve()))
        os.environ.setdefault("DAGSTER_HOME", str(self.dagster_home))
        instance_config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
        if not instance_config.exists():
            Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(__file__).with_name("dagster.yaml"), instance_config)


@cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_explain(exc, "SCORELINK_")) from None
