"""Explain a score: the tree from a person's role score down to each KPI's metric components and source rows.

    tree = explain("E00012", "2024-Q1")     # dict, JSON-ready (scorelink explain E00012 2024-Q1 --json)
    print(render_explanation(tree))         # the same as an indented text tree

It reads the marts fct_role_scores, fct_kpi_scores and fct_score_lineage (and a few source keys from
fct_metric_events) from a DuckDB file, read-only: the warehouse by default, or any copy that holds them.

role score (final_score)
  = score_before_bonus (own KPI score blended with mentees' when a mentor) + team bonus points
  own KPI score = sum of KPI contributions over the period's assignment segments (prorated by days)
    KPI: actual vs target -> attainment -> score on the curve; effective weight; contribution
      metric value for the subject, per month: numerator / denominator, source tables and row counts
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

PERIOD_PATTERNS = {
    "month": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^\d{4}-Q[1-4]$"),
    "year": re.compile(r"^\d{4}$"),
}
SAMPLE_KEYS = 5


class ExplainError(LookupError):
    """The person or period is unknown, or the warehouse has no scores yet."""


@dataclass(frozen=True)
class Period:
    period_type: str
    label: str


def parse_period(text: str) -> Period:
    """'2024-03' (month), '2024-Q1' (quarter) or '2024' (year)."""
    value = text.strip().upper().replace("q", "Q")
    for period_type, pattern in PERIOD_PATTERNS.items():
        if pattern.match(value):
            return Period(period_type, value)
    raise ExplainError(f"period {text!r}: write a month (2024-03), a quarter (2024-Q1) or a year (2024)")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _warehouse_path(warehouse: str | Path | None) -> Path:
    if warehouse is not None:
        return Path(warehouse)
    from orchestration.settings import get_settings

    return get_settings().warehouse_path


def explain(
    employee_id: str,
    period: str,
    warehouse: str | Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """The score tree of one person and period, as plain JSON-ready data."""
    parsed = parse_period(period)
    if con is not None:
        return _explain(con, employee_id, parsed)
    path = _warehouse_path(warehouse)
    if not path.exists():
        raise ExplainError(f"no warehouse at {path}: run the pipeline first")
    with duckdb.connect(str(path), read_only=True) as connection:
        return _explain(connection, employee_id, parsed)


def _explain(con: duckdb.DuckDBPyConnection, employee_id: str, period: Period) -> dict[str, Any]:
    try:
        role_rows = _rows(
            con,
            "select * from marts.fct_role_scores where employee_id = ? and period_type = ? and period = ?",
            [employee_id, period.period_type, period.label],
        )
    except duckdb.CatalogException as exc:
        raise ExplainError(
            "the warehouse has no scores (marts.fct_role_scores): run the pipeline first"
        ) from exc
    if not role_rows:
        known = con.execute("select count(*) from marts.fct_role_scores where employee_id = ?", [employee_id])
        if known.fetchone()[0] == 0:
            raise ExplainError(f"employee {employee_id} has no scores")
        raise ExplainError(f"employee {employee_id} has no score for {period.period_type} {period.label}")
    role = role_rows[0]
    kpis = _rows(
        con,
        "select * from marts.fct_kpi_scores where employee_id = ? and period_type = ? "
        "and period_start = ? order by first_day, segment_id, effective_weight desc, kpi",
        [employee_id, period.period_type, role["period_start"]],
    )
    lineage = _rows(
        con,
        "select * from marts.fct_score_lineage where employee_id = ? and period_type = ? "
        "and period_start = ? order by segment_id, kpi, subject_type, month, source_table",
        [employee_id, period.period_type, role["period_start"]],
    )

    months: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for row in lineage:
        key = (row["segment_id"], row["kpi"], row["subject_type"])
        month = months.setdefault(key, {}).setdefault(
            row["month"],
            {
                "month": row["month"],
                "subject_id": row["subject_id"],
                "days_in_segment": row["days_in_month"],
                "target": row["target_month"],
                "numerator": None,
                "denominator": None,
                "prior_numerator": None,
                "prior_denominator": None,
                "source_rows": 0,
                "sources": [],
            },
        )
        if row["source_table"] != "(no data)":
            for part in ("numerator", "denominator", "prior_numerator", "prior_denominator"):
                if row[part] is not None:
                    month[part] = (month[part] or 0) + row[part]
            month["source_rows"] += row["source_row_count"]
            month["sources"].append(
                {"table": row["source_table"], "rows": row["source_row_count"], "events": row["event_count"]}
            )

    segments: dict[str, dict[str, Any]] = {}
    for k in kpis:
        segment = segments.setdefault(
            k["segment_id"],
            {
                "segment_id": k["segment_id"],
                "assignment_id": k["assignment_id"],
                "role": k["role"],
                "region": k["region"],
                "tenure_band": k["tenure_band"],
                "scorecard_version": k["scorecard_version"],
                "days": k["segment_days"],
                "first_day": k["first_day"],
                "last_day": k["last_day"],
                "kpis": [],
            },
        )
        key = (k["segment_id"], k["kpi"], k["subject_type"])
        month_list = list(months.get(key, {}).values())
        segment["kpis"].append(
            {
                "kpi": k["kpi"],
                "label": k["kpi_label"],
                "perspective": k["bsc_perspective"],
                "subject_type": k["subject_type"],
                "subject_id": k["subject_id"],
                "weight": k["weight"],
                "effective_weight": k["effective_weight"],
                "status": k["score_status"],
                "unit": k["unit"],
                "direction": k["direction"],
                "curve": k["curve"],
                "target_source": k["target_source"],
                "value_formula": k["value_formula"],
                "actual": k["actual"],
                "target": k["target"],
                "attainment": k["attainment"],
                "score": k["score"],
                "contribution": k["contribution"],
                "numerator": k["numerator"],
                "denominator": k["denominator"],
                "prior_numerator": k["prior_numerator"],
                "prior_denominator": k["prior_denominator"],
                "source_rows": k["source_row_count"],
                "months": month_list,
                "source_keys": _sample_keys(con, k["kpi"], k["subject_type"], month_list),
            }
        )

    return {
        "employee_id": employee_id,
        "period": role["period"],
        "period_type": role["period_type"],
        "period_start": role["period_start"],
        "period_end": role["period_end"],
        "scorecard": role["scorecard"],
        "scorecard_version": role["scorecard_version"],
        "versions_in_period": role["version_count"],
        "role": role["role"],
        "region": role["region"],
        "status": role["score_status"],
        "final_score": role["final_score"],
        "score_before_bonus": role["score_before_bonus"],
        "team_bonus_points": role["team_bonus_points"],
        "bonus_team_lead_id": role["bonus_team_lead_id"],
        "own_kpi_score": role["own_kpi_score"],
        "mentee_score": role["mentee_score"],
        "mentee_count": role["mentee_count"],
        "mentor_share_pct": role["mentor_share_pct"],
        "perspectives": {p: role[f"{p}_score"] for p in ("financial", "customer", "process", "learning")},
        "role_days": role["role_days"],
        "scored_days": role["scored_days"],
        "segments": list(segments.values()),
    }


def _sample_keys(
    con: duckdb.DuckDBPyConnection, kpi: str, subject_type: str, months: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A few source records behind the KPI (fct_metric_events), selected by the subject rule."""
    keys: list[dict[str, Any]] = []
    for month in months:
        if len(keys) >= SAMPLE_KEYS or not month["sources"]:
            continue
        subject_filter = {
            "person": "employee_id = ?",
            "team": "(team_lead_id = ? or employee_id = ?)",
            "department": "department_id = ?",
            "company": "? is not null",
        }[subject_type]
        params: list[Any] = [kpi, month["month"], month["subject_id"]]
        if subject_type == "team":
            params.append(month["subject_id"])
        rows = _rows(
            con,
            f"select source_table, source_key, event_date, numerator, denominator "
            f"from marts.fct_metric_events where metric = ? and month = ? and {subject_filter} "
            f"order by source_table, source_key limit {SAMPLE_KEYS - len(keys)}",
            params,
        )
        keys.extend(rows)
    return keys


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.3e}"
    return str(value)


def render_explanation(tree: dict[str, Any]) -> str:
    """The explanation as an indented text tree (what `scorelink explain` prints)."""
    lines = [
        f"{tree['employee_id']}  {tree['period_type']} {tree['period']}  "
        f"role {tree['role']} ({tree['region']})  scorecard {tree['scorecard']} {tree['scorecard_version']}",
        f"final score {_fmt(tree['final_score'], 2)} = before bonus {_fmt(tree['score_before_bonus'], 2)} "
        f"+ team bonus {_fmt(tree['team_bonus_points'], 2)}",
        f"  own KPI score {_fmt(tree['own_kpi_score'], 2)} over {tree['scored_days']} scored days of "
        f"{tree['role_days']}; mentees {tree['mentee_count']} (score {_fmt(tree['mentee_score'], 2)}, "
        f"share {_fmt(tree['mentor_share_pct'], 1)}%)",
        "  perspectives: " + ", ".join(f"{p} {_fmt(v, 2)}" for p, v in tree["perspectives"].items()),
    ]
    for segment in tree["segments"]:
        lines.append(
            f"  segment {segment['segment_id']}: {segment['role']} "
            f"({segment['region']}, {segment['tenure_band']}), "
            f"{segment['days']} days {segment['first_day']}..{segment['last_day']}"
        )
        for k in segment["kpis"]:
            lines.append(
                f"    {k['kpi']} [{k['subject_type']} {k['subject_id']}] weight {_fmt(k['weight'], 1)} "
                f"(effective {_fmt(k['effective_weight'], 2)}%): actual {_fmt(k['actual'])} vs target "
                f"{_fmt(k['target'])} -> attainment {_fmt(k['attainment'])} -> score {_fmt(k['score'], 2)} "
                f"({k['curve']}, {k['status']}) -> {_fmt(k['contribution'], 2)} points"
            )
            lines.append(
                f"      {k['value_formula']}: numerator {_fmt(k['numerator'])}, "
                f"denominator {_fmt(k['denominator'])}"
                + (
                    f", prior {_fmt(k['prior_numerator'])} / {_fmt(k['prior_denominator'])}"
                    if k["value_formula"].startswith("growth")
                    else ""
                )
                + f"; {k['source_rows']} source rows"
            )
            for m in k["months"]:
                sources = ", ".join(f"{s['table']} {s['rows']}" for s in m["sources"]) or "no data"
                lines.append(
                    f"        {m['month'][:7]}: {_fmt(m['numerator'])} / {_fmt(m['denominator'])}, "
                    f"target {_fmt(m['target'])}, {m['days_in_segment']} days; {sources}"
                )
    return "\n".join(lines)
