"""The parallel run: the old system's own monthly scores against ScoreLink's published scores.

For one to three months a company runs both systems. For every employee and month the two have in common
(the months of the legacy scores that ScoreLink has published), the scores are compared with a tolerance
(score points) and every difference is split exactly into its KPI components:

    attainment = revenue / quota
    revenue effect  = (revenue_SL - revenue_legacy) / quota_legacy                 } x 100 points; they sum to
    quota effect    = revenue_SL / quota_SL - revenue_SL / quota_legacy            } attainment_SL - attainment_legacy
    curve effect    = score difference - 100 x attainment difference  (the scoring curve's floor and cap, rounding)

The largest differences are explained in words, down to these components; with the warehouse at hand, a
revenue difference is traced further to the orders whose order month and ship month differ (ScoreLink counts
revenue when an order ships). Results: migration.parallel_run in $SCORELINK_HOME/migration/parallel_run.duckdb,
validated by the suite migration_parallel_run, and a report (HTML and JSON) in reports/migration/.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from expectations.runner import SuiteResult, run_suite
from ingest.migration import transform
from ingest.migration.mapping import MappingError, load_mapping
from ingest.migration.migrate import (
    PARALLEL_RUN_SUITE,
    default_home,
    fresh_database,
    migration_suites,
    read_legacy,
    stage_summaries,
)
from ingest.migration.report import SIGN_OFF_BLANK, write_report

PUBLISHED_VIEW = "published.sales_rep_scores_current"
LARGEST = 10


@dataclass
class ParallelRunResult:
    run_id: str
    success: bool  # every common employee-month within the tolerance
    periods: list[str]  # overlapping months compared
    tolerance: float
    rows: list[dict[str, Any]]  # one per employee and month
    largest: list[dict[str, Any]]  # the largest differences, explained
    suite: SuiteResult
    report_html: Path
    report_json: Path

    def row(self, period: str, employee_id: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["period"] == period and r["employee_id"] == employee_id), None)


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _money(value: float | None) -> str:
    return "none" if value is None else f"{value:,.2f}"


def compare(legacy: dict[str, Any] | None, scorelink: dict[str, Any] | None, tolerance: float) -> dict[str, Any]:
    """One employee-month: components, their share of the score difference, and an explanation."""
    lg, sl = legacy or {}, scorelink or {}
    r_l, r_s = _num(lg.get("revenue")), _num(sl.get("revenue"))
    q_l, q_s = _num(lg.get("quota")), _num(sl.get("quota"))
    a_l = _num(lg.get("attainment"))
    if a_l is None and r_l is not None and q_l:
        a_l = r_l / q_l
    a_s = _num(sl.get("attainment"))
    s_l, s_s = _num(lg.get("score")), _num(sl.get("score"))
    out = {"legacy_revenue": r_l, "scorelink_revenue": r_s, "legacy_quota": q_l, "scorelink_quota": q_s,
           "legacy_attainment": a_l, "scorelink_attainment": a_s, "legacy_score": s_l, "scorelink_score": s_s,
           "score_difference": None, "revenue_difference": None, "quota_difference": None,
           "attainment_difference": None, "revenue_effect_points": None, "quota_effect_points": None,
           "curve_effect_points": None, "main_driver": None, "explanation": None}
    if legacy is None or scorelink is None:
        out["status"] = "only_scorelink" if legacy is None else "only_legacy"
        out["main_driver"] = "coverage"
        out["explanation"] = ("Scored by ScoreLink but not by the old system (check who the old system treats as a "
                              "sales rep)." if legacy is None else
                              "Scored by the old system but not by ScoreLink: not a sales rep in ScoreLink's "
                              "job assignments that month, or not migrated.")
        return out
    if r_l is not None and r_s is not None:
        out["revenue_difference"] = r_s - r_l
    if q_l is not None and q_s is not None:
        out["quota_difference"] = q_s - q_l
    if a_l is not None and a_s is not None:
        out["attainment_difference"] = a_s - a_l
    if s_l is None and s_s is None:
        out["status"] = "match"
        out["explanation"] = "No score in either system (no quota)."
        return out
    if s_l is None or s_s is None:
        out["status"] = "difference"
        out["main_driver"] = "quota"
        out["explanation"] = (f"Only {'ScoreLink' if s_l is None else 'the old system'} has a score: quota "
                              f"{_money(q_l)} (legacy) vs {_money(q_s)} (ScoreLink); without a quota there is no "
                              "attainment and no score.")
        return out
    diff = s_s - s_l
    out["score_difference"] = diff
    if q_l and q_s and r_l is not None and r_s is not None:
        rev_eff = 100 * (r_s - r_l) / q_l
        quota_eff = 100 * (r_s / q_s - r_s / q_l)
        curve = diff - (rev_eff + quota_eff)
        out.update(revenue_effect_points=rev_eff, quota_effect_points=quota_eff, curve_effect_points=curve)
        drivers = {"revenue": rev_eff, "quota": quota_eff, "scoring curve": curve}
        out["main_driver"] = max(drivers, key=lambda k: abs(drivers[k]))
    out["status"] = "match" if abs(diff) <= tolerance + 1e-9 else "difference"
    out["explanation"] = _explain(out, diff)
    return out


def _explain(c: dict[str, Any], diff: float) -> str:
    parts = [f"ScoreLink {c['scorelink_score']:.1f} vs old system {c['legacy_score']:.1f} ({diff:+.1f} points)."]
    if c["revenue_effect_points"] is None:
        return parts[0]
    r_l, r_s = c["legacy_revenue"], c["scorelink_revenue"]
    if abs(r_s - r_l) >= 0.005:
        pct = f", {100 * (r_s - r_l) / r_l:+.1f}%" if r_l else ""
        parts.append(f"Revenue {_money(r_s)} vs {_money(r_l)} ({r_s - r_l:+,.2f}{pct}) accounts for "
                     f"{c['revenue_effect_points']:+.1f} points.")
    else:
        parts.append(f"Revenue equal ({_money(r_s)}).")
    q_l, q_s = c["legacy_quota"], c["scorelink_quota"]
    if abs(q_s - q_l) >= 0.005:
        parts.append(f"Quota {_money(q_s)} vs {_money(q_l)} accounts for {c['quota_effect_points']:+.1f} points.")
    else:
        parts.append(f"Quota equal ({_money(q_s)}).")
    if abs(c["curve_effect_points"]) >= 0.05:
        parts.append(f"The scoring curve (floor 0, cap 120) and rounding account for {c['curve_effect_points']:+.1f} "
                     "points.")
    return " ".join(parts)


def published_scores(serving_path: Path) -> pd.DataFrame:
    if not serving_path.exists():
        raise MappingError(f"{serving_path}: no published scores (run the pipeline on the migrated landing folder "
                           "first)")
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        return con.execute(f"""select period, employee_id, revenue_base as revenue, quota_base as quota,
                                      quota_attainment as attainment, score
                               from {PUBLISHED_VIEW}""").df()
    finally:
        con.close()


def timing_evidence(warehouse_path: Path | None, keys: list[tuple[str, str]],
                    revenue_differences: dict[tuple[str, str], float] | None = None) -> dict[tuple[str, str], str]:
    """For employee-months with a revenue difference: orders whose order month and ship month differ."""
    if not keys or warehouse_path is None or not warehouse_path.exists():
        return {}
    try:
        con = duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.Error:  # the pipeline holds the warehouse: explain without the order detail
        return {}
    out = {}
    try:
        for period, employee in keys:
            shipped_in, ordered_in = con.execute(
                """select
                     [count(distinct order_id) filter (where strftime(revenue_month, '%Y-%m') = $p
                                                         and strftime(ordered_date, '%Y-%m') <> $p),
                      coalesce(sum(net_revenue_base) filter (where strftime(revenue_month, '%Y-%m') = $p
                                                               and strftime(ordered_date, '%Y-%m') <> $p), 0)],
                     [count(distinct order_id) filter (where strftime(ordered_date, '%Y-%m') = $p
                                                         and (revenue_month is null
                                                              or strftime(revenue_month, '%Y-%m') <> $p)),
                      coalesce(sum(order_amount_base) filter (where strftime(ordered_date, '%Y-%m') = $p
                                                                and (revenue_month is null
                                                                     or strftime(revenue_month, '%Y-%m') <> $p)), 0)]
                   from intermediate.int_sales_order_lines_converted
                   where salesperson_id = $e""", {"p": period, "e": employee}).fetchone()
            if shipped_in[0] or ordered_in[0]:
                text = (f"ScoreLink counts revenue when an order ships: {int(shipped_in[0])} order(s) ordered earlier "
                        f"and shipped in {period} add {float(shipped_in[1]):,.2f}; {int(ordered_in[0])} order(s) "
                        f"ordered in {period} but shipped later or not yet ({float(ordered_in[1]):,.2f} at order-date "
                        "rates) count in another month.")
                diff = (revenue_differences or {}).get((period, employee))
                if diff is not None:
                    rest = diff - float(shipped_in[1]) + float(ordered_in[1])
                    if abs(rest) >= 0.005:
                        text += (f" The remaining {rest:+,.2f} comes from converting at the ship date's exchange rate "
                                 "instead of the order date's, or from other differences.")
                out[(period, employee)] = text
    finally:
        con.close()
    return out


def parallel_run(
    legacy_dir: str | Path,
    mapping_file: str | Path,
    *,
    home: str | Path | None = None,
    serving_path: str | Path | None = None,
    warehouse_path: str | Path | None = None,
    tolerance: float = 0.5,
    periods: list[str] | None = None,
    run_id: str | None = None,
    data_docs: bool = True,
) -> ParallelRunResult:
    """Compare the old system's monthly scores (mapping's legacy_scores) with ScoreLink's published scores.

    serving_path: the published serving copy (default $SCORELINK_HOME/published/serving.duckdb);
    warehouse_path: the warehouse, read only to trace revenue differences to orders (default
    $SCORELINK_HOME/warehouse/scorelink.duckdb; skipped when absent or busy); periods: limit to these months.
    """
    home = Path(home).resolve() if home else default_home()
    serving = Path(serving_path) if serving_path else home / "published" / "serving.duckdb"
    warehouse = Path(warehouse_path) if warehouse_path else home / "warehouse" / "scorelink.duckdb"
    mapping = load_mapping(mapping_file)
    if mapping.legacy_scores is None:
        raise MappingError(f"{mapping.source_file}: the mapping has no legacy_scores section (the old system's "
                           "own scores), so there is nothing to compare")
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = run_id or f"parallel-run-{started:%Y%m%dT%H%M%S%f}"
    db_path = home / "migration" / "parallel_run.duckdb"
    con = fresh_database(db_path)
    try:
        read_legacy(con, mapping, Path(legacy_dir).resolve())
        legacy = transform.map_legacy_scores(con, mapping)
    finally:
        con.close()
    scorelink = published_scores(serving)
    common = sorted(set(legacy["period"].dropna()) & set(scorelink["period"]))
    if periods:
        common = [p for p in common if p in set(periods)]
    by_legacy = {(r["period"], r["employee_id"]): r for r in legacy.to_dict("records") if r["period"] in common}
    by_sl = {(r["period"], r["employee_id"]): r for r in scorelink.to_dict("records") if r["period"] in common}
    rows = []
    for key in sorted(set(by_legacy) | set(by_sl)):
        c = compare(by_legacy.get(key), by_sl.get(key), tolerance)
        rows.append({"period": key[0], "employee_id": key[1], **c, "tolerance": tolerance,
                     "ok": c["status"] == "match"})
    ranked = sorted((r for r in rows if not r["ok"]),
                    key=lambda r: (-abs(r["score_difference"]) if r["score_difference"] is not None else -1e9,
                                   r["period"], r["employee_id"]))
    revenue_led = [r for r in ranked[:LARGEST] if r["main_driver"] == "revenue"]
    evidence = timing_evidence(warehouse, [(r["period"], r["employee_id"]) for r in revenue_led],
                               {(r["period"], r["employee_id"]): r["revenue_difference"] for r in revenue_led})
    for r in ranked[:LARGEST]:
        extra = evidence.get((r["period"], r["employee_id"]))
        if extra:
            r["explanation"] = f"{r['explanation']} {extra}"
    largest = ranked[:LARGEST]

    frame = pd.DataFrame(rows, columns=["period", "employee_id", "status", "legacy_revenue", "scorelink_revenue",
                                        "legacy_quota", "scorelink_quota", "legacy_attainment",
                                        "scorelink_attainment", "legacy_score", "scorelink_score",
                                        "score_difference", "revenue_effect_points", "quota_effect_points",
                                        "curve_effect_points", "main_driver", "explanation", "tolerance"])
    con = duckdb.connect(str(db_path))
    try:
        con.execute("create schema if not exists migration")
        con.register("_parallel_run", frame)
        con.execute("create or replace table migration.parallel_run as select * from _parallel_run")
        con.unregister("_parallel_run")
    finally:
        con.close()
    spec = next(s for s in migration_suites(include_parallel_run=True) if s.suite == PARALLEL_RUN_SUITE)
    docs: Path | bool = (home / "reports" / "migration" / "data_docs") if data_docs else False
    suite = run_suite(spec, db_path, run_id, docs_dir=docs)

    per_period = []
    for p in common:
        pr = [r for r in rows if r["period"] == p]
        both = [r for r in pr if r["status"] in ("match", "difference")]
        per_period.append({"period": p, "employees": len(pr), "within_tolerance": sum(r["ok"] for r in pr),
                           "differences": sum(r["status"] == "difference" for r in pr),
                           "only_legacy": sum(r["status"] == "only_legacy" for r in pr),
                           "only_scorelink": sum(r["status"] == "only_scorelink" for r in pr),
                           "legacy_revenue": round(sum(r["legacy_revenue"] or 0 for r in both), 2),
                           "scorelink_revenue": round(sum(r["scorelink_revenue"] or 0 for r in both), 2)})
    matched = sum(r["ok"] for r in rows)
    summary = (f"{len(rows)} employee-months in {len(common)} overlapping month(s): {matched} within "
               f"{tolerance} points, {len(rows) - matched} outside or scored by one system only."
               if common else "The two systems have no month in common: nothing was compared.")
    report = {"kind": "parallel_run", "run_id": run_id, "created_at": started.isoformat(timespec="seconds") + "Z",
              "company": mapping.landing.company_name, "mapping": {"name": mapping.name,
                                                                   "file": str(mapping.source_file)},
              "legacy_dir": str(Path(legacy_dir).resolve()), "serving": str(serving), "tolerance": tolerance,
              "periods": common, "success": suite.success, "summary": summary, "per_period": per_period,
              "largest": largest, "rows": rows,
              "stages": stage_summaries([suite], {PARALLEL_RUN_SUITE: (0, "Parallel run")}),
              "sign_off": dict(SIGN_OFF_BLANK)}
    json_path, html_path = write_report(report, home / "reports" / "migration", run_id, "latest-parallel-run")
    return ParallelRunResult(run_id, suite.success, common, tolerance, rows, largest, suite, html_path, json_path)
