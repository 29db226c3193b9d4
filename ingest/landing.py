"""The landing folder and its manifest (landing.yml): who the company is and how to read its files."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

MANIFEST_NAME = "landing.yml"


class LandingManifest(BaseModel):
    """landing.yml at the top of a landing folder. Unknown keys are kept for the record but not used."""

    model_config = ConfigDict(extra="allow")

    company_name: str = "unnamed company"
    base_currency: str = "CNY"
    timezone: str = "UTC"  # time zone of timestamps that carry no UTC offset

    @field_validator("base_currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        if len(v) != 3 or not v.isalpha() or not v.isupper():
            raise ValueError("must be an ISO 4217 code such as CNY or EUR")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone '{v}'") from exc
        return v


class LandingError(ValueError):
    pass


def read_manifest(landing_dir: Path) -> LandingManifest:
    if not landing_dir.is_dir():
        raise LandingError(f"{landing_dir}: landing folder does not exist")
    path = landing_dir / MANIFEST_NAME
    if not path.exists():
        return LandingManifest()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return LandingManifest.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise LandingError(f"{path}: invalid landing manifest: {exc}") from exc
