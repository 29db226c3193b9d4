"""Where ScoreLink reads and writes. One place decides; everything else asks here.

All generated output (the demo's landing files, the warehouse, published copies, reports, Dagster's run
history) lives under one folder, SCORELINK_HOME (default: ./output in the repository, git-ignored).
"""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt from this environment, whether or not the venv is on PATH (make targets call .venv/bin/... directly).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORELINK_", extra="ignore")

    home: Path = Field(default=REPO_ROOT / "output", description="Root of everything ScoreLink writes.")
    landing: Path | None = Field(default=None, description="Landing folder to ingest (default: HOME/landing).")
    warehouse: Path | None = Field(default=None, description="DuckDB warehouse file (default: HOME/warehouse/...).")
    dbt_target: str = Field(default="duckdb", description="dbt target from dbt_project/profiles.yml.")

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
        os.environ.setdefault("DAGSTER_HOME", str(self.dagster_home))
        instance_config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
        if not instance_config.exists():
            Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(__file__).with_name("dagster.yaml"), instance_config)


@cache
def get_settings() -> Settings:
    return Settings()
