"""Where ScoreLink reads and writes. One place decides; everything else asks here.

All generated output (the demo's landing files, the warehouse, published copies, reports, Dagster's run
history) lives under one folder, SCORELINK_HOME (default: ./output in the repository, git-ignored).

The dbt target (SCORELINK_DBT_TARGET: duckdb, postgres or spark) decides where dbt builds the models. The
DuckDB warehouse stays the ingest store (raw tables, quarantine, gate results, published snapshots) for
every target; with postgres or spark the pipeline lands the raw tables on the target before dbt runs.
Connection settings of a target come from SCORELINK_POSTGRES_* / SCORELINK_SPARK_* (the variables that
dbt_project/profiles.yml reads) and are validated when the settings load; an error names the variable.
"""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt from this environment, whether or not the venv is on PATH (make targets call .venv/bin/... directly).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


DbtTarget = Literal["duckdb", "postgres", "spark"]


class SettingsError(ValueError):
    """Invalid ScoreLink configuration; the message names the environment variable(s) to fix."""


class PostgresSettings(BaseSettings):
    """A PostgreSQL server as the dbt target (SCORELINK_POSTGRES_*; profiles.yml target `postgres`)."""

    model_config = SettingsConfigDict(env_prefix="SCORELINK_POSTGRES_", extra="ignore")

    host: str = Field(default="127.0.0.1", min_length=1, description="Server host name or address.")
    port: int = Field(default=5432, ge=1, le=65535, description="Server port.")
    user: str = Field(default="scorelink", min_length=1, description="Role dbt and ScoreLink log in as.")
    password: SecretStr = Field(default=SecretStr(""), description="Password (empty: trust / .pgpass).")
    dbname: str = Field(default="scorelink", min_length=1, description="Database holding every schema.")
    schema_: str = Field(default="public", alias="SCORELINK_POSTGRES_SCHEMA", min_length=1,
                         pattern=r"^[a-z_][a-z0-9_]*$",
                         description="dbt's default schema (models go to raw_*/staging/intermediate/marts).")
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
        return {"SCORELINK_POSTGRES_HOST": self.host, "SCORELINK_POSTGRES_PORT": str(self.port),
                "SCORELINK_POSTGRES_USER": self.user,
                "SCORELINK_POSTGRES_PASSWORD": self.password.get_secret_value(),
                "SCORELINK_POSTGRES_DBNAME": self.dbname, "SCORELINK_POSTGRES_SCHEMA": self.schema_,
                "SCORELINK_POSTGRES_SSLMODE": self.sslmode, "SCORELINK_POSTGRES_THREADS": str(self.threads)}


class SparkSettings(BaseSettings):
    """Apache Spark as the dbt target (SCORELINK_SPARK_*; profiles.yml target `spark`).

    method session runs Spark in the dbt process (pyspark, local mode: development and CI); thrift and http
    reach a cluster (Spark Thrift Server, Databricks-style HTTP). ScoreLink itself reads the tables dbt
    writes (gates, publish) as Parquet files under warehouse_dir, so that folder must be reachable from the
    machine that runs Dagster (local mode, or a shared file system).
    """

    model_config = SettingsConfigDict(env_prefix="SCORELINK_SPARK_", extra="ignore")

    method: Literal["session", "thrift", "http"] = Field(default="session", description="dbt-spark connection.")
    host: str | None = Field(default=None, description="Thrift/HTTP host (thrift, http).")
    port: int = Field(default=10000, ge=1, le=65535, description="Thrift/HTTP port.")
    user: str | None = Field(default=None, description="Thrift user.")
    token: SecretStr | None = Field(default=None, description="HTTP access token.")
    cluster: str | None = Field(default=None, description="HTTP cluster id.")
    schema_: str = Field(default="scorelink", alias="SCORELINK_SPARK_SCHEMA", pattern=r"^[a-z_][a-z0-9_]*$",
                         description="dbt's default schema (database in Spark terms).")
    warehouse_dir: Path | None = Field(default=None, description="spark.sql.warehouse.dir (default "
                                       "HOME/spark/warehouse): where the managed Parquet tables live.")
    threads: int = Field(default=1, ge=1, le=64, description="dbt threads.")

    @model_validator(mode="after")
    def _cluster_settings(self) -> SparkSettings:
        if self.method in ("thrift", "http") and not self.host:
            raise ValueError(f"SCORELINK_SPARK_HOST is required with SCORELINK_SPARK_METHOD={self.method}")
        if self.method == "http" and not (self.token and self.cluster):
            raise ValueError("SCORELINK_SPARK_TOKEN and SCORELINK_SPARK_CLUSTER are required with "
                             "SCORELINK_SPARK_METHOD=http")
        return self

    def resolved_warehouse_dir(self, home: Path) -> Path:
        return (self.warehouse_dir or home / "spark" / "warehouse").resolve()

    def env(self, home: Path) -> dict[str, str]:
        out = {"SCORELINK_SPARK_METHOD": self.method, "SCORELINK_SPARK_PORT": str(self.port),
               "SCORELINK_SPARK_SCHEMA": self.schema_, "SCORELINK_SPARK_THREADS": str(self.threads),
               "SCORELINK_SPARK_WAREHOUSE_DIR": str(self.resolved_warehouse_dir(home))}
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
        aliases = {"SCORELINK_POSTGRES_SCHEMA": "SCORELINK_POSTGRES_SCHEMA",
                   "SCORELINK_SPARK_SCHEMA": "SCORELINK_SPARK_SCHEMA"}
        raise SettingsError(_explain(exc, prefix, aliases)) from None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORELINK_", extra="ignore")

    home: Path = Field(default=REPO_ROOT / "output", description="Root of everything ScoreLink writes.")
    landing: Path | None = Field(default=None, description="Landing folder to ingest (default: HOME/landing).")
    warehouse: Path | None = Field(default=None, description="DuckDB warehouse file (default: HOME/warehouse/...).")
    dbt_target: DbtTarget = Field(default="duckdb", description="dbt target from dbt_project/profiles.yml: "
                                  "duckdb (embedded default), postgres or spark.")

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
    def spark_warehouse_dir(self) -> Path:
        return self.spark.resolved_warehouse_dir(self.home)

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
