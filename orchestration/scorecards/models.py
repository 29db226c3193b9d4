"""The shape of a scorecard file (config/scorecards/<name>.yml), as pydantic models.

These models check one file on its own: types, ranges, weights summing to 100, bands in order. What needs
outside knowledge (KPI codes from the metric library, roles and regions from the landing contract, how later
versions inherit from earlier ones) is checked by loader.py. config/scorecards/README.md explains every
field for the people who edit the files.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Direction = Literal["higher_is_better", "lower_is_better"]
Subject = Literal["person", "team", "department", "company"]
Perspective = Literal["financial", "customer", "process", "learning"]

WEIGHT_TOTAL = 100.0
_WEIGHT_TOLERANCE = 1e-9


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinearCurve(_Strict):
    """score = 100 x attainment, 0 below `floor`, at most 100 x `cap`."""

    type: Literal["linear"]
    floor: float = Field(default=0.0, ge=0)
    cap: float = Field(default=1.2, gt=0)

    @model_validator(mode="after")
    def _floor_below_cap(self) -> LinearCurve:
        if self.floor >= self.cap:
            raise ValueError(f"field 'floor' ({self.floor}) must be below field 'cap' ({self.cap})")
        return self


class Band(_Strict):
    attainment: float = Field(ge=0, description="lowest attainment of the band (1.0 = on target)")
    score: float = Field(ge=0, le=200)


class BandsCurve(_Strict):
    """score = the score of the highest band reached; 0 below the first band."""

    type: Literal["bands"]
    bands: list[Band] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _increasing(cls, bands: list[Band]) -> list[Band]:
        for lower, upper in zip(bands, bands[1:], strict=False):
            if upper.attainment <= lower.attainment:
                raise ValueError(
                    f"field 'bands': attainments must increase, {upper.attainment} follows {lower.attainment}"
                )
        return bands


class BinaryCurve(_Strict):
    """score = 100 when the target is met (reached, or not exceeded for lower_is_better), else 0."""

    type: Literal["binary"]


Curve = Annotated[LinearCurve | BandsCurve | BinaryCurve, Field(discriminator="type")]


class PlanTarget(_Strict):
    """The target comes from the performance plan (hr individual_targets), per person or team and month."""

    plan: str | None = Field(default=None, description="kpi code in individual_targets (default: this kpi)")
    default: float | None = Field(default=None, description="target where the plan has none")


class Kpi(_Strict):
    kpi: str
    weight: float = Field(ge=0, le=100, description="share of the role score; 0 = tracked, not weighted")
    target: float | Literal["plan"] | PlanTarget
    direction: Direction | None = None
    curve: Curve = Field(default_factory=lambda: LinearCurve(type="linear"))
    subject: Subject = "person"
    perspective: Perspective | None = None
    label: str | None = None

    @field_validator("target", mode="before")
    @classmethod
    def _target_shape(cls, value: object) -> object:
        if isinstance(value, bool) or not (isinstance(value, int | float | dict) or value == "plan"):
            raise ValueError("field 'target': give a number, 'plan', or {plan: <kpi>, default: <number>}")
        return value

    @property
    def plan_target(self) -> PlanTarget | None:
        if self.target == "plan":
            return PlanTarget()
        return self.target if isinstance(self.target, PlanTarget) else None


def _check_kpi_list(kpis: list[Kpi]) -> list[Kpi]:
    total = sum(k.weight for k in kpis)
    if abs(total - WEIGHT_TOTAL) > _WEIGHT_TOLERANCE:
        listed = ", ".join(f"{k.kpi} {k.weight:g}" for k in kpis)
        raise ValueError(f"field 'weight': KPI weights sum to {total:g}, they must sum to 100 ({listed})")
    seen: set[tuple[str, str]] = set()
    for k in kpis:
        if (k.kpi, k.subject) in seen:
            raise ValueError(f"field 'kpi': {k.kpi} ({k.subject}) is listed twice")
        seen.add((k.kpi, k.subject))
    return kpis


class KpiSet(_Strict):
    """A full replacement list of KPIs (a region or new-hire override)."""

    kpis: list[Kpi] = Field(min_length=1)

    @field_validator("kpis")
    @classmethod
    def _weights(cls, kpis: list[Kpi]) -> list[Kpi]:
        return _check_kpi_list(kpis)


class Role(_Strict):
    kpis: list[Kpi] | None = None
    same_as: str | None = Field(default=None, description="copy another role's KPIs and overrides")
    regions: dict[str, KpiSet] = Field(default_factory=dict)
    new_hire: KpiSet | None = None

    @model_validator(mode="after")
    def _kpis_or_same_as(self) -> Role:
        if (self.kpis is None) == (self.same_as is None):
            raise ValueError("field 'kpis': give either 'kpis' or 'same_as', not both and not neither")
        if self.same_as is not None and (self.regions or self.new_hire):
            raise ValueError("field 'same_as': a role copied with same_as cannot have its own overrides")
        if self.kpis is not None:
            if not self.kpis:
                raise ValueError("field 'kpis': at least one KPI is needed")
            _check_kpi_list(self.kpis)
        return self


class Settings(_Strict):
    new_hire_months: int = Field(default=3, ge=0, le=24, description="protection period after the hire date")
    missing_kpi: Literal["renormalize", "zero"] = "renormalize"
    mentor_share: float = Field(
        default=0.0, ge=0, le=50, description="percent of a mentor's score from mentees"
    )


class TeamBonus(_Strict):
    kpi: str = "revenue"
    threshold: float = Field(default=1.2, gt=0, description="team attainment that earns the bonus")
    points: float = Field(default=10.0, ge=0, le=100)
    roles: list[str] = Field(min_length=1)


class CommissionTier(_Strict):
    attainment: float = Field(ge=0)
    rate: float = Field(ge=0, le=1)


class SlowMovingUplift(_Strict):
    kpi: str = "slow_moving_sales_share"
    step_points: float = Field(default=10.0, gt=0, description="percentage points of share per step")
    rate_per_step: float = Field(default=0.02, ge=0, le=1, description="commission rate added per step")
    max_steps: int | None = Field(default=None, ge=1)


class Commission(_Strict):
    kpi: str = "revenue"
    roles: list[str] = Field(min_length=1)
    tiers: list[CommissionTier] = Field(min_length=1)
    slow_moving_uplift: SlowMovingUplift | None = None

    @field_validator("tiers")
    @classmethod
    def _increasing(cls, tiers: list[CommissionTier]) -> list[CommissionTier]:
        for lower, upper in zip(tiers, tiers[1:], strict=False):
            if upper.attainment <= lower.attainment:
                raise ValueError(
                    f"field 'tiers': attainments must increase, {upper.attainment} follows {lower.attainment}"
                )
        return tiers


class Deduction(_Strict):
    rule: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kpi: str
    subject: Subject = "person"
    below: float | None = None
    above: float | None = None
    deduct_pct: float = Field(ge=0, le=100, description="percent of the quarterly bonus taken off")
    roles: list[str] = Field(min_length=1)
    promotion_block_months: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="this many months running in breach -> not eligible for promotion",
    )

    @model_validator(mode="after")
    def _one_threshold(self) -> Deduction:
        if (self.below is None) == (self.above is None):
            raise ValueError("field 'below': give exactly one of 'below' and 'above'")
        return self


class Bonus(_Strict):
    score_cap: float = Field(
        default=1.2, gt=0, description="bonus paid = target x min(score / 100, score_cap)"
    )


class Incentives(_Strict):
    commission: Commission | None = None
    bonus: Bonus = Field(default_factory=Bonus)
    deductions: list[Deduction] = Field(default_factory=list)

    @field_validator("deductions")
    @classmethod
    def _unique_rules(cls, deductions: list[Deduction]) -> list[Deduction]:
        names = [d.rule for d in deductions]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"field 'rule': deduction rule {name!r} is listed twice")
        return deductions


class Version(_Strict):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    effective_from: dt.date
    note: str | None = None
    settings: Settings | None = None
    team_bonus: TeamBonus | None = None
    incentives: Incentives | None = None
    roles: dict[str, Role] = Field(default_factory=dict)


class ScorecardFile(_Strict):
    scorecard: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str | None = None
    versions: list[Version] = Field(min_length=1)

    @field_validator("versions")
    @classmethod
    def _ordered(cls, versions: list[Version]) -> list[Version]:
        names = [v.version for v in versions]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"field 'version': version {name!r} is listed twice")
        for earlier, later in zip(versions, versions[1:], strict=False):
            if later.effective_from <= earlier.effective_from:
                raise ValueError(
                    f"field 'effective_from': version {later.version} ({later.effective_from}) "
                    f"must start after version {earlier.version} ({earlier.effective_from})"
                )
        return versions
