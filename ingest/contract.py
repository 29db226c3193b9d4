"""The landing contract: one YAML file per source entity under ingest/contracts/<source>/<entity>.yml.

A contract says which columns a landing file of that entity has, their types, which are required, the
key, allowed values, patterns, ranges, references to other entities and PII tags. The ingest step checks
every row against it; docs/sources.md is generated from the same files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

CONTRACTS_DIR = Path(__file__).parent / "contracts"

ColumnType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean"]

# How each contract type is stored in the raw schema of the warehouse.
RAW_SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}

# Lineage columns the loader adds to every raw table.
LINEAGE_COLUMNS: dict[str, str] = {
    "_batch_id": "VARCHAR",
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_loaded_at": "TIMESTAMP",
    "_row_hash": "VARCHAR",
}


class ContractError(ValueError):
    """A contract file itself is invalid. The message names the file and the field."""


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: ColumnType
    required: bool = False
    description: str
    pii: bool = False
    allowed_values: list[str] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    references: str | None = None  # "<source>.<entity>.<column>"
    format: str | None = None  # strptime format for dates/timestamps that are not ISO 8601

    @model_validator(mode="after")
    def _checks_fit_type(self) -> Column:
        numeric = self.type in ("integer", "decimal")
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"min/max only apply to integer or decimal columns, not {self.type}")
        if self.pattern is not None and self.type != "string":
            raise ValueError("pattern only applies to string columns")
        if self.references is not None and len(self.references.split(".")) != 3:
            raise ValueError("references must read <source>.<entity>.<column>")
        return self


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract_version: int
    source: str
    entity: str
    description: str
    keys: list[str]
    columns: list[Column]

    @model_validator(mode="after")
    def _keys_are_required_columns(self) -> Contract:
        names = [c.name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"columns listed twice: {duplicated}")
        for key in self.keys:
            if key not in names:
                raise ValueError(f"key column '{key}' is not among the columns")
            if not self.column(key).required:
                raise ValueError(f"key column '{key}' must be required")
        return self

    @property
    def name(self) -> str:
        return f"{self.source}.{self.entity}"

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def raw_table(self) -> str:
        return f"{self.raw_schema}.{self.entity}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def create_table_sql(self) -> str:
        cols = [f'"{c.name}" {RAW_SQL_TYPES[c.type]}' for c in self.columns]
        cols += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
        return f"create table if not exists {self.raw_table} (\n  " + ",\n  ".join(cols) + "\n)"


def load_contract(path: Path) -> Contract:
    """Read and validate one contract file; errors name the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ContractError(f"{path}: a contract must be a mapping with source, entity, keys and columns")
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            if len(loc) >= 2 and loc[0] == "columns" and isinstance(loc[1], int):
                cols = data.get("columns") or []
                col_name = cols[loc[1]].get("name", f"#{loc[1] + 1}") if loc[1] < len(cols) else loc[1]
                loc = [f"columns[{col_name}]", *loc[2:]]
            where = ".".join(str(p) for p in loc) or "(file)"
            problems.append(f"field '{where}': {err['msg']}")
        raise ContractError(f"{path}: invalid contract: " + "; ".join(problems)) from exc
    expected = (path.parent.name, path.stem)
    if (contract.source, contract.entity) != expected:
        raise ContractError(
            f"{path}: declares {contract.source}.{contract.entity} but lives at {expected[0]}/{expected[1]}.yml"
        )
    return contract


def load_contracts(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """All contracts keyed by '<source>.<entity>', in a stable order; references are checked."""
    contracts = {}
    for path in sorted(contracts_dir.glob("*/*.yml")):
        c = load_contract(path)
        contracts[c.name] = c
    for c in contracts.values():
        for col in c.columns:
            if col.references is None:
                continue
            src, ent, ref_col = col.references.split(".")
            target = contracts.get(f"{src}.{ent}")
            if target is None or ref_col not in target.column_names:
                raise ContractError(
                    f"{contracts_dir / c.source / (c.entity + '.yml')}: field 'columns[{col.name}].references': "
                    f"{col.references} does not name a contract column"
                )
    return contracts


@cache
def default_contracts() -> dict[str, Contract]:
    return load_contracts(CONTRACTS_DIR)
