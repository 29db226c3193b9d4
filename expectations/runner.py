"""Run the Great Expectations suites of expectations/ over the DuckDB warehouse, in SQL, and keep the results.

A suite is one YAML file (one table, one Dagster asset, a list of GX expectations each with a severity):

    suite: source_raw_erp__sales_orders   # unique; also the Dagster check name
    table: raw_erp.sales_orders           # schema.table validated
    asset_key: [raw, erp, sales_orders]   # the asset the check belongs to
    description: ...
    key_columns: [order_id]               # optional: identify failing rows in examples
    depends_on: [[raw, hr, employees]]    # optional: assets whose tables the custom SQL also reads
    expectations:
      - type: ExpectColumnValuesToNotBeNull
        kwargs: {column: order_id}
        severity: critical                # critical blocks publication, warning only reports
        description: optional text

Blocking is decided here, not by GX (GX's `severity` does not change `success`): a suite fails when a
critical expectation fails (or errors); failing warnings are reported and keep the suite passing.

Every run appends one row per expectation to quality.validation_results in the warehouse (written after GX
has released the file) and updates the GX Data Docs site ($SCORELINK_HOME/reports/data_docs by default).

Where the table is validated: by default in the DuckDB warehouse file. When dbt builds on another engine, a
ValidationTarget says where its tables are: PostgreSQL (a GX postgres datasource over a SQLAlchemy URL whose
search_path is the table's schema) or a DuckDB file of views over Spark's Parquet tables (the same DuckDB
datasource as the default). The results are still recorded in the DuckDB warehouse. Custom SQL in the
suites (UnexpectedRowsExpectation) is written to run on DuckDB and PostgreSQL alike.
Great Expectations is imported inside the functions that need it (about 2 s at import).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

EXPECTATIONS_DIR = Path(__file__).resolve().parent
FAMILIES = ("sources", "migration", "metric_inputs", "publish")
MAX_EXAMPLES = 10
# Data Docs keep the latest runs of each suite (the results table in the warehouse keeps all of them).
DATA_DOCS_KEEP_RUNS = 30
RESULTS_TABLE = "quality.validation_results"

Severity = Literal["critical", "warning"]

# GX cannot evaluate regular expressions on the DuckDB dialect: these fail at run time, so they are refused
# when the suite is loaded, with the replacement in the message.
_REGEX_TYPES = {
    "ExpectColumnValuesToMatchRegex",
    "ExpectColumnValuesToNotMatchRegex",
    "ExpectColumnValuesToMatchRegexList",
    "ExpectColumnValuesToNotMatchRegexList",
    "ExpectColumnValuesToMatchLikePattern",
    "ExpectColumnValuesToNotMatchLikePattern",
    "ExpectColumnValuesToMatchLikePatternList",
    "ExpectColumnValuesToNotMatchLikePatternList",
}
# GX substitutes {batch} as "(<select>) AS subselect" in a query without JOIN, and as "(<select>)" in one
# with a JOIN (great_expectations query_metric_provider): aliasing {batch} is only valid with a JOIN.
_SQL_QUOTED_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_SQL_JOIN = re.compile(r"\bjoin\b", re.IGNORECASE)
_BATCH_ALIASED = re.compile(
    r"\{batch\}\s+(?:as\s+)?"
    r"(?!(?:where|group|order|limit|having|union|except|intersect|window|qualify|on|using"
    r"|left|right|inner|full|cross|natural|join|semi|anti|positional|asof|lateral)\b)[a-z_]\w*",
    re.IGNORECASE,
)
# Set by the runner itself, never in kwargs.
_RESERVED_KWARGS = {"severity", "meta", "description", "result_format", "id", "catch_exceptions", "batch_id"}


class SuiteFileError(ValueError):
    """A suite file is invalid. The message names the file and the field."""


class ExpectationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern=r"^(Expect[A-Za-z0-9]+|UnexpectedRowsExpectation)$")
    kwargs: dict[str, Any] = Field(default_factory=dict)
    severity: Severity
    description: str | None = None

    @field_validator("type")
    @classmethod
    def _no_regex_on_duckdb(cls, value: str) -> str:
        if value in _REGEX_TYPES:
            raise ValueError(
                f"{value} does not work on the DuckDB dialect; use UnexpectedRowsExpectation "
                "with column ~ '^pattern$' instead (a full match on DuckDB and PostgreSQL alike; "
                "regexp_full_match(column, 'pattern') works on DuckDB only)"
            )
        return value

    @model_validator(mode="after")
    def _kwargs_fit_type(self) -> ExpectationSpec:
        reserved = sorted(_RESERVED_KWARGS & set(self.kwargs))
        if reserved:
            raise ValueError(
                f"kwargs must not set {reserved}: severity and description are keys of the "
                "expectation itself, the rest is set by the runner"
            )
        if self.type == "UnexpectedRowsExpectation":
            query = self.kwargs.get("unexpected_rows_query")
            if not isinstance(query, str) or not query.strip():
                raise ValueError("UnexpectedRowsExpectation needs kwargs.unexpected_rows_query (SQL)")
            try:
                fields = {f for _, f, _, _ in string.Formatter().parse(query) if f is not None}
            except ValueError as exc:
                raise ValueError(
                    f"unexpected_rows_query has an unpaired brace ({exc}); literal braces "
                    "must be doubled ({{ and }}), {batch} is the only placeholder"
                ) from exc
            if fields != {"batch"}:
                extra = sorted(fields - {"batch"})
                raise ValueError(
                    "unexpected_rows_query must read the validated table as {batch}"
                    + (
                        f" and have no other placeholder (found {extra}; double literal braces)"
                        if extra
                        else ""
                    )
                )
            bare = _SQL_QUOTED_OR_COMMENT.sub(" ", query)
            if _SQL_JOIN.search(bare) and len(_BATCH_ALIASED.findall(bare)) < bare.count("{batch}"):
                raise ValueError(
                    "unexpected_rows_query has a JOIN, so GX substitutes {batch} as a bare subquery: "
                    "alias every {batch} (from {batch} as t); PostgreSQL refuses a subquery without an alias"
                )
            if not _SQL_JOIN.search(bare) and _BATCH_ALIASED.search(bare):
                raise ValueError(
                    "unexpected_rows_query aliases {batch} but has no JOIN: GX then substitutes "
                    "{batch} as an already aliased subquery; drop the alias (unqualified columns) "
                    "or write the check as a JOIN (e.g. a left join ... where ref.key is null)"
                )
        return self


class SuiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    table: str = Field(pattern=r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
    asset_key: list[str] = Field(min_length=1)
    description: str
    key_columns: list[str] = Field(default_factory=list)
    depends_on: list[list[str]] = Field(default_factory=list)
    expectations: list[ExpectationSpec] = Field(min_length=1)
    # Filled in by load_suites, never written in the file.
    source_file: Path | None = Field(default=None, exclude=True)
    family: str | None = Field(default=None, exclude=True)

    @property
    def schema_name(self) -> str:
        return self.table.split(".")[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".")[1]


@dataclass
class ExpectationResult:
    type: str
    severity: str
    success: bool
    unexpected_count: int | None
    element_count: int | None
    examples: list[Any]
    query: str | None
    description: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    observed_value: Any = None
    error: str | None = None


@dataclass
class SuiteResult:
    suite: str
    table: str
    asset_key: list[str]
    run_id: str
    validated_at: dt.datetime
    success: bool  # False only when a critical expectation failed
    expectations: list[ExpectationResult]
    family: str | None = None
    data_docs: str | None = None

    @property
    def failed_critical(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if not e.success and e.severity == "critical"]

    @property
    def failed_warnings(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if not e.success and e.severity == "warning"]

    def summary(self) -> str:
        state = "passed" if self.success else "FAILED"
        return (
            f"{self.suite} on {self.table}: {state} ({len(self.expectations)} expectations, "
            f"{len(self.failed_critical)} critical and {len(self.failed_warnings)} warning failures)"
        )


# ---------------------------------------------------------------------------------------------- loading


def load_suite(path: Path) -> SuiteSpec:
    """Read and validate one suite file; errors name the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SuiteFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SuiteFileError(
            f"{path}: a suite must be a mapping with suite, table, asset_key and expectations"
        )
    try:
        spec = SuiteSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            if len(loc) >= 2 and loc[0] == "expectations" and isinstance(loc[1], int):
                items = data.get("expectations") or []
                item = items[loc[1]] if loc[1] < len(items) and isinstance(items[loc[1]], dict) else {}
                loc = [f"expectations[{loc[1]}]({item.get('type', '?')})", *loc[2:]]
            where = ".".join(str(p) for p in loc) or "(file)"
            problems.append(f"field '{where}': {err['msg']}")
        raise SuiteFileError(f"{path}: invalid suite: " + "; ".join(problems)) from exc
    family = path.parent.name if path.parent.name in FAMILIES else None
    return spec.model_copy(update={"source_file": path, "family": family})


def load_suites(folder: str | Path = EXPECTATIONS_DIR) -> list[SuiteSpec]:
    """Every suite file (*.yml, *.yaml) under folder, sorted by path; suite names must be unique."""
    folder = Path(folder)
    paths = sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    suites: list[SuiteSpec] = []
    seen: dict[str, Path] = {}
    for path in paths:
        spec = load_suite(path)
        if spec.suite in seen:
            raise SuiteFileError(
                f"{path}: field 'suite': '{spec.suite}' is already used by {seen[spec.suite]}"
            )
        seen[spec.suite] = path
        suites.append(spec)
    return suites


def default_suites() -> list[SuiteSpec]:
    """The suites over the warehouse (Dagster checks, `scorelink validate`). The migration suites validate the
    migration database instead; ingest.migration runs them."""
    return [s for s in load_suites(EXPECTATIONS_DIR) if s.family != "migration"]


def build_expectation(spec: ExpectationSpec, index: int = 0) -> Any:
    """The GX expectation object for one spec (imports GX)."""
    import great_expectations as gx

    cls = getattr(gx.expectations, spec.type, None)
    if cls is None:
        raise ValueError(f"unknown Great Expectations expectation type {spec.type}")
    extra: dict[str, Any] = {"severity": spec.severity, "meta": {"scorelink_index": index}}
    if spec.description:
        extra["description"] = spec.description
    return cls(**spec.kwargs, **extra)


# ---------------------------------------------------------------------------------------------- running


@dataclass(frozen=True)
class ValidationTarget:
    """The warehouse holding the suites' tables when it is not the DuckDB warehouse file.

    kind postgres: sqlalchemy_url builds a SQLAlchemy URL for a search_path (the validated table's schema).
    kind duckdb_views: duckdb_path is a DuckDB file (views over Spark's Parquet tables), opened read-only.
    """

    kind: Literal["postgres", "duckdb_views"]
    label: str  # where, for messages: "PostgreSQL scorelink at 127.0.0.1:5432", "Spark tables in /..."
    sqlalchemy_url: Any = None  # Callable[[str | None], str] for postgres
    duckdb_path: Path | None = None


@contextmanager
def _target_datasource(context: Any, warehouse_path: Path, schema: str,
                       target: ValidationTarget | None) -> Iterator[Any]:
    """A GX SQL datasource over the table's warehouse; every connection and engine is closed on exit."""
    from expectations.duckdb_compat import duckdb_datasource

    if target is None:
        with duckdb_datasource(context, "warehouse", warehouse_path, schema) as datasource:
            yield datasource
    elif target.kind == "duckdb_views":
        with duckdb_datasource(context, "warehouse", target.duckdb_path, schema, read_only=True) as datasource:
            yield datasource
    elif target.kind == "postgres":
        datasource = context.data_sources.add_postgres(name="warehouse", connection_string=target.sqlalchemy_url(schema))
        try:
            yield datasource
        finally:  # GX has no close step: dispose its two engines, or the server keeps the sessions
            if datasource._execution_engine is not None:
                datasource._execution_engine.close()
            if datasource._engine is not None:
                datasource._engine.dispose()
    else:
        raise ValueError(f"unknown validation target kind {target.kind!r}")


def default_docs_dir() -> Path:
    home = os.environ.get("SCORELINK_HOME")
    base = Path(home) if home else EXPECTATIONS_DIR.parent / "output"
    return (base / "reports" / "data_docs").resolve()


def _gx_context(docs_dir: Path | None) -> Any:
    """An ephemeral GX context; with docs_dir, validation results (JSON) and the Data Docs site live there."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    config: dict[str, Any] = {
        "store_backend_defaults": defaults,
        "analytics_enabled": False,
        "progress_bars": ProgressBarsConfig(globally=False),
    }
    if docs_dir is not None:
        stores = dict(defaults.stores)
        # The site index lists what the validation results store holds: keep that store on disk so the
        # index covers every run and suite, not only the last one validated in this process.
        stores[defaults.validation_results_store_name] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir / "_validation_results"),
            },
        }
        config["stores"] = stores
        config["data_docs_sites"] = {
            "scorelink": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    return gx.get_context(mode="ephemeral", project_config=DataContextConfig(**config))


def run_suite(
    spec: SuiteSpec,
    warehouse_path: str | Path,
    run_id: str,
    *,
    docs_dir: str | Path | None | Literal[False] = None,
    record: bool = True,
    target: ValidationTarget | None = None,
) -> SuiteResult:
    """Validate one suite over the warehouse (SQL in DuckDB), record the results, return them.

    docs_dir: Data Docs folder (default $SCORELINK_HOME/reports/data_docs); False builds no Data Docs.
    record: append the results to quality.validation_results (after GX has released the file).
    target: validate the table there instead of in the warehouse file (dbt target postgres or spark).
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    warehouse_path = Path(warehouse_path).resolve()
    if not warehouse_path.exists():
        raise FileNotFoundError(f"warehouse {warehouse_path} does not exist")
    docs = None if docs_dir is False else Path(docs_dir or default_docs_dir()).resolve()
    validated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if docs:  # make room for this run, before the site index is rebuilt
        prune_data_docs(docs, spec.suite, keep=max(DATA_DOCS_KEEP_RUNS - 1, 0))
    context = _gx_context(docs)
    expectations = [build_expectation(e, i) for i, e in enumerate(spec.expectations)]
    gx_results: dict[int, Any] = {}
    examples_by_index: dict[int, list[dict[str, Any]]] = {}
    row_count: int | None = None
    missing_table: str | None = None
    docs_index: str | None = None

    with _target_datasource(context, warehouse_path, spec.schema_name, target) as datasource:
        engine = datasource.get_execution_engine()
        if not _table_exists(engine, spec):
            missing_table = f"table {spec.table} does not exist in {target.label if target else warehouse_path}"
        else:
            # The schema is the datasource search_path (duckdb_compat); TableAsset.schema_name is deprecated.
            asset = datasource.add_table_asset(name=spec.table, table_name=spec.table_name)
            batch_definition = asset.add_batch_definition_whole_table("whole_table")
            suite = context.suites.add(gx.ExpectationSuite(name=spec.suite, expectations=expectations))
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=spec.suite, data=batch_definition, suite=suite)
            )
            result_format: dict[str, Any] = {
                "result_format": "SUMMARY",
                "partial_unexpected_count": MAX_EXAMPLES,
            }
            if spec.key_columns:
                result_format |= {
                    "unexpected_index_column_names": spec.key_columns,
                    "return_unexpected_index_query": True,
                }
            actions = (
                [gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["scorelink"])]
                if docs
                else []
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=spec.suite,
                    validation_definitions=[validation],
                    actions=actions,
                    result_format=result_format,
                )
            )
            run = checkpoint.run(
                run_id=RunIdentifier(run_name=run_id, run_time=validated_at.replace(tzinfo=dt.UTC))
            )
            for suite_result in run.run_results.values():
                for r in suite_result.results:
                    gx_results[int((r.expectation_config.meta or {})["scorelink_index"])] = r
            row_count = _scalar(engine, f"select count(*) from {spec.table}")
            for i, e in enumerate(spec.expectations):
                r = gx_results.get(i)
                if e.type == "UnexpectedRowsExpectation" and r is not None and not r.success:
                    if not _raised(r):  # the query ran and returned rows: keep the first ones as examples
                        examples_by_index[i] = _rows(
                            engine, _unexpected_rows_sql(e, spec.table), MAX_EXAMPLES
                        )
            if docs:
                docs_index = str(docs / "index.html")

    if missing_table:
        results = [
            ExpectationResult(
                type="ExpectTableToExist",
                severity="critical",
                success=False,
                unexpected_count=None,
                element_count=None,
                examples=[],
                query=None,
                description=f"{spec.table} exists",
                error=missing_table,
            )
        ]
    else:
        results = [
            _expectation_result(e, spec, gx_results.get(i), examples_by_index.get(i), row_count)
            for i, e in enumerate(spec.expectations)
        ]
    result = SuiteResult(
        suite=spec.suite,
        table=spec.table,
        asset_key=list(spec.asset_key),
        run_id=run_id,
        validated_at=validated_at,
        family=spec.family,
        data_docs=docs_index,
        success=not any(r.severity == "critical" and not r.success for r in results),
        expectations=results,
    )
    if record:
        record_results(warehouse_path, [result])
    return result


def prune_data_docs(docs_dir: Path, suite: str, keep: int) -> None:
    """Keep the Data Docs (results and pages) of the latest `keep` runs of a suite, remove older ones."""
    folder = docs_dir / "_validation_results" / suite
    if not folder.is_dir():
        return
    runs = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(docs_dir / "validations" / suite / old.name, ignore_errors=True)


def validate(
    suite_name: str | None,
    warehouse_path: str | Path,
    run_id: str | None = None,
    *,
    docs_dir: str | Path | None | Literal[False] = None,
    record: bool = True,
    target: ValidationTarget | None = None,
) -> list[SuiteResult]:
    """Run one suite by name, or all suites (`scorelink validate [--suite NAME]`)."""
    suites = default_suites()
    if suite_name is not None:
        chosen = [s for s in suites if s.suite == suite_name]
        if not chosen:
            raise KeyError(f"no suite named '{suite_name}'; suites: {', '.join(s.suite for s in suites)}")
        suites = chosen
    run_id = run_id or "validate-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return [run_suite(s, warehouse_path, run_id, docs_dir=docs_dir, record=record, target=target) for s in suites]


def _table_exists(engine: Any, spec: SuiteSpec) -> bool:
    return bool(
        _scalar(
            engine,
            "select count(*) from information_schema.tables where table_schema = "
            f"{_literal(spec.schema_name)} and table_name = {_literal(spec.table_name)}",
        )
    )


def _raised(r: Any) -> bool:
    info = r.exception_info or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    return any(isinstance(i, dict) and i.get("raised_exception") for i in infos)


def _scalar(engine: Any, sql: str) -> Any:
    import sqlalchemy as sa

    with engine.get_connection() as connection:
        return connection.execute(sa.text(sql)).scalar()


def _rows(engine: Any, sql: str, limit: int) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    with engine.get_connection() as connection:
        result = connection.execute(sa.text(f"select * from ({sql}) as failing_rows limit {int(limit)}"))
        return [_jsonable(dict(row._mapping)) for row in result.fetchall()]


def _unexpected_rows_sql(spec: ExpectationSpec, table: str) -> str:
    # str.format is what GX applies: {batch} becomes the table, doubled braces become literal ones.
    return spec.kwargs["unexpected_rows_query"].format(batch=table).strip().rstrip(";")


def _expectation_result(
    spec: ExpectationSpec,
    suite: SuiteSpec,
    r: Any,
    examples: list[dict[str, Any]] | None,
    row_count: int | None,
) -> ExpectationResult:
    base = dict(type=spec.type, severity=spec.severity, description=spec.description, kwargs=spec.kwargs)
    if r is None:
        return ExpectationResult(
            **base,
            success=False,
            unexpected_count=None,
            element_count=row_count,
            examples=[],
            query=failing_rows_query(spec, suite.table),
            error="Great Expectations returned no result for this expectation",
        )
    res = dict(r.result or {})
    error = None
    if r.exception_info and not r.success:
        infos = (
            r.exception_info.values() if "raised_exception" not in r.exception_info else [r.exception_info]
        )
        messages = [
            i.get("exception_message") for i in infos if isinstance(i, dict) and i.get("raised_exception")
        ]
        error = "; ".join(m for m in messages if m) or None
    observed = res.get("observed_value")
    if spec.type == "UnexpectedRowsExpectation":
        unexpected = _int_or_none(observed)
        found = examples or []
    else:
        unexpected = _int_or_none(res.get("unexpected_count"))
        found = _examples_from_summary(res, observed)
    query = failing_rows_query(spec, suite.table) or res.get("unexpected_index_query")
    return ExpectationResult(
        **base,
        success=bool(r.success),
        unexpected_count=unexpected,
        element_count=_int_or_none(res.get("element_count")) if "element_count" in res else row_count,
        examples=[] if r.success else _jsonable(found[:MAX_EXAMPLES]),
        query=query,
        observed_value=_jsonable(observed),
        error=error,
    )


def _examples_from_summary(res: dict[str, Any], observed: Any) -> list[Any]:
    if res.get("partial_unexpected_index_list"):
        return list(res["partial_unexpected_index_list"])
    if res.get("partial_unexpected_counts"):
        return list(res["partial_unexpected_counts"])
    if res.get("partial_unexpected_list"):
        return [{"value": v} for v in res["partial_unexpected_list"]]
    if observed is not None and not res.get("unexpected_count"):
        return [{"observed_value": observed}]
    return []


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


# ---------------------------------------------------------------------------- queries for failing rows


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return repr(value) if not isinstance(value, Decimal) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _pair_condition(kw: dict[str, Any], op: str) -> str | None:
    a, b = _ident(kw["column_A"]), _ident(kw["column_B"])
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    failing = f"not coalesce({a} {op} {b}, false)"
    if ignore == "either_value_is_missing":
        return f"{a} is not null and {b} is not null and {failing}"
    if ignore == "both_values_are_missing":
        return f"not ({a} is null and {b} is null) and {failing}"
    if ignore == "neither":
        return failing
    return None


def failing_rows_query(spec: ExpectationSpec, table: str) -> str | None:
    """A ready SQL query returning every row that fails the expectation, where one can be written."""
    kw = spec.kwargs
    if spec.type == "UnexpectedRowsExpectation":
        return _unexpected_rows_sql(spec, table)
    if "row_condition" in kw:
        return None
    col = _ident(kw["column"]) if "column" in kw else None
    where: str | None = None
    if spec.type == "ExpectColumnValuesToNotBeNull":
        where = f"{col} is null"
    elif spec.type == "ExpectColumnValuesToBeNull":
        where = f"{col} is not null"
    elif spec.type == "ExpectColumnValuesToBeInSet":
        values = ", ".join(_literal(v) for v in kw.get("value_set", [])) or "null"
        where = f"{col} is not null and {col} not in ({values})"
    elif spec.type == "ExpectColumnValuesToNotBeInSet":
        values = ", ".join(_literal(v) for v in kw.get("value_set", [])) or "null"
        where = f"{col} in ({values})"
    elif spec.type == "ExpectColumnValuesToBeBetween":
        bounds = []
        if kw.get("min_value") is not None:
            bounds.append(f"{col} {'>' if kw.get('strict_min') else '>='} {_literal(kw['min_value'])}")
        if kw.get("max_value") is not None:
            bounds.append(f"{col} {'<' if kw.get('strict_max') else '<='} {_literal(kw['max_value'])}")
        where = f"{col} is not null and not ({' and '.join(bounds) or 'true'})"
    elif spec.type == "ExpectColumnValuesToBeUnique":
        where = f"{col} in (select {col} from {table} group by {col} having count(*) > 1)"
    elif spec.type == "ExpectCompoundColumnsToBeUnique":
        cols = ", ".join(_ident(c) for c in kw["column_list"])
        match = " and ".join(f"d.{c} is not distinct from t.{c}" for c in map(_ident, kw["column_list"]))
        duplicated = f"select {cols} from {table} group by {cols} having count(*) > 1"
        return f"select t.* from {table} as t where exists (select 1 from ({duplicated}) as d where {match})"
    elif spec.type == "ExpectColumnPairValuesAToBeGreaterThanB":
        where = _pair_condition(kw, ">=" if kw.get("or_equal") else ">")
    elif spec.type == "ExpectColumnPairValuesToBeEqual":
        where = _pair_condition(kw, "=")
    elif spec.type == "ExpectTableRowCountToEqualOtherTable":
        return (
            f"select (select count(*) from {table}) as row_count, "
            f"(select count(*) from {kw['other_table_name']}) as other_row_count"
        )
    return f"select * from {table} where {where}" if where else None


# --------------------------------------------------------------------------------------------- results

RESULTS_DDL = f"""
create schema if not exists quality;
create table if not exists {RESULTS_TABLE} (
  run_id varchar not null,
  validated_at timestamp not null,
  suite varchar not null,
  family varchar,
  table_name varchar not null,
  asset_key varchar,
  suite_success boolean not null,
  expectation_index integer not null,
  expectation varchar not null,
  description varchar,
  kwargs json,
  severity varchar not null,
  success boolean not null,
  unexpected_count bigint,
  element_count bigint,
  examples json,
  query varchar,
  error varchar
);
"""


def record_results(warehouse_path: str | Path, results: list[SuiteResult], timeout_s: float = 30.0) -> None:
    """Append results to quality.validation_results; waits while another process holds the write lock."""
    rows = [
        (
            r.run_id,
            r.validated_at,
            r.suite,
            r.family,
            r.table,
            "/".join(r.asset_key),
            r.success,
            i,
            e.type,
            e.description,
            json.dumps(e.kwargs, default=_json_default),
            e.severity,
            e.success,
            e.unexpected_count,
            e.element_count,
            json.dumps(e.examples, default=_json_default),
            e.query,
            e.error,
        )
        for r in results
        for i, e in enumerate(r.expectations)
    ]
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            con = duckdb.connect(str(warehouse_path))
            break
        except duckdb.IOException as exc:  # another process writes the warehouse: wait for it
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        con.execute("begin")
        con.execute(RESULTS_DDL)
        if rows:
            con.executemany(f"insert into {RESULTS_TABLE} values ({', '.join(['?'] * 18)})", rows)
        con.execute("commit")
    finally:
        con.close()


def latest_results(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The latest run of every suite, one dict per suite (for `scorelink status`)."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'quality' and table_name = 'validation_results'"
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(f"""
        select suite, family, table_name, asset_key, run_id, validated_at, suite_success,
               expectation_index, expectation, description, severity, success, unexpected_count,
               element_count, examples, query, error
        from {RESULTS_TABLE}
        qualify validated_at = max(validated_at) over (partition by suite)
        order by suite, expectation_index
    """).fetchall()
    by_suite: dict[str, dict[str, Any]] = {}
    for (
        suite,
        family,
        table,
        asset_key,
        run_id,
        at,
        suite_success,
        _index,
        expectation,
        description,
        severity,
        success,
        unexpected,
        elements,
        examples,
        query,
        error,
    ) in rows:
        entry = by_suite.setdefault(
            suite,
            {
                "suite": suite,
                "family": family,
                "table_name": table,
                "asset_key": asset_key,
                "run_id": run_id,
                "validated_at": at.isoformat(),
                "success": bool(suite_success),
                "expectations": 0,
                "critical_failed": 0,
                "warnings_failed": 0,
                "failures": [],
            },
        )
        entry["expectations"] += 1
        if not success:
            entry["critical_failed" if severity == "critical" else "warnings_failed"] += 1
            entry["failures"].append(
                {
                    "expectation": expectation,
                    "description": description,
                    "severity": severity,
                    "unexpected_count": unexpected,
                    "element_count": elements,
                    "examples": json.loads(examples) if examples else [],
                    "query": query,
                    "error": error,
                }
            )
    return list(by_suite.values())


def result_as_dict(result: SuiteResult) -> dict[str, Any]:
    out = asdict(result)
    out["validated_at"] = result.validated_at.isoformat()
    return _jsonable(out)
