"""Load a scorecard file, check it against the metric library and the landing contract, resolve its versions,
and write it into the warehouse (schema `config`) for dbt.

Every problem is a ScorecardError whose message names the file, where in it (version, role, region or
new-hire override, KPI) and the field, e.g.

    config/scorecards/x.yml: version 2024.1, role sales_rep: field 'weight': KPI weights sum to 99, ...

Versions are effective dated. The first version must define every role of the landing contract; a later
version lists only what changes: roles it does not list, and settings / team_bonus / incentives it leaves
out, carry over from the version before (set them to null to switch them off).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml
from pydantic import ValidationError

from ingest.contract import default_contracts
from orchestration.scorecards.catalog import metric_catalog
from orchestration.scorecards.models import (
    BandsCurve,
    Incentives,
    Kpi,
    LinearCurve,
    Role,
    ScorecardFile,
    Settings,
    TeamBonus,
    Version,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCORECARD_DIR = REPO_ROOT / "config" / "scorecards"
# The demo company's scorecard (config/scorecards/README.md says why); SCORELINK_SCORECARD overrides it.
DEFAULT_SCORECARD = SCORECARD_DIR / "inventory_trading.yml"
CONFIG_SCHEMA = "config"


class ScorecardError(ValueError):
    """A scorecard file is invalid; the message names the file, the role and the field."""


def active_scorecard_path() -> Path:
    """The scorecard the pipeline scores with: $SCORELINK_SCORECARD, else the demo's template."""
    configured = os.environ.get("SCORELINK_SCORECARD")
    return Path(configured).resolve() if configured else DEFAULT_SCORECARD


# --- the resolved scorecard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedKpi:
    kpi: str
    subject: str
    label: str
    weight: float
    target_source: str  # fixed | plan
    target_value: float | None
    target_plan_kpi: str | None
    direction: str
    curve: str  # linear | bands | binary
    curve_floor: float | None
    curve_cap: float | None
    bands: tuple[tuple[float, float], ...]
    perspective: str


@dataclass(frozen=True)
class ResolvedVersion:
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    is_first: bool
    note: str | None
    settings: Settings
    team_bonus: TeamBonus | None
    incentives: Incentives | None
    # role -> {(region or None, tenure band 'all' | 'new_hire'): KPIs}
    roles: dict[str, dict[tuple[str | None, str], tuple[ResolvedKpi, ...]]]


@dataclass
class Scorecard:
    name: str
    title: str
    path: Path
    sha256: str
    versions: list[ResolvedVersion] = field(default_factory=list)

    def version_on(self, day: dt.date) -> ResolvedVersion:
        """The version in force on a day (the first version also covers the days before it)."""
        current = self.versions[0]
        for version in self.versions:
            if version.effective_from <= day:
                current = version
        return current

    def kpis_for(
        self, day: dt.date, role: str, region: str | None, new_hire: bool
    ) -> tuple[ResolvedKpi, ...]:
        """The KPIs that score a person on a day: new-hire override, else region override, else the role's."""
        variants = self.version_on(day).roles[role]
        if new_hire and (None, "new_hire") in variants:
            return variants[(None, "new_hire")]
        return variants.get((region, "all"), variants[(None, "all")])


# --- loading ----------------------------------------------------------------------------------------------


def _contract_values(entity: str, column: str) -> list[str]:
    contract = default_contracts()[entity]
    return list(contract.column(column).allowed_values or [])


def contract_roles() -> list[str]:
    return _contract_values("hr.job_assignments", "role")


def contract_regions() -> list[str]:
    return _contract_values("hr.job_assignments", "region")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


_UNION_TAGS = {"linear", "bands", "binary", "float", "int", "PlanTarget", "literal['plan']"}
_LISTS = {"kpis": "kpi", "deductions": "deduction", "tiers": "tier", "bands": "band", "versions": "version"}


def _where(raw: Any, loc: tuple[Any, ...]) -> tuple[list[str], str | None]:
    """Turn a pydantic error location into (['version 2024.1', 'role sales_rep', ...], field name)."""
    parts: list[str] = []
    node: Any = raw
    field_name: str | None = None
    i = 0
    while i < len(loc):
        key, nxt = loc[i], (loc[i + 1] if i + 1 < len(loc) else None)
        child = node.get(key) if isinstance(node, dict) else None
        if key in _LISTS and isinstance(nxt, int):
            entry = child[nxt] if isinstance(child, list) and nxt < len(child) else None
            name = None
            if isinstance(entry, dict):
                name = entry.get("version") or entry.get("kpi") or entry.get("rule")
            parts.append(f"{_LISTS[key]} {name}" if name else f"{_LISTS[key]} #{nxt + 1}")
            node, i = entry, i + 2
            continue
        if key in ("roles", "regions") and isinstance(nxt, str):
            parts.append(f"{'role' if key == 'roles' else 'region'} {nxt}")
            node, i = (child.get(nxt) if isinstance(child, dict) else None), i + 2
            continue
        if key == "new_hire":
            parts.append("new-hire override")
        elif isinstance(node, dict) and key in node:
            if isinstance(child, dict) and i < len(loc) - 1:
                parts.append(str(key))
            else:
                field_name = str(key)
        elif isinstance(key, str) and key not in _UNION_TAGS:
            field_name = key  # a required field that is missing
        node = child
        i += 1
    return parts, field_name


def _format_validation_error(path: Path, raw: Any, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        parts, field_name = _where(raw, tuple(error["loc"]))
        message = str(error["msg"]).removeprefix("Value error, ")
        where = ", ".join(parts) if parts else "top level"
        if field_name and "field '" not in message:
            message = f"field '{field_name}': {message}"
        lines.append(f"{_display(path)}: {where}: {message}")
    return "\n".join(lines)


def _fail(path: Path, where: list[str], message: str) -> ScorecardError:
    return ScorecardError(f"{_display(path)}: {', '.join(where) or 'top level'}: {message}")


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def load_scorecard(path: str | Path) -> Scorecard:
    """Read, validate and resolve one scorecard file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScorecardError(f"{_display(path)}: cannot read the scorecard file: {exc}") from exc
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScorecardError(f"{_display(path)}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScorecardError(
            f"{_display(path)}: top level: a scorecard is a mapping with scorecard, title, versions"
        )
    try:
        parsed = ScorecardFile.model_validate(raw)
    except ValidationError as exc:
        raise ScorecardError(_format_validation_error(path, raw, exc)) from None
    return _resolve(path, hashlib.sha256(data).hexdigest(), parsed)


def _resolve_kpi(path: Path, where: list[str], kpi: Kpi) -> ResolvedKpi:
    catalog = metric_catalog()
    metric = catalog.get(kpi.kpi)
    if metric is None:
        raise _fail(
            path,
            [*where, f"kpi {kpi.kpi}"],
            f"field 'kpi': {kpi.kpi!r} is not in the metric library{_suggest(kpi.kpi, list(catalog))}",
        )
    plan = kpi.plan_target
    curve = kpi.curve
    return ResolvedKpi(
        kpi=kpi.kpi,
        subject=kpi.subject,
        label=kpi.label or metric.name,
        weight=kpi.weight,
        target_source="plan" if plan else "fixed",
        target_value=(plan.default if plan else float(kpi.target)),  # type: ignore[arg-type]
        target_plan_kpi=(plan.plan or kpi.kpi) if plan else None,
        direction=kpi.direction or metric.direction,
        curve=curve.type,
        curve_floor=curve.floor if isinstance(curve, LinearCurve) else None,
        curve_cap=curve.cap if isinstance(curve, LinearCurve) else None,
        bands=tuple((b.attainment, b.score) for b in curve.bands) if isinstance(curve, BandsCurve) else (),
        perspective=kpi.perspective or metric.perspective,
    )


def _check_kpi_code(path: Path, where: list[str], code: str, field_name: str) -> None:
    catalog = metric_catalog()
    if code not in catalog:
        raise _fail(
            path,
            where,
            f"field '{field_name}': {code!r} is not in the metric library{_suggest(code, list(catalog))}",
        )


def _check_roles(path: Path, where: list[str], roles: list[str], field_name: str = "roles") -> None:
    known = contract_roles()
    for role in roles:
        if role not in known:
            raise _fail(
                path,
                where,
                f"field '{field_name}': {role!r} is not a role of the landing contract"
                f"{_suggest(role, known)}",
            )


def _resolve_role(
    path: Path, where: list[str], role: Role
) -> dict[tuple[str | None, str], tuple[ResolvedKpi, ...]]:
    assert role.kpis is not None
    regions = contract_regions()
    variants = {(None, "all"): tuple(_resolve_kpi(path, where, k) for k in role.kpis)}
    for region, kpi_set in role.regions.items():
        if region not in regions:
            raise _fail(
                path,
                where,
                f"field 'regions': {region!r} is not a region of the landing contract"
                f"{_suggest(region, regions)}",
            )
        variants[(region, "all")] = tuple(
            _resolve_kpi(path, [*where, f"region {region}"], k) for k in kpi_set.kpis
        )
    if role.new_hire is not None:
        variants[(None, "new_hire")] = tuple(
            _resolve_kpi(path, [*where, "new-hire override"], k) for k in role.new_hire.kpis
        )
    return variants


def _check_incentives(
    path: Path, where: list[str], incentives: Incentives | None, team_bonus: TeamBonus | None
):
    if team_bonus is not None:
        _check_kpi_code(path, [*where, "team_bonus"], team_bonus.kpi, "kpi")
        _check_roles(path, [*where, "team_bonus"], team_bonus.roles)
    if incentives is None:
        return
    if incentives.commission is not None:
        _check_kpi_code(path, [*where, "commission"], incentives.commission.kpi, "kpi")
        _check_roles(path, [*where, "commission"], incentives.commission.roles)
        if incentives.commission.slow_moving_uplift is not None:
            _check_kpi_code(
                path, [*where, "slow_moving_uplift"], incentives.commission.slow_moving_uplift.kpi, "kpi"
            )
    for deduction in incentives.deductions:
        _check_kpi_code(path, [*where, f"deduction {deduction.rule}"], deduction.kpi, "kpi")
        _check_roles(path, [*where, f"deduction {deduction.rule}"], deduction.roles)


def _resolve(path: Path, sha256: str, parsed: ScorecardFile) -> Scorecard:
    roles_required = contract_roles()
    scorecard = Scorecard(name=parsed.scorecard, title=parsed.title, path=path, sha256=sha256)
    previous: ResolvedVersion | None = None
    for index, version in enumerate(parsed.versions):
        where = [f"version {version.version}"]
        for role_name in version.roles:
            _check_roles(path, where, [role_name], "roles")
        roles = _resolve_roles(path, where, version, previous)
        if previous is None:
            missing = [r for r in roles_required if r not in roles]
            if missing:
                raise _fail(
                    path,
                    where,
                    f"field 'roles': every role of the landing contract needs a scorecard; "
                    f"missing: {', '.join(missing)}",
                )
        settings = _carry(version, "settings", previous.settings if previous else Settings())
        team_bonus = _carry(version, "team_bonus", previous.team_bonus if previous else None)
        incentives = _carry(version, "incentives", previous.incentives if previous else None)
        _check_incentives(path, where, incentives, team_bonus)
        next_start = parsed.versions[index + 1].effective_from if index + 1 < len(parsed.versions) else None
        resolved = ResolvedVersion(
            version=version.version,
            effective_from=version.effective_from,
            effective_to=next_start - dt.timedelta(days=1) if next_start else None,
            is_first=previous is None,
            note=version.note,
            settings=settings,
            team_bonus=team_bonus,
            incentives=incentives,
            roles=roles,
        )
        scorecard.versions.append(resolved)
        previous = resolved
    return scorecard


def _carry(version: Version, name: str, inherited: Any) -> Any:
    if name in version.model_fields_set:
        value = getattr(version, name)
        return value if value is not None or name != "settings" else Settings()
    return inherited


def _resolve_roles(
    path: Path, where: list[str], version: Version, previous: ResolvedVersion | None
) -> dict[str, dict[tuple[str | None, str], tuple[ResolvedKpi, ...]]]:
    roles = dict(previous.roles) if previous else {}
    own = {name: role for name, role in version.roles.items() if role.same_as is None}
    for name, role in own.items():
        roles[name] = _resolve_role(path, [*where, f"role {name}"], role)
    pending = {name: role.same_as for name, role in version.roles.items() if role.same_as is not None}
    while pending:
        progressed = False
        for name, target in list(pending.items()):
            if target in pending:
                continue
            if target not in roles:
                raise _fail(
                    path,
                    [*where, f"role {name}"],
                    f"field 'same_as': role {target!r} has no scorecard in this version",
                )
            roles[name] = roles[target]
            del pending[name]
            progressed = True
        if not progressed:
            raise _fail(
                path,
                [*where, f"role {next(iter(pending))}"],
                f"field 'same_as': roles copy each other in a circle ({', '.join(sorted(pending))})",
            )
    return roles


# --- writing to the warehouse -----------------------------------------------------------------------------

TABLES: dict[str, dict[str, str]] = {
    "scorecard_versions": {
        "scorecard": "varchar",
        "version": "varchar",
        "title": "varchar",
        "source_file": "varchar",
        "file_sha256": "varchar",
        "note": "varchar",
        "effective_from": "date",
        "effective_to": "date",
        "is_first_version": "boolean",
        "new_hire_months": "integer",
        "missing_kpi_policy": "varchar",
        "mentor_share_pct": "decimal(9,4)",
        "bonus_score_cap": "decimal(9,4)",
    },
    "scorecard_kpis": {
        "scorecard": "varchar",
        "version": "varchar",
        "effective_from": "date",
        "role": "varchar",
        "region": "varchar",
        "tenure_band": "varchar",
        "kpi": "varchar",
        "subject": "varchar",
        "kpi_label": "varchar",
        "weight": "decimal(9,4)",
        "target_source": "varchar",
        "target_value": "decimal(28,6)",
        "target_plan_kpi": "varchar",
        "direction": "varchar",
        "curve": "varchar",
        "curve_floor": "decimal(18,6)",
        "curve_cap": "decimal(18,6)",
        "bsc_perspective": "varchar",
    },
    "scorecard_kpi_bands": {
        "scorecard": "varchar",
        "version": "varchar",
        "role": "varchar",
        "region": "varchar",
        "tenure_band": "varchar",
        "kpi": "varchar",
        "subject": "varchar",
        "band_number": "integer",
        "band_attainment": "decimal(18,6)",
        "band_score": "decimal(18,6)",
    },
    "commission_tiers": {
        "scorecard": "varchar",
        "version": "varchar",
        "tier_number": "integer",
        "min_attainment": "decimal(18,6)",
        "rate": "decimal(18,6)",
    },
    "incentive_rules": {
        "scorecard": "varchar",
        "version": "varchar",
        "rule_id": "varchar",
        "rule_type": "varchar",
        "role": "varchar",
        "kpi": "varchar",
        "subject": "varchar",
        "comparison": "varchar",
        "threshold": "decimal(18,6)",
        "deduct_pct": "decimal(9,4)",
        "bonus_points": "decimal(9,4)",
        "promotion_block_months": "integer",
        "uplift_kpi": "varchar",
        "uplift_step_points": "decimal(18,6)",
        "uplift_rate_per_step": "decimal(18,6)",
        "uplift_max_steps": "integer",
    },
}


def scorecard_rows(scorecard: Scorecard) -> dict[str, list[tuple]]:
    """The resolved scorecard as rows of the config tables (columns in TABLES order), in a stable order."""
    rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
    for v in scorecard.versions:
        rows["scorecard_versions"].append(
            (
                scorecard.name,
                v.version,
                scorecard.title,
                scorecard.path.name,
                scorecard.sha256,
                v.note,
                v.effective_from,
                v.effective_to,
                v.is_first,
                v.settings.new_hire_months,
                v.settings.missing_kpi,
                v.settings.mentor_share,
                v.incentives.bonus.score_cap if v.incentives else 1.2,
            )
        )
        for role in sorted(v.roles):
            for (region, band), kpis in sorted(
                v.roles[role].items(), key=lambda kv: (kv[0][1], kv[0][0] or "")
            ):
                for k in kpis:
                    rows["scorecard_kpis"].append(
                        (
                            scorecard.name,
                            v.version,
                            v.effective_from,
                            role,
                            region,
                            band,
                            k.kpi,
                            k.subject,
                            k.label,
                            k.weight,
                            k.target_source,
                            k.target_value,
                            k.target_plan_kpi,
                            k.direction,
                            k.curve,
                            k.curve_floor,
                            k.curve_cap,
                            k.perspective,
                        )
                    )
                    for number, (attainment, score) in enumerate(k.bands, start=1):
                        rows["scorecard_kpi_bands"].append(
                            (
                                scorecard.name,
                                v.version,
                                role,
                                region,
                                band,
                                k.kpi,
                                k.subject,
                                number,
                                attainment,
                                score,
                            )
                        )
        rows["incentive_rules"].extend(_incentive_rule_rows(scorecard.name, v))
        if v.incentives and v.incentives.commission:
            for number, tier in enumerate(v.incentives.commission.tiers, start=1):
                rows["commission_tiers"].append(
                    (scorecard.name, v.version, number, tier.attainment, tier.rate)
                )
    return rows


def _incentive_rule_rows(name: str, v: ResolvedVersion) -> list[tuple]:
    out: list[tuple] = []
    empty = (None,) * 4
    if v.team_bonus is not None:
        tb = v.team_bonus
        for role in tb.roles:
            out.append(
                (
                    name,
                    v.version,
                    "team_bonus",
                    "team_bonus",
                    role,
                    tb.kpi,
                    "team",
                    "at_least",
                    tb.threshold,
                    None,
                    tb.points,
                    None,
                    *empty,
                )
            )
    if v.incentives is None:
        return out
    commission = v.incentives.commission
    if commission is not None:
        uplift = commission.slow_moving_uplift
        for role in commission.roles:
            out.append(
                (
                    name,
                    v.version,
                    "commission",
                    "commission",
                    role,
                    commission.kpi,
                    "person",
                    None,
                    None,
                    None,
                    None,
                    None,
                    uplift.kpi if uplift else None,
                    uplift.step_points if uplift else None,
                    uplift.rate_per_step if uplift else None,
                    uplift.max_steps if uplift else None,
                )
            )
    for d in v.incentives.deductions:
        comparison, threshold = ("below", d.below) if d.below is not None else ("above", d.above)
        for role in d.roles:
            out.append(
                (
                    name,
                    v.version,
                    d.rule,
                    "deduction",
                    role,
                    d.kpi,
                    d.subject,
                    comparison,
                    threshold,
                    d.deduct_pct,
                    None,
                    d.promotion_block_months,
                    *empty,
                )
            )
    return out


def write_scorecards(con: duckdb.DuckDBPyConnection, scorecard_file: str | Path) -> Scorecard:
    """Validate a scorecard file and replace the config tables with it, in one transaction.

    The warehouse then holds exactly this scorecard (all its versions); dbt reads it as source `config`.
    An invalid file raises ScorecardError and leaves the tables as they were.
    """
    scorecard = load_scorecard(scorecard_file)
    rows = scorecard_rows(scorecard)
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {CONFIG_SCHEMA}")
        for table, columns in TABLES.items():
            column_sql = ", ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
            con.execute(f"create or replace table {CONFIG_SCHEMA}.{table} ({column_sql})")
            if rows[table]:
                placeholders = ", ".join("?" for _ in columns)
                con.executemany(f"insert into {CONFIG_SCHEMA}.{table} values ({placeholders})", rows[table])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return scorecard
