"""The metric library's catalog, as the dbt project declares it.

The metrics a scorecard may name are declared once, in the `metrics` meta of the int_metric_events_<domain>
models (dbt_project/models/intermediate/metrics/_metrics__models.yml); the dbt model int_metric_definitions
renders the same list. Reading it from there keeps the scorecard validation and the SQL in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

METRICS_YML = (
    Path(__file__).resolve().parents[2]
    / "dbt_project"
    / "models"
    / "intermediate"
    / "metrics"
    / "_metrics__models.yml"
)


@dataclass(frozen=True)
class Metric:
    metric: str
    name: str
    unit: str
    value_formula: str
    direction: str
    perspective: str
    missing: str
    formula: str
    events_model: str


@cache
def metric_catalog(path: Path = METRICS_YML) -> dict[str, Metric]:
    """Every metric of the library by code."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalog: dict[str, Metric] = {}
    for model in document.get("models", []):
        for entry in ((model.get("config") or {}).get("meta") or {}).get("metrics", []):
            code = entry["metric"]
            if code in catalog:
                raise ValueError(f"{path}: metric {code!r} is declared twice")
            catalog[code] = Metric(
                metric=code,
                name=entry["name"],
                unit=entry["unit"],
                value_formula=entry["value_formula"],
                direction=entry["direction"],
                perspective=entry["perspective"],
                missing=entry["missing"],
                formula=entry["formula"],
                events_model=model["name"],
            )
    return catalog
