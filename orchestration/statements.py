"""Per-employee statement: one HTML page per person and published month, for HR and the employee.

    path = write_statement(warehouse, published_dir / "serving.duckdb", "E00012", "2024-03", out_dir)

What it shows, and where each part comes from:
  - the published score (current version of the period) and the person's trend of final_score over every
    published month: the read-only serving DuckDB (published.role_scores_current, score_versions,
    sales_rep_scores_current), with the approved adjustments behind it if any;
  - the incentives of the quarter closing in the month, else of the latest quarter closed before it
    (published.incentives_current);
  - the score tree, the targets and the data behind each KPI (monthly numerator / denominator / target,
    source tables with row counts, a few source keys): orchestration.explain.explain over the warehouse,
    opened read-only.
The published score is what HR pays from. If the warehouse has moved on since publication (late data not
yet published), the page says so next to the tree. Plain HTML: every text is escaped, no scripts.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.explain import explain

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")

CSS = """
body{font-family:system-ui,Arial,sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f2f2f2}
.bar{background:#4a7ebb;height:.8em;display:inline-block}.warn{background:#fff3cd;padding:.5em;border:1px solid #e0c97f}
.muted{color:#666}.score{font-size:2em;font-weight:bold}
"""


class StatementError(LookupError):
    """The period is not a published month, or the person has no published score for it."""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f"{float(value):,.{digits}f}"
    return _e(value)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td class=\"n\">{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def read_published(serving_db: Path, employee_id: str, period: str) -> dict[str, Any]:
    """The person's current published row for the period, the period's version and the trend over months."""
    if not MONTH.match(period):
        raise StatementError(f"period {period!r}: statements are for published months, write YYYY-MM")
    if not Path(serving_db).exists():
        raise StatementError(f"no serving DuckDB at {serving_db}: publish first")
    with duckdb.connect(str(serving_db), read_only=True) as con:
        row = _dicts(con, "select * from published.role_scores_current where employee_id = ? and period = ?",
                     [employee_id, period])
        if not row:
            raise StatementError(f"employee {employee_id} has no published score for {period}")
        version = _dicts(con, "select * from published.score_versions where period = ? order by version desc limit 1",
                         [period])[0]
        trend = _dicts(con, "select period, version, role, score_status, final_score from published.role_scores_current "
                            "where employee_id = ? order by period", [employee_id])
        sales = _dicts(con, "select * from published.sales_rep_scores_current where employee_id = ? and period = ?",
                       [employee_id, period])
        # the incentives of the quarter closing in this month, else of the latest quarter closed before it
        incentives = _dicts(con, "select * from published.incentives_current where employee_id = ? and period <= ? "
                                 "order by period desc limit 1", [employee_id, period])
    return {"row": row[0], "version": version, "trend": trend, "sales": sales[0] if sales else None,
            "incentives": incentives[0] if incentives else None}


def _incentives_html(inc: dict[str, Any] | None, period: str) -> str:
    if not inc:
        return "<h2>Incentives</h2><p class=\"muted\">No published incentives up to this month.</p>"
    note = "" if inc["period"] == period else (f"<p class=\"muted\">No quarter closes in {_e(period)}; these are the "
                                                f"incentives published with {_e(inc['period'])}.</p>")
    adjusted = (f"<p>Adjusted by {_e(inc['adjustment_ids'])}: total before the adjustment "
                f"{_num(inc['unadjusted_total_incentive_base'])}.</p>") if inc.get("adjustment_ids") else ""
    return (f"<h2>Incentives, {_e(inc['quarter'])}</h2>" + note + _table(
        ["commission", "bonus target", "bonus factor", "gross bonus", "deduction %", "deduction", "net bonus",
         "total incentive", "rules breached", "promotion eligible"],
        [[_num(inc["commission_base"]), _num(inc["bonus_target_base"]), _num(inc["bonus_factor"], 4),
          _num(inc["gross_bonus_base"]), _num(inc["deduction_pct"]), _num(inc["deduction_base"]),
          _num(inc["net_bonus_base"]), f"<b>{_num(inc['total_incentive_base'])}</b>",
          _e(inc["breached_rules"] or "none"), _e("yes" if inc["is_promotion_eligible"] else "no")]],
        numeric=set(range(8))) + adjusted)


def _trend_html(trend: list[dict[str, Any]], period: str) -> str:
    top = max([t["final_score"] or 0 for t in trend] + [100.0])
    rows = []
    for t in trend:
        score = t["final_score"]
        width = 0 if score is None else max(0.0, score) / top * 20
        bar = f"<span class=\"bar\" style=\"width:{width:.2f}em\"></span>"
        label = _e(t["period"]) + (" <b>(this statement)</b>" if t["period"] == period else "")
        rows.append([label, _e(t["version"]), _e(t["role"]), _e(t["score_status"]), _num(score), bar])
    return _table(["month", "version", "role", "status", "final score", ""], rows, numeric={1, 4})


def _kpi_sections(tree: dict[str, Any]) -> tuple[str, str]:
    """(targets table, data-behind-each-KPI sections) from the explain tree."""
    target_rows, sections = [], []
    for seg in tree["segments"]:
        seg_label = f"{seg['role']} ({seg['region']}, {seg['tenure_band']}), {seg['first_day']}..{seg['last_day']}"
        for k in seg["kpis"]:
            target_rows.append([_e(k["label"]), _e(k["kpi"]), _e(seg_label), _e(k["perspective"]), _num(k["weight"], 1),
                                _num(k["effective_weight"]), _num(k["actual"], 4), _num(k["target"], 4),
                                _num(k["attainment"], 4), _num(k["score"]), _num(k["contribution"]), _e(k["status"])])
            months = [[_e(str(m["month"])[:7]), _e(m["subject_id"]), _num(m["numerator"], 4), _num(m["denominator"], 4),
                       _num(m["target"], 4), _e(m["days_in_segment"]),
                       _e(", ".join(f"{s['table']} ({s['rows']} rows)" for s in m["sources"]) or "no data")]
                      for m in k["months"]]
            keys = [[_e(s["source_table"]), _e(s["source_key"]), _e(s["event_date"]), _num(s["numerator"], 4),
                     _num(s["denominator"], 4)] for s in k["source_keys"]]
            prior = (f"; prior period {_num(k['prior_numerator'], 4)} / {_num(k['prior_denominator'], 4)}"
                     if str(k["value_formula"]).startswith("growth") else "")
            sections.append(
                f"<h3>{_e(k['label'])} <span class=\"muted\">({_e(k['kpi'])}, {_e(k['subject_type'])} "
                f"{_e(k['subject_id'])})</span></h3>"
                f"<p>{_e(k['value_formula'])}: numerator {_num(k['numerator'], 4)}, denominator "
                f"{_num(k['denominator'], 4)}{prior}; {_e(k['source_rows'])} source rows. Unit {_e(k['unit'])}, "
                f"{_e(k['direction'])}, curve {_e(k['curve'])}, target from {_e(k['target_source'])}.</p>"
                + _table(["month", "subject", "numerator", "denominator", "target", "days", "sources"], months,
                         numeric={2, 3, 4, 5})
                + (("<p class=\"muted\">Some source records:</p>"
                    + _table(["table", "key", "date", "numerator", "denominator"], keys, numeric={3, 4})) if keys else "")
            )
    targets = _table(["KPI", "key", "assignment", "perspective", "weight", "effective weight %", "actual", "target",
                      "attainment", "score", "points", "status"], target_rows, numeric=set(range(4, 11)))
    return targets, "".join(sections)


def render_statement(published: dict[str, Any], tree: dict[str, Any]) -> str:
    row, version = published["row"], published["version"]
    employee, period = row["employee_id"], row["period"]
    published_at = version["published_at"]
    published_at = published_at.isoformat(sep=" ", timespec="seconds") if isinstance(published_at, dt.datetime) \
        else published_at
    unadjusted = row["unadjusted_final_score"] if row.get("adjustment_ids") else row["final_score"]
    drift = tree["final_score"] != unadjusted
    perspectives = [[_e(p), _num(row.get(f"{p}_score"))] for p in ("financial", "customer", "process", "learning")]
    summary = _table(
        ["part", "points"],
        [["own KPI score", _num(row["own_kpi_score"])], ["mentees' score", _num(row["mentee_score"])],
         ["score before bonus (warehouse)", _num(tree["score_before_bonus"])],
         ["team bonus", _num(row["team_bonus_points"])], ["<b>final score</b>", f"<b>{_num(row['final_score'])}</b>"]],
        numeric={1})
    sales = published["sales"]
    sales_html = ""
    if sales:
        sales_html = "<h2>Revenue against quota</h2>" + _table(
            ["orders", "lines", "revenue", "quota", "attainment", "score"],
            [[_e(sales["order_count"]), _e(sales["line_count"]), _num(sales["revenue_base"]), _num(sales["quota_base"]),
              _num(sales["quota_attainment"], 4), _num(sales["score"])]], numeric=set(range(6)))
    targets, kpi_data = _kpi_sections(tree)
    warning = (f"<p class=\"warn\">The warehouse now gives a final score of {_num(tree['final_score'])} for this month, "
               f"the published version {_e(version['version'])} says {_num(unadjusted)} before adjustments. The published "
               "score is the one that counts; the tree below shows the warehouse's current data.</p>") if drift else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Score statement {_e(employee)} {_e(period)}</title><style>{CSS}</style></head><body>"
        f"<h1>Score statement: {_e(employee)}, {_e(period)}</h1>"
        f"<p>Role {_e(row['role'])}, department {_e(row['department_id'])}, region {_e(row['region'])}, "
        f"tenure {_e(row['tenure_band'])}. Scorecard {_e(row['scorecard'])} {_e(row['scorecard_version'])}.</p>"
        f"<p>Published version {_e(version['version'])} of {_e(period)}, published {_e(published_at)} UTC "
        f"({_e(version['reason'])}); status {_e(row['score_status'])}, {_e(row['scored_days'])} of "
        f"{_e(row['role_days'])} days scored, {_e(row['kpis_scored'])} of {_e(row['kpis_total'])} KPIs.</p>"
        f"<p>Final score <span class=\"score\">{_num(row['final_score'])}</span></p>"
        + (f"<p>Adjusted by {_e(row['adjustment_ids'])} (approved disputes or adjustments): the score before them "
           f"was {_num(row['unadjusted_final_score'])}.</p>" if row.get("adjustment_ids") else "")
        + summary + "<h2>By perspective</h2>" + _table(["perspective", "points"], perspectives, numeric={1})
        + sales_html + _incentives_html(published.get("incentives"), period)
        + "<h2>Trend over published months</h2>" + _trend_html(published["trend"], period)
        + "<h2>Targets and results per KPI</h2>" + warning + targets
        + "<h2>The data behind each KPI</h2>" + kpi_data
        + f"<p class=\"muted\">Generated by ScoreLink from published data and the warehouse (read-only) at "
          f"{_e(dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=' ', timespec='seconds'))} UTC.</p>"
        + "</body></html>\n"
    )


def write_statement(warehouse: Path, serving_db: Path, employee_id: str, period: str, out_dir: Path) -> Path:
    """Write statement_<employee>_<period>_v<version>.html into out_dir and return its path."""
    published = read_published(Path(serving_db), employee_id, period)
    tree = explain(employee_id, period, warehouse=Path(warehouse))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = SAFE_NAME.sub("_", f"statement_{employee_id}_{period}_v{published['version']['version']}") + ".html"
    path = out_dir / name
    tmp = out_dir / f".{name}.tmp"
    tmp.write_text(render_statement(published, tree), encoding="utf-8")
    os.replace(tmp, path)
    return path
