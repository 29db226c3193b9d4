"""Migration and parallel-run reports an HR lead can read and sign: one JSON file (the record) and one HTML
page rendered from it, in $SCORELINK_HOME/reports/migration/.

The JSON holds everything the page shows, plus a `sign_off` block (name, role, decision, date, comment) that
`sign_report` fills in; the page is then rendered again with the signature. `latest-migration.*` and
`latest-parallel-run.*` are copies of the newest report of each kind.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

SIGN_OFF_BLANK = {"name": None, "role": None, "decision": None, "date": None, "comment": None}
Decision = Literal["accepted", "accepted with remarks", "rejected"]

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1180px;color:#222}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin-top:1.2em} .muted{color:#666} .small{font-size:.85em}
table{border-collapse:collapse;margin:.5em 0;font-size:.85em} td,th{border:1px solid #ddd;padding:3px 7px;
text-align:left;vertical-align:top} th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fdecea} .pass{color:#fff;background:#2e7d32;padding:1px 8px;border-radius:3px}
.fail{color:#fff;background:#c62828;padding:1px 8px;border-radius:3px} .warn{color:#000;background:#ffd54f;
padding:1px 8px;border-radius:3px} .sign td{height:2.2em;min-width:16em} .box{border:1px solid #ccc;padding:.8em}
"""


def json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def write_report(report: dict[str, Any], folder: Path, stem: str, latest: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / f"{stem}.json", folder / f"{stem}.html"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=json_default) + "\n",
                         encoding="utf-8")
    html_path.write_text(render(report), encoding="utf-8")
    for path in (json_path, html_path):
        shutil.copyfile(path, folder / f"{latest}{path.suffix}")
    return json_path, html_path


def sign_report(json_path: str | Path, name: str, role: str, decision: Decision, comment: str | None = None,
                when: dt.date | None = None) -> Path:
    """Record who signed a report and what they decided; the HTML page is rendered again. Returns it."""
    json_path = Path(json_path)
    report = json.loads(json_path.read_text(encoding="utf-8"))
    if decision not in ("accepted", "accepted with remarks", "rejected"):
        raise ValueError("decision must be 'accepted', 'accepted with remarks' or 'rejected'")
    report["sign_off"] = {"name": name, "role": role, "decision": decision,
                          "date": (when or dt.date.today()).isoformat(), "comment": comment}
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path = json_path.with_suffix(".html")
    html_path.write_text(render(report), encoding="utf-8")
    return html_path


def migration_summary(result, seconds: float | None = None) -> list[str]:
    """Plain-text lines for a terminal: what a migration run did and where its report is."""
    what = f"batch {result.batch}" if result.batch else f"{len(result.periods)} period(s)"
    took = f", {seconds:.1f} s" if seconds is not None else ""
    if result.success:
        lines = [f"Migration passed ({what}{took}): {len(result.files_written)} landing file(s) written, "
                 f"{len(result.files_unchanged)} already identical, in {result.landing_dir}"]
        lines += [f"  {entity:28s} {rows:>9,} rows" for entity, rows in sorted(result.rows.items())]
        lines.append(f"Next: scorelink run --landing {result.landing_dir}")
    else:
        lines = [f"Migration FAILED ({what}{took}): nothing was written to {result.landing_dir}"]
        lines += [f"  - {failure}" for failure in result.failures]
        lines.append(f"Staged files kept for inspection: {result.staging_dir}")
    lines.append(f"Report: {result.report_html}")
    return lines


def parallel_run_summary(result) -> list[str]:
    matched = sum(r["ok"] for r in result.rows)
    lines = [f"Parallel run over {', '.join(result.periods) or 'no common month'}: {matched} of {len(result.rows)} "
             f"employee-months within {result.tolerance} points"]
    lines += [f"  {r['period']} {r['employee_id']}: {r['explanation']}" for r in result.largest[:5]]
    lines.append(f"Report: {result.report_html}")
    return lines


# ------------------------------------------------------------------------------------------------ render


def _e(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return html.escape(str(value))


def _badge(ok: bool | None, text: str | None = None) -> str:
    if ok is None:
        return f'<span class="warn">{_e(text or "warning")}</span>'
    return f'<span class="{"pass" if ok else "fail"}">{_e(text or ("passed" if ok else "failed"))}</span>'


def _table(rows: list[dict[str, Any]], columns: list[str] | None = None, bad: str | None = None,
           numeric: tuple[str, ...] = (), limit: int = 500) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    columns = columns or list(rows[0])
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in columns)
    body = []
    for row in rows[:limit]:
        cls = ' class="bad"' if bad and not row.get(bad) else ""
        cells = "".join(f'<td class="num">{_e(row.get(c))}</td>' if c in numeric else f"<td>{_e(row.get(c))}</td>"
                        for c in columns)
        body.append(f"<tr{cls}>{cells}</tr>")
    more = f'<p class="muted">... and {len(rows) - limit} more rows (see the JSON report)</p>' if len(rows) > limit else ""
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def _suite_block(stage: dict[str, Any]) -> str:
    parts = [f"<h3>{_e(stage['title'])} {_badge(stage['success'])}</h3>",
             f"<p class='small muted'>Suite <code>{_e(stage['suite'])}</code> on <code>{_e(stage['table'])}</code>: "
             f"{_e(stage['description'])}</p>"]
    rows = []
    for e in stage["expectations"]:
        state = "passed" if e["success"] else ("failed" if e["severity"] == "critical" else "warning")
        rows.append({"check": e["description"] or e["type"], "severity": e["severity"], "result": state,
                     "rows found": e["unexpected_count"], "ok": e["success"] or e["severity"] != "critical"})
    parts.append(_table(rows, ["check", "severity", "result", "rows found"], bad="ok"))
    for e in stage["expectations"]:
        if not e["success"] and e["examples"]:
            parts.append(f"<p class='small'><b>{_e(e['description'] or e['type'])}</b>: first rows</p>")
            parts.append(_table(e["examples"]))
        if e.get("error"):
            parts.append(f"<p class='small'>error: {_e(e['error'][:500])}</p>")
    return "\n".join(parts)


def _sign_off(report: dict[str, Any]) -> str:
    s = report.get("sign_off") or SIGN_OFF_BLANK
    what = ("I have reviewed this migration report: the validation results, the reconciliation and the sampled "
            "audit." if report["kind"] == "migration" else
            "I have reviewed this parallel run and the explanations of the differences between the two systems.")
    rows = "".join(f"<tr><th>{label}</th><td>{_e(s.get(key))}</td></tr>"
                   for label, key in (("Name", "name"), ("Role", "role"), ("Decision", "decision"),
                                      ("Date", "date"), ("Comment", "comment")))
    return (f"<h2>Sign-off</h2><div class='box'><p>{what} Decision: accepted / accepted with remarks / rejected."
            f"</p><table class='sign'>{rows}<tr><th>Signature</th><td></td></tr></table></div>")


def render(report: dict[str, Any]) -> str:
    body = _render_migration(report) if report["kind"] == "migration" else _render_parallel_run(report)
    title = f"{report['kind'].replace('_', ' ').title()} report - {report.get('company', '')}"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}{_sign_off(report)}"
            f"<p class='small muted'>Generated by ScoreLink at {_e(report['created_at'])}; run {_e(report['run_id'])}. "
            f"The JSON record of this report sits beside this page.</p></body></html>\n")


def _render_migration(r: dict[str, Any]) -> str:
    ok = r["verdict"] == "passed"
    periods = ", ".join(r["periods"]) or "none"
    out = [f"<h1>Legacy migration: {_e(r['company'])} {_badge(ok)}</h1>",
           f"<p>Batch <b>{_e(r['batch'] or 'all periods')}</b> (periods {_e(periods)}), mapping "
           f"<code>{_e(r['mapping']['file'])}</code> ({_e(r['mapping']['name'])}), legacy export "
           f"<code>{_e(r['legacy_dir'])}</code>, landing folder <code>{_e(r['landing_dir'])}</code>.</p>",
           "<div class='box'>" + (
               f"<b>Passed.</b> Every blocking check passed and {len(r['files_written'])} landing file(s) were "
               f"written ({len(r['files_unchanged'])} already identical). Run the pipeline on the landing folder "
               "next." if ok else
               "<b>Failed.</b> At least one blocking check failed (below). No landing file was written; batches "
               "migrated earlier are unchanged. Fix the mapping or the legacy export and run the batch again.")
           + "</div>"]
    out.append("<h2>Summary</h2>")
    out.append(_table([{"stage": s["title"], "result": "passed" if s["success"] else "FAILED",
                        "critical failures": s["critical_failures"], "warnings": s["warning_failures"],
                        "ok": s["success"]} for s in r["stages"]],
                      ["stage", "result", "critical failures", "warnings"], bad="ok"))
    out.append("<h2>1. Source validation</h2><p>The legacy export files as read.</p>")
    out.append(_table(r["legacy_files"], ["legacy_table", "source_file", "file_format", "encoding", "rows",
                                          "missing_optional_columns"], numeric=("rows",)))
    out += [_suite_block(s) for s in r["stages"] if s["stage"] == 1]
    out.append("<h2>2. Mapping coverage</h2><p>Every legacy code met in the batch and what it becomes.</p>")
    out.append(_table(r["code_coverage"], ["code_map", "entity", "target_column", "legacy_value", "row_count",
                                           "mapped_value", "is_mapped"], bad="is_mapped", numeric=("row_count",)))
    out.append("<h3>Landing columns and their rules</h3>")
    out.append(_table(r["column_rules"], ["entity", "column_name", "required", "rule", "note"]))
    out += [_suite_block(s) for s in r["stages"] if s["stage"] == 2]
    out.append("<h2>3. Reconciliation and sampled audit</h2><p>Counts and sums per period and department, "
               "legacy against migrated (difference = migrated - legacy).</p>")
    out.append(_table(r["reconciliation"], ["measure", "period", "department", "legacy_value", "migrated_value",
                                            "difference", "tolerance", "ok"], bad="ok",
                      numeric=("legacy_value", "migrated_value", "difference")))
    audit = r["audit"]
    out.append(f"<h3>Sampled audit</h3><p>{audit['sampled_rows']} legacy rows drawn with seed {audit['seed']} "
               f"({audit['fields_checked']} fields compared, {audit['mismatches']} mismatches).</p>")
    out.append(_table(audit["rows"], ["entity", "sample_no", "record_key", "column_name", "legacy_value",
                                      "expected_value", "landing_value", "matches", "source_file", "source_row"],
                      bad="matches"))
    out += [_suite_block(s) for s in r["stages"] if s["stage"] == 3]
    out.append("<h2>Landing files</h2>")
    out.append(_table(r["files"], ["path", "entity", "period", "rows", "state", "sha256"], numeric=("rows",)))
    return "\n".join(out)


def _render_parallel_run(r: dict[str, Any]) -> str:
    ok = r["success"]
    out = [f"<h1>Parallel run: {_e(r['company'])} {_badge(ok, 'within tolerance' if ok else 'differences')}</h1>",
           f"<p>The old system's own monthly scores against ScoreLink's published scores for the overlapping "
           f"months {_e(', '.join(r['periods']) or 'none')}; tolerance {_e(r['tolerance'])} score points.</p>",
           "<div class='box'>" + _e(r["summary"]) + "</div>",
           "<h2>Largest differences, explained</h2>",
           "<p class='small'>A score difference splits exactly into: revenue effect = (ScoreLink revenue - legacy "
           "revenue) / legacy quota; quota effect = ScoreLink revenue / ScoreLink quota - ScoreLink revenue / legacy "
           "quota (both x 100 points), and the effect of the scoring curve's floor and cap (and rounding).</p>",
           _table(r["largest"], ["period", "employee_id", "legacy_score", "scorelink_score", "score_difference",
                                 "main_driver", "explanation"], numeric=("legacy_score", "scorelink_score",
                                                                         "score_difference"))]
    out.append("<h2>Per month</h2>")
    out.append(_table(r["per_period"], numeric=tuple(k for k in (r["per_period"][0] if r["per_period"] else {})
                                                     if k != "period")))
    out.append("<h2>Every employee and month</h2>")
    out.append(_table(r["rows"], ["period", "employee_id", "status", "legacy_revenue", "scorelink_revenue",
                                  "legacy_quota", "scorelink_quota", "legacy_attainment", "scorelink_attainment",
                                  "legacy_score", "scorelink_score", "score_difference", "revenue_effect_points",
                                  "quota_effect_points", "curve_effect_points", "ok"], bad="ok",
                      numeric=("legacy_revenue", "scorelink_revenue", "legacy_quota", "scorelink_quota",
                               "legacy_attainment", "scorelink_attainment", "legacy_score", "scorelink_score",
                               "score_difference", "revenue_effect_points", "quota_effect_points",
                               "curve_effect_points"), limit=2000))
    out += [_suite_block(s) for s in r["stages"]]
    return "\n".join(out)
