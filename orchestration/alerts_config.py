"""The alert rules' thresholds and the delivery settings: config/alerts.yml, validated with pydantic.

The thresholds reach dbt as one var, `alerts` (a mapping rule -> settings), passed by the Dagster dbt step
at every run; dbt_project.yml carries the same values as defaults so that a bare `dbt build` compiles and
agrees (a test checks that the shipped file and the defaults are equal). Vars rather than a config table:
five numbers need no table, no loading asset and no staging model, and the values show in dbt's logs.
"""

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestration.settings import REPO_ROOT

DEFAULT_ALERTS_CONFIG = REPO_ROOT / "config" / "alerts.yml"
Severity = Literal["info", "warning", "critical"]


class AlertsConfigError(ValueError):
    """config/alerts.yml is missing, not YAML, or has an invalid field (the message names file and field)."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    severity: Severity = "warning"


class DaysOfInventoryRule(_Rule):
    threshold: float = Field(120, gt=0, description="days of inventory; more than this alerts")


class NewCustomerRule(_Rule):
    threshold: int = Field(3, ge=0, description="days to the first contact; more than this alerts")


class SupplyLateRule(_Rule):
    severity: Severity = "critical"
    threshold: int = Field(24, ge=0, description="hours after the end of the due date; more than this alerts")


class NewProductStockRule(_Rule):
    threshold: float = Field(30, gt=0, description="days of sales in stock; more than this alerts")
    new_product_days: int = Field(180, gt=0, description="a product is new for this many days after launch")
    grace_days: int = Field(14, ge=0, description="days on sale before a new product is judged")


class StockRule(_Rule):
    threshold: float = Field(90, gt=0, description="days of sales in stock; more than this alerts")


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days_of_inventory_over_threshold: DaysOfInventoryRule = DaysOfInventoryRule()
    new_customer_not_followed_up: NewCustomerRule = NewCustomerRule()
    supply_late: SupplyLateRule = SupplyLateRule()
    new_product_stock_over_days_of_sales: NewProductStockRule = NewProductStockRule()
    stock_over_days_of_sales: StockRule = StockRule()


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outbox: str = Field("outbox/alerts.jsonl", min_length=1, description="JSON lines file, relative to HOME")
    webhook_url: str | None = Field(None, pattern=r"^https?://\S+$")
    webhook_timeout_seconds: float = Field(10, gt=0)


class AlertsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: Rules = Rules()
    delivery: Delivery = Delivery()

    def dbt_vars(self) -> dict[str, Any]:
        """The dbt var `alerts`: {rule: {enabled, severity, threshold, ...}}."""
        return {"alerts": self.rules.model_dump()}

    def webhook_url(self) -> str | None:
        """SCORELINK_ALERTS_WEBHOOK_URL wins over the file; an empty value switches the webhook off."""
        env = os.environ.get("SCORELINK_ALERTS_WEBHOOK_URL")
        if env is not None:
            return env.strip() or None
        return self.delivery.webhook_url


def alerts_config_path() -> Path:
    """SCORELINK_ALERTS_CONFIG, else config/alerts.yml of the repository."""
    return Path(os.environ.get("SCORELINK_ALERTS_CONFIG") or DEFAULT_ALERTS_CONFIG)


def load_alerts_config(path: str | Path | None = None) -> AlertsConfig:
    path = Path(path) if path is not None else alerts_config_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AlertsConfigError(f"{path}: alerts configuration not found") from exc
    except yaml.YAMLError as exc:
        raise AlertsConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return AlertsConfig.model_validate(raw or {})
    except ValidationError as exc:
        problems = [
            f"{path}: field {'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}"
            + (f" (got {error['input']!r})" if error["type"] != "missing" and not isinstance(error["input"], dict) else "")
            for error in exc.errors()
        ]
        raise AlertsConfigError("\n".join(problems)) from exc
