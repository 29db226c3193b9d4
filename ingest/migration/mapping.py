"""Mapping rules: how a legacy system's exports become landing files, as one YAML file validated with pydantic.

A mapping file has five parts (docs/migration.md is the reference, mappings/*.yml are worked examples):

- `landing`: the landing.yml written beside the migrated files (company name, base currency, time zone);
- `sources`: the legacy tables, each one or more files (CSV in any encoding, XLSX), with the fields read,
  their type and format (`date` with `%Y%m%d`, `decimal` with a thousands separator, ...), which are required
  and which columns are deliberately ignored. Source validation checks every legacy row against these;
- `views`: optional SQL over the typed legacy tables (`legacy.<table>`) for joins and derived tables;
- `code_maps`: the old system's code tables translated (department codes, post codes, status texts);
- `entities`: for each landing entity (`hr.employees`, `erp.sales_orders`, ...) the table or view it comes
  from, how it is split into periods (batches), and one rule per landing column: `from` a legacy column,
  a `template`, a constant `value` or a row-local `sql` expression, then optional value transforms
  (`replace`, `prefix`, `suffix`, `case`, `code_map`, `format`, `round`) and a `default`.

Optionally `reconcile` (SQL measures per period and department, legacy against migrated), `legacy_scores`
(the old system's own monthly scores, for the parallel run) and `audit` (sample size and seed).
"""

from __future__ import annotations

import re
import string
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.contract import Contract, default_contracts
from ingest.landing import LandingManifest

FieldType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean"]
Scalar = str | int | float | bool

NAME = r"^[a-z][a-z0-9_]*$"
PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# A row-local SQL expression only: the sampled audit re-evaluates it on one row at a time.
_WINDOW_OR_AGGREGATE = re.compile(r"\bover\s*\(|\b(sum|count|avg|min|max|string_agg|list|array_agg)\s*\(", re.I)

# The non-landing "entity" the parallel run reads: the old system's own monthly scores.
LEGACY_SCORE_COLUMNS: dict[str, FieldType] = {
    "employee_id": "string",
    "period": "string",
    "revenue": "decimal",
    "quota": "decimal",
    "attainment": "decimal",
    "score": "decimal",
}


class MappingError(ValueError):
    """A mapping file is invalid, or the legacy data cannot be mapped. The message names file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SourceField(_Strict):
    """One legacy column that the mapping reads: its type, format and whether it must be present."""

    type: FieldType = "string"
    required: bool = False
    format: str | None = None  # strptime format of a date/timestamp (default ISO 8601)
    thousands: str | None = None  # thousands separator dropped from numbers, e.g. ","
    null_if: list[str] = Field(default_factory=list)  # texts that mean "empty", e.g. ["NULL", "无"]
    true_values: list[str] = Field(default_factory=lambda: ["true", "yes", "y", "1", "是"])
    false_values: list[str] = Field(default_factory=lambda: ["false", "no", "n", "0", "否"])
    description: str | None = None

    @model_validator(mode="after")
    def _options_fit_type(self) -> SourceField:
        if self.format is not None and self.type not in ("date", "timestamp"):
            raise ValueError("format only applies to date and timestamp fields")
        if self.thousands is not None and self.type not in ("integer", "decimal"):
            raise ValueError("thousands only applies to integer and decimal fields")
        return self


class SourceTable(_Strict):
    """A legacy table: the files it is exported in and the fields read from them."""

    files: list[str] = Field(min_length=1)  # globs relative to the legacy folder
    encoding: str | None = None  # default: detected per file (UTF-8, then GBK/GB18030)
    sheet: str | None = None  # XLSX sheet name (default: the first sheet)
    key: list[str] = Field(default_factory=list)
    fields: dict[str, SourceField] = Field(min_length=1)
    ignore: list[str] = Field(default_factory=list)  # columns deliberately not migrated
    description: str | None = None

    @field_validator("files", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("fields", mode="before")
    @classmethod
    def _type_shorthand(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ({"type": f} if isinstance(f, str) else ({} if f is None else f)) for k, f in v.items()}
        return v

    @model_validator(mode="after")
    def _key_is_declared(self) -> SourceTable:
        missing = [k for k in self.key if k not in self.fields]
        if missing:
            raise ValueError(f"key column(s) {missing} are not among the fields")
        both = sorted(set(self.ignore) & set(self.fields))
        if both:
            raise ValueError(f"column(s) {both} are both read (fields) and ignored")
        return self


class Replace(_Strict):
    pattern: str
    with_: str = Field(alias="with")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return v


class ColumnRule(_Strict):
    """How one landing column gets its value. Exactly one of from, template, value, sql."""

    from_: str | None = Field(default=None, alias="from")
    template: str | None = None  # "{first_name} {last_name}": legacy columns in braces
    value: Scalar | None = None  # a constant
    sql: str | None = None  # a row-local DuckDB expression over the typed columns of the source
    replace: list[Replace] = Field(default_factory=list)  # regular expressions, applied in order
    prefix: str | None = None
    suffix: str | None = None
    case: Literal["upper", "lower"] | None = None
    code_map: str | None = None
    format: str | None = None  # strftime format when a date/timestamp becomes text (e.g. "%Y-%m")
    round: int | None = Field(default=None, ge=0, le=10)  # decimal places (half away from zero)
    default: Scalar | None = None  # used when the result is empty
    note: str | None = None  # why: shown in the migration report

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {"from": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one_base(self) -> ColumnRule:
        given = [k for k in ("from_", "template", "value", "sql") if k in self.model_fields_set]
        if len(given) != 1:
            names = [g.rstrip("_") for g in given]
            raise ValueError(f"give exactly one of from, template, value, sql (got {names or 'none'})")
        if self.sql is not None and _WINDOW_OR_AGGREGATE.search(self.sql):
            raise ValueError("sql must be a row-local expression (no aggregate or window function): "
                             "put joins and aggregates in a view")
        if self.template is not None:
            try:
                list(string.Formatter().parse(self.template))
            except ValueError as exc:
                raise ValueError(f"template: {exc}") from exc
        return self

    @property
    def kind(self) -> str:
        return next(k.rstrip("_") for k in ("from_", "template", "value", "sql") if k in self.model_fields_set)

    @property
    def template_fields(self) -> list[str]:
        if self.template is None:
            return []
        return [f for _, f, _, _ in string.Formatter().parse(self.template) if f]

    @property
    def has_text_ops(self) -> bool:
        return bool(self.replace or self.prefix or self.suffix or self.case or self.code_map)

    def describe(self) -> str:
        base = {"from": f"from {self.from_}", "template": f"template {self.template!r}",
                "value": f"constant {self.value!r}", "sql": f"sql {self.sql}"}[self.kind]
        ops = [f"replace {r.pattern!r} -> {r.with_!r}" for r in self.replace]
        ops += [f"{name} {val!r}" for name, val in (("prefix", self.prefix), ("suffix", self.suffix),
                                                    ("case", self.case), ("code map", self.code_map),
                                                    ("format", self.format), ("round", self.round),
                                                    ("default", self.default)) if val is not None]
        return "; ".join([base, *ops])


class PeriodRule(_Strict):
    """How rows of a monthly entity are assigned to a period (batch): from a date, or from a parent entity."""

    from_: str | None = Field(default=None, alias="from")  # a date/timestamp column of the source
    parent: str | None = None  # e.g. erp.sales_orders: lines follow their order
    via: str | None = None  # landing column shared with the parent, e.g. order_id ("on" is a YAML boolean)

    @model_validator(mode="after")
    def _one_way(self) -> PeriodRule:
        if (self.from_ is None) == (self.parent is None):
            raise ValueError("give either from (a date column) or parent and via")
        if self.parent is not None and self.via is None:
            raise ValueError("parent needs via: the landing column shared with the parent entity")
        return self


class EntityMapping(_Strict):
    from_: str | None = Field(default=None, alias="from")  # a source table or a view
    where: str | None = None  # SQL filter on the source rows
    period: PeriodRule | None = None  # monthly entity: one landing file per period
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    rows: list[dict[str, Scalar | None]] = Field(default_factory=list)  # constant landing rows
    note: str | None = None

    @model_validator(mode="after")
    def _has_rows(self) -> EntityMapping:
        if self.from_ is None and not self.rows:
            raise ValueError("an entity needs from (a source or view) with columns, or constant rows")
        if self.from_ is not None and not self.columns:
            raise ValueError("an entity mapped from a source needs columns")
        if self.from_ is None and (self.columns or self.where or self.period):
            raise ValueError("columns, where and period need from")
        if self.period is not None and self.rows:
            raise ValueError("constant rows cannot be combined with period (they belong to no period)")
        return self


class CodeMap(_Strict):
    description: str | None = None
    values: dict[str, Scalar | None]
    default: Scalar | None = None  # every code not listed maps to this (then nothing is unmapped)

    @model_validator(mode="before")
    @classmethod
    def _plain_dict(cls, v: Any) -> Any:
        if isinstance(v, dict) and "values" not in v:
            return {"values": v}
        return v

    @field_validator("values", mode="before")
    @classmethod
    def _text_keys(cls, v: Any) -> Any:
        return {str(k): val for k, val in v.items()} if isinstance(v, dict) else v


class Reconciliation(_Strict):
    """A measure computed twice, from the legacy tables and from the migrated rows, per period and department.

    Both queries return the columns period ('YYYY-MM', or null for a measure over all periods), department
    (or null) and value. Legacy queries read legacy.<table> (typed) and migration.code_map_values; migrated
    queries read migrated.<source>__<entity> (typed by the landing contract, local time, column _period).
    """

    name: str = Field(pattern=NAME)
    description: str
    legacy: str
    migrated: str
    tolerance: float = Field(default=0.0, ge=0)


class LegacyScores(_Strict):
    """The old system's own monthly scores, mapped like an entity (columns: LEGACY_SCORE_COLUMNS)."""

    from_: str = Field(alias="from")
    where: str | None = None
    columns: dict[str, ColumnRule]
    note: str | None = None

    @model_validator(mode="after")
    def _known_columns(self) -> LegacyScores:
        unknown = sorted(set(self.columns) - set(LEGACY_SCORE_COLUMNS))
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; known: {list(LEGACY_SCORE_COLUMNS)}")
        missing = [c for c in ("employee_id", "period", "score") if c not in self.columns]
        if missing:
            raise ValueError(f"column(s) {missing} are required")
        return self


class AuditSettings(_Strict):
    sample_per_entity: int = Field(default=20, ge=1)
    seed: int = 20240101


class Mapping(_Strict):
    mapping_version: int = 1
    name: str = Field(pattern=NAME)
    description: str
    landing: LandingManifest
    file_prefix: str = Field(default="migrated", pattern=r"^[A-Za-z0-9_-]+$")
    sources: dict[str, SourceTable] = Field(min_length=1)
    views: dict[str, str] = Field(default_factory=dict)
    code_maps: dict[str, CodeMap] = Field(default_factory=dict)
    entities: dict[str, EntityMapping] = Field(min_length=1)
    reconcile: list[Reconciliation] = Field(default_factory=list)
    legacy_scores: LegacyScores | None = None
    audit: AuditSettings = Field(default_factory=AuditSettings)
    # set by load_mapping
    source_file: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _names(self) -> Mapping:
        for name in [*self.sources, *self.views]:
            if not re.match(NAME, name):
                raise ValueError(f"table and view names must match {NAME}: '{name}'")
        clash = sorted(set(self.sources) & set(self.views))
        if clash:
            raise ValueError(f"names used for both a source and a view: {clash}")
        names = [r.name for r in self.reconcile]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"reconciliation names used twice: {twice}")
        return self

    @cached_property
    def contracts(self) -> dict[str, Contract]:
        return default_contracts()

    def relations(self) -> list[str]:
        return [*self.sources, *self.views]

    def periodic_entities(self) -> list[str]:
        return [e for e, m in self.entities.items() if m.period is not None]


# ------------------------------------------------------------------------------------------------- loading


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file; every error names the file and the field."""
    path = Path(path)
    if not path.is_file():
        raise MappingError(f"{path}: mapping file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{path}: a mapping file is a YAML mapping with name, landing, sources and entities")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-")) or "(file)"
            problems.append(f"field '{where}': {err['msg']}")
        raise MappingError(f"{path}: invalid mapping: " + "; ".join(problems)) from exc
    mapping.source_file = path.resolve()
    problems = check_references(mapping)
    if problems:
        raise MappingError(f"{path}: invalid mapping: " + "; ".join(problems))
    return mapping


def check_references(mapping: Mapping) -> list[str]:
    """Cross-references a schema cannot check: entities and columns exist, code maps and sources are known."""
    problems: list[str] = []
    contracts = mapping.contracts
    relations = set(mapping.relations())

    def check_rule(where: str, rule: ColumnRule, source: str | None) -> None:
        if rule.code_map is not None and rule.code_map not in mapping.code_maps:
            problems.append(f"field '{where}.code_map': no code map '{rule.code_map}' "
                            f"(code maps: {sorted(mapping.code_maps)})")
        fields = mapping.sources[source].fields if source in mapping.sources else None
        if fields is None:
            return  # a view: its columns are known when the view runs
        for col in ([rule.from_] if rule.from_ else []) + rule.template_fields:
            if col not in fields:
                problems.append(f"field '{where}': '{col}' is not a field of source '{source}' "
                                f"(declare it under sources.{source}.fields)")

    for name, entity in mapping.entities.items():
        if name not in contracts:
            problems.append(f"field 'entities.{name}': no landing entity '{name}' (see docs/sources.md)")
            continue
        contract = contracts[name]
        if entity.from_ is not None and entity.from_ not in relations:
            problems.append(f"field 'entities.{name}.from': no source or view '{entity.from_}'")
        for col, rule in entity.columns.items():
            if col not in contract.column_names:
                problems.append(f"field 'entities.{name}.columns.{col}': not a column of {name} "
                                f"(columns: {contract.column_names})")
            check_rule(f"entities.{name}.columns.{col}", rule, entity.from_)
        for i, row in enumerate(entity.rows):
            unknown = sorted(set(row) - set(contract.column_names))
            if unknown:
                problems.append(f"field 'entities.{name}.rows.{i}': not columns of {name}: {unknown}")
        period = entity.period
        if period is not None and period.from_ is not None and entity.from_ in mapping.sources:
            field = mapping.sources[entity.from_].fields.get(period.from_)
            if field is None or field.type not in ("date", "timestamp"):
                problems.append(f"field 'entities.{name}.period.from': '{period.from_}' must be a date or "
                                f"timestamp field of source '{entity.from_}'")
        if period is not None and period.parent is not None:
            parent = mapping.entities.get(period.parent)
            if parent is None or parent.period is None:
                problems.append(f"field 'entities.{name}.period.parent': '{period.parent}' must be a mapped "
                                f"entity with a period")
            elif parent.period.parent is not None:
                problems.append(f"field 'entities.{name}.period.parent': '{period.parent}' takes its own "
                                f"period from a parent; point at the entity with the date")
            elif period.via not in contract.column_names or period.via not in contracts[period.parent].column_names:
                problems.append(f"field 'entities.{name}.period.via': '{period.via}' must be a column of both "
                                f"{name} and {period.parent}")
    scores = mapping.legacy_scores
    if scores is not None:
        if scores.from_ not in relations:
            problems.append(f"field 'legacy_scores.from': no source or view '{scores.from_}'")
        for col, rule in scores.columns.items():
            check_rule(f"legacy_scores.columns.{col}", rule, scores.from_)
    return problems


def check_period(period: str) -> str:
    if not PERIOD_PATTERN.match(period or ""):
        raise MappingError(f"batch period '{period}' must read YYYY-MM, e.g. 2024-01")
    return period


def target_types(mapping: Mapping, entity: str) -> dict[str, FieldType]:
    """Column types of a landing entity (or of the legacy-scores pseudo entity)."""
    if entity == "legacy_scores":
        return dict(LEGACY_SCORE_COLUMNS)
    return {c.name: c.type for c in mapping.contracts[entity].columns}
