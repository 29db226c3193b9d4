"""The `scorelink` command: demo, run, status, ui, docs."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestration.settings import REPO_ROOT, get_settings

app = typer.Typer(help="ScoreLink: score people on the business results they drive.", no_args_is_help=True,
                  add_completion=False)
console = Console()


def _use(landing: Path | None = None) -> None:
    """Fix the settings for this process (and the dbt subprocess) before Dagster definitions load."""
    if landing is not None:
        os.environ["SCORELINK_LANDING"] = str(landing.resolve())
    get_settings.cache_clear()
    get_settings().export_env()


def _run_and_report(close_all: bool = False, full_refresh: bool = False) -> None:
    from orchestration.pipeline_run import run_pipeline

    settings = get_settings()
    console.print(f"Landing folder: [bold]{settings.landing_dir}[/]")
    console.print(f"Warehouse:      [bold]{settings.warehouse_path}[/]")
    result = run_pipeline(full_refresh=full_refresh)
    if not result.success:
        console.print("[bold red]Pipeline failed[/] (run id " + result.run_id + "):")
        for failure in result.failures:
            console.print(f"  - {failure}")
        console.print(f"Nothing downstream of a failure was published. dbt's log: {result.log_path}")
        console.print("See `scorelink status` or `make ui` for the run.")
        raise typer.Exit(1)
    if close_all:  # the demo's history is past: close every closed month (the run published the new ones)
        from orchestration.period_close import close_periods

        close_periods(None, published_by="demo", run_id=result.run_id)
    _print_summary(result.run_id)
    console.print(f"Run log (dbt output): {result.log_path}")


def _print_summary(run_id: str) -> None:
    from orchestration.status import collect_status

    status = collect_status(get_settings())
    ing = status["ingest"] or {}
    console.print(f"\n[bold green]Pipeline succeeded[/] (run id {run_id})")
    console.print(f"Ingested {ing.get('files', 0)} files: {ing.get('rows_loaded', 0):,} rows loaded, "
                  f"{ing.get('rows_quarantined', 0):,} quarantined (see table ingest.quarantine).")
    if status["published"]:
        first, last = status["published"][0]["period"], status["published"][-1]["period"]
        console.print(f"Published scores for {len(status['published'])} closed periods ({first} .. {last}): "
                      "role scores of every active employee and sales reps' revenue against quota.")
    pending = [t for t in status["tables"] if (t["schema"], t["table"]) == ("draft", "period_status")]
    if pending:
        import duckdb

        with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
            waiting = con.execute("select period, state from draft.period_status where state <> 'published' "
                                  "order by 1").fetchall()
        if waiting:
            console.print("Waiting for the period close (`scorelink publish --period YYYY-MM --reason ...`): "
                          + ", ".join(f"{p} ({s})" for p, s in waiting))
    pub = get_settings().published_dir
    table = Table(title="Where to look", show_header=False)
    table.add_row("Published scores (read-only DuckDB for BI)", str(pub / "serving.duckdb"))
    table.add_row("Published scores (Parquet)", str(pub / "parquet"))
    table.add_row("Warehouse (pipeline only)", str(get_settings().warehouse_path))
    table.add_row("Lineage graph and run history", "make ui  (then open http://127.0.0.1:3000)")
    table.add_row("Status for scripts", "scorelink status --json")
    console.print(table)


@app.command()
def demo(
    employees: Annotated[int, typer.Option(help="Number of employees of the demo company.")] = 300,
    months: Annotated[int, typer.Option(help="Months of history.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same company.")] = 7,
    start_month: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2024-01",
) -> None:
    """Simulate the demo company, run the whole pipeline on it and publish (close) every closed month.

    Starts from a clean demo: the landing folder and the warehouse under SCORELINK_HOME are recreated.
    """
    from ingest.simulator import simulate

    settings = get_settings()
    home = settings.home.resolve()
    for stale in (home / "landing", settings.warehouse_path.parent, settings.published_dir):
        shutil.rmtree(stale, ignore_errors=True)
    with console.status(f"Simulating {employees} employees over {months} months (seed {seed})"):
        sim = simulate(home, employees=employees, months=months, seed=seed, start_month=start_month)
    console.print(f"Demo company written: {len(sim.files)} landing files in [bold]{sim.landing_dir}[/] "
                  f"(planted causes in {sim.ground_truth_path.name}, which the pipeline never reads)")
    _use(sim.landing_dir)
    _run_and_report(close_all=True)


@app.command()
def run(
    landing: Annotated[Path, typer.Option(help="Landing folder with your exports (see docs/sources.md).",
                                          exists=True, file_okay=False)] = None,
    full_refresh: Annotated[bool, typer.Option(
        "--full-refresh", help="Rebuild dbt's incremental models from scratch: once after upgrading ScoreLink "
                               "or changing such a model's columns (an incremental run refuses a schema change)."
    )] = False,
) -> None:
    """Run the pipeline on a landing folder (default: SCORELINK_HOME/landing)."""
    _use(landing)
    _run_and_report(full_refresh=full_refresh)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Warehouse path, tables with row counts, last run, quarantine counts, gate results."""
    from orchestration.status import collect_status

    _use()
    st = collect_status(get_settings())
    if as_json:
        sys.stdout.write(json.dumps(st, indent=2, default=str) + "\n")
        return
    console.print(f"Warehouse: {st['warehouse']['path']}" + (" [yellow](busy: a run holds it)[/]"
                                                              if st["warehouse"]["busy"] else ""))
    if st["last_run"]:
        lr = st["last_run"]
        console.print(f"Last run:  {lr['run_id']} {lr['status']}")
    tables = Table("schema", "table", "rows", title="Tables")
    for t in st["tables"]:
        tables.add_row(t["schema"], t["table"], f"{t['rows']:,}")
    console.print(tables)
    if st["quarantine"]:
        q = Table("source", "entity", "rows", title="Quarantine (ingest.quarantine)")
        for r in st["quarantine"]:
            q.add_row(r["source"], r["entity"], str(r["rows"]))
        console.print(q)
    for gate in st["gates"]:
        mark = "[green]passed[/]" if gate["passed"] else "[red]FAILED[/]"
        console.print(f"Gate {gate['gate']}: {mark} - {gate['detail']}")
    if st["published"]:
        console.print(f"Published periods: {len(st['published'])} "
                      f"({st['published'][0]['period']} .. {st['published'][-1]['period']})")


@app.command()
def explain(
    employee: Annotated[str, typer.Argument(help="Employee id, e.g. E00027.")],
    period: Annotated[str, typer.Argument(help="YYYY-MM, YYYY-Qn or YYYY.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The score tree of one person and period, down to each metric's numerator, denominator and source rows."""
    from orchestration.explain import ExplainError, render_explanation
    from orchestration.explain import explain as explain_score

    _use()
    try:
        tree = explain_score(employee, period, warehouse=get_settings().warehouse_path)
    except ExplainError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if as_json:
        sys.stdout.write(json.dumps(tree, indent=2, default=str) + "\n")
    else:
        console.print(render_explanation(tree), highlight=False)


@app.command()
def whatif(
    scorecard: Annotated[Path, typer.Option(help="An edited scorecard YAML.", exists=True, dir_okay=False)],
    period: Annotated[str, typer.Option(help="YYYY-MM, YYYY-Qn or YYYY.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Score a period under an edited scorecard, without publishing: per-employee deltas."""
    from orchestration.scorecards.loader import ScorecardError
    from orchestration.whatif import WhatIfError, render_whatif
    from orchestration.whatif import whatif as run_whatif

    _use()
    try:
        with console.status(f"Scoring {period} under {scorecard.name}"):
            result = run_whatif(scorecard, period, warehouse=get_settings().warehouse_path)
    except (ScorecardError, WhatIfError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    else:
        console.print(render_whatif(result), highlight=False)


@app.command()
def validate(
    suite: Annotated[str | None, typer.Option(help="Run only this suite (default: every suite).")] = None,
) -> None:
    """Run Great Expectations suites (expectations/) over the warehouse and record the results."""
    from expectations.runner import validate as run_suites

    _use()
    warehouse = get_settings().warehouse_path
    if not warehouse.exists():
        console.print(f"[red]No warehouse at {warehouse}[/]: run `scorelink demo` or `scorelink run` first.")
        raise typer.Exit(2)
    from orchestration.target_io import validation_target

    try:
        with console.status("Validating"), validation_target(get_settings()) as target:
            results = run_suites(suite, warehouse, target=target)  # on the dbt target's tables
    except KeyError as exc:
        console.print(f"[red]{exc.args[0]}[/]")
        raise typer.Exit(2) from exc
    table = Table("suite", "table", "result", "critical failed", "warnings failed")
    for r in results:
        table.add_row(r.suite, r.table, "[green]passed[/]" if r.success else "[red]FAILED[/]",
                      str(len(r.failed_critical)), str(len(r.failed_warnings)))
    console.print(table)
    for r in results:
        for f in r.failed_critical + r.failed_warnings:
            console.print(f"[bold]{r.suite}[/] {f.severity} {f.type} on {r.table}: "
                          f"{f.unexpected_count} unexpected; {f.description or ''}")
            if f.query:
                console.print(f"  all failing rows: {' '.join(f.query.split())}")
    if not all(r.success for r in results):
        raise typer.Exit(1)


@app.command()
def bench(
    employees: Annotated[int, typer.Option(help="Demo size: employees.")] = 300,
    months: Annotated[int, typer.Option(help="Demo size: months.")] = 24,
    large_employees: Annotated[int, typer.Option(help="Large size: employees (0 to skip).")] = 5000,
    large_months: Annotated[int, typer.Option(help="Large size: months.")] = 24,
) -> None:
    """Measure each phase (simulate, ingest, dbt by layer, gates, publish) and the plain-SQL floor."""
    from orchestration.bench import render, run_bench

    _use()
    sizes = [(employees, months)] + ([(large_employees, large_months)] if large_employees else [])
    with console.status(f"Benchmarking {', '.join(f'{e} employees x {m} months' for e, m in sizes)}"):
        report = run_bench(get_settings().home / "bench", sizes)
    render(report, console)


@app.command()
def migrate(
    legacy: Annotated[Path, typer.Option(help="Folder with the old system's export files.", exists=True,
                                         file_okay=False)],
    mapping: Annotated[Path, typer.Option(help="Mapping file (YAML), e.g. ingest/migration/mappings/northwind.yml.",
                                          exists=True, dir_okay=False)],
    batch: Annotated[str | None, typer.Option(help="Migrate one period, YYYY-MM (default: every period).")] = None,
    landing: Annotated[Path | None, typer.Option(help="Landing folder to write (default: SCORELINK_HOME/landing).",
                                                 file_okay=False)] = None,
) -> None:
    """Migrate a legacy export into the landing folder, validated in three stages first (docs/migration.md)."""
    import time

    from ingest.migration import MappingError
    from ingest.migration import migrate as run_migration
    from ingest.migration.report import migration_summary

    _use(landing)
    settings = get_settings()
    started = time.perf_counter()
    try:
        with console.status("Migrating: reading, mapping and validating the legacy export"):
            result = run_migration(legacy, mapping, settings.landing_dir, batch=batch, home=settings.home)
    except MappingError as exc:
        console.print(f"[red]Migration could not start:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    for line in migration_summary(result, time.perf_counter() - started):
        console.print(line, markup=False, highlight=False)
    if not result.success:
        raise typer.Exit(1)


@app.command("parallel-run")
def parallel_run(
    legacy: Annotated[Path, typer.Option(help="Folder with the old system's export files.", exists=True,
                                         file_okay=False)],
    mapping: Annotated[Path, typer.Option(help="Mapping file with a legacy_scores section.", exists=True,
                                          dir_okay=False)],
    tolerance: Annotated[float, typer.Option(help="Allowed score difference, in points.")] = 0.5,
    period: Annotated[list[str] | None, typer.Option(help="Compare only this month, YYYY-MM (repeatable).")] = None,
) -> None:
    """Compare the old system's monthly scores with ScoreLink's published scores and explain the differences."""
    from ingest.migration import MappingError
    from ingest.migration.parallel_run import parallel_run as run_parallel
    from ingest.migration.report import parallel_run_summary

    _use()
    settings = get_settings()
    try:
        result = run_parallel(legacy, mapping, home=settings.home,
                              serving_path=settings.published_dir / "serving.duckdb",
                              warehouse_path=settings.warehouse_path, tolerance=tolerance, periods=period)
    except MappingError as exc:
        console.print(f"[red]Parallel run could not start:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    for line in parallel_run_summary(result):
        console.print(line, markup=False, highlight=False)
    if not result.success:
        raise typer.Exit(1)


@app.command()
def export(
    period: Annotated[str, typer.Option(help="Published month, YYYY-MM.")],
    out: Annotated[Path | None, typer.Option(help="Folder to write (default: SCORELINK_HOME/reports/exports).",
                                             file_okay=False)] = None,
) -> None:
    """Export a period's current published scores for HR: one XLSX and CSV files (scores and version metadata)."""
    from orchestration.hr_exports import ExportError, export_period

    _use()
    settings = get_settings()
    try:
        paths = export_period(settings.published_dir / "serving.duckdb", period,
                              out or settings.home / "reports" / "exports")
    except ExportError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    for path in paths:
        console.print(f"wrote {path}", highlight=False)


@app.command()
def publish(
    period: Annotated[list[str] | None, typer.Option(help="Closed month to publish, YYYY-MM (repeatable).")] = None,
    all_closed: Annotated[bool, typer.Option("--all-closed", help="Publish every closed month.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (recorded with a restatement, e.g. 'late orders').")] = None,
    by: Annotated[str | None, typer.Option(help="Who publishes (default: the OS user).")] = None,
) -> None:
    """Period close: publish an immutable version of a closed month (a no-op when nothing changed)."""
    from orchestration.period_close import close_periods
    from orchestration.publish import PublishError

    if not period and not all_closed:
        console.print("[red]name a month with --period YYYY-MM, or --all-closed[/]")
        raise typer.Exit(2)
    _use()
    try:
        results = close_periods(None if all_closed else period, reason=reason, published_by=by)
    except (PublishError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    for r in results:
        if r.published:
            console.print(f"{r.period}: published version {r.version} ({r.rows} role scores"
                          + (f", {r.changed_rows} employees changed" if r.version > 1 else "") + ")")
        else:
            console.print(f"{r.period}: unchanged, version {r.version} stays current")


def _adjust(kind: str, employee: str, period: str, change: float | None, reason: str, by: str | None,
            table: str) -> None:
    from orchestration.period_close import current_user, record_adjustment
    from orchestration.publish import PublishError

    _use()
    try:
        adjustment_id = record_adjustment(kind=kind, period=period, employee_id=employee, table_name=table,
                                          change=change, reason=reason, requested_by=by or current_user())
    except (PublishError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"recorded {kind} {adjustment_id}; it changes nothing until approved "
                  f"(scorelink approve {adjustment_id} --by ...) and the period is published again")


@app.command()
def dispute(
    employee: Annotated[str, typer.Argument(help="Employee id who disputes.")],
    period: Annotated[str, typer.Argument(help="Published month, YYYY-MM.")],
    reason: Annotated[str, typer.Option(help="What is wrong.")],
    change: Annotated[float | None, typer.Option(help="Change asked for (score points, or base currency).")] = None,
    by: Annotated[str | None, typer.Option(help="Who records it (default: the OS user).")] = None,
    table: Annotated[str, typer.Option(help="role_scores (final_score) or incentives (total_incentive_base).")]
    = "role_scores",
) -> None:
    """Record an employee's dispute of a published value (append-only)."""
    _adjust("dispute", employee, period, change, reason, by, table)


@app.command()
def adjust(
    employee: Annotated[str, typer.Argument(help="Employee id to adjust.")],
    period: Annotated[str, typer.Argument(help="Published month, YYYY-MM.")],
    change: Annotated[float, typer.Option(help="Change (score points, or base currency for incentives).")],
    reason: Annotated[str, typer.Option(help="Why.")],
    by: Annotated[str | None, typer.Option(help="Manager who asks (default: the OS user).")] = None,
    table: Annotated[str, typer.Option(help="role_scores (final_score) or incentives (total_incentive_base).")]
    = "role_scores",
) -> None:
    """Record a manager's manual adjustment of a published value (append-only; needs approval)."""
    _adjust("adjustment", employee, period, change, reason, by, table)


def _decide(adjustment_id: str, approve: bool, by: str, change: float | None, note: str | None) -> None:
    from orchestration.period_close import record_decision
    from orchestration.publish import PublishError

    _use()
    try:
        record_decision(adjustment_id, approve=approve, decided_by=by, change=change, note=note)
    except (PublishError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"{adjustment_id} {'approved' if approve else 'rejected'}"
                  + ("; it flows into the next version: scorelink publish --period ..." if approve else ""))


@app.command()
def approve(
    adjustment_id: Annotated[str, typer.Argument(help="e.g. ADJ00001")],
    by: Annotated[str, typer.Option(help="Who approves (not the person who asked).")],
    change: Annotated[float | None, typer.Option(help="Approved change, if not the one asked for.")] = None,
    note: Annotated[str | None, typer.Option(help="Note.")] = None,
) -> None:
    """Approve a dispute or adjustment (once); the next publication of its period applies it."""
    _decide(adjustment_id, True, by, change, note)


@app.command()
def reject(
    adjustment_id: Annotated[str, typer.Argument(help="e.g. ADJ00001")],
    by: Annotated[str, typer.Option(help="Who rejects.")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Reject a dispute or adjustment (once)."""
    _decide(adjustment_id, False, by, None, note)


@app.command("serve-postgres")
def serve_postgres_command(
    dsn: Annotated[str | None, typer.Option(help="libpq DSN of the owner (default: SCORELINK_SERVING_POSTGRES_DSN).")]
    = None,
    grant: Annotated[list[str] | None, typer.Option(help="Map a database role to an employee: ROLE=EMPLOYEE_ID "
                                                         "(repeatable); the role sees that employee's org subtree.")]
    = None,
) -> None:
    """Copy the published tables and views into PostgreSQL (schema scorelink_published, row-level security)."""
    import duckdb

    from orchestration.period_close import POSTGRES_DSN_ENV
    from orchestration.serving_postgres import ServingError, grant_manager_role, serve_postgres

    _use()
    dsn = dsn or os.environ.get(POSTGRES_DSN_ENV)
    if not dsn:
        console.print(f"[red]give --dsn or set {POSTGRES_DSN_ENV}[/]")
        raise typer.Exit(2)
    try:
        with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
            counts = serve_postgres(con, dsn, force=True)  # asked for: copy even if unchanged
        for item in grant or []:
            role, _, employee = item.partition("=")
            grant_manager_role(dsn, role, employee)
            console.print(f"role {role} reads the subtree of {employee}")
    except ServingError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"copied {sum(counts.values()):,} rows in {len(counts)} tables into scorelink_published")


@app.command()
def statement(
    employee: Annotated[str, typer.Argument(help="Employee id, e.g. E00027.")],
    period: Annotated[str, typer.Argument(help="Published month, YYYY-MM.")],
    out: Annotated[Path | None, typer.Option(help="Folder to write (default: SCORELINK_HOME/reports/statements).",
                                             file_okay=False)] = None,
) -> None:
    """One person's score statement (HTML): published score, trend, targets and the data behind each KPI."""
    from orchestration.explain import ExplainError
    from orchestration.statements import StatementError, write_statement

    _use()
    settings = get_settings()
    try:
        path = write_statement(settings.warehouse_path, settings.published_dir / "serving.duckdb", employee, period,
                               out or settings.home / "reports" / "statements")
    except (StatementError, ExplainError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"wrote {path}", highlight=False)


@app.command()
def notebooks(
    name: Annotated[list[str] | None, typer.Option(help="Run only this notebook (repeatable), e.g. kpi_overview.")] = None,
    period: Annotated[str | None, typer.Option(help="Month analysed, YYYY-MM (default: the latest published).")] = None,
) -> None:
    """Run the analyst notebooks on the published data and render HTML reports (SCORELINK_HOME/reports/notebooks)."""
    from orchestration.notebook_reports import NotebookError, run_notebooks

    _use()
    try:
        with console.status("Running notebooks"):
            reports = run_notebooks(get_settings().home, name, period)
    except NotebookError as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from exc
    for path in reports:
        console.print(f"wrote {path}", highlight=False)


@app.command()
def ui() -> None:
    """Start the Dagster UI (dagster dev) on http://127.0.0.1:3000 with ScoreLink's code location."""
    _use()
    from orchestration.dbt_assets import scorelink_dbt_project

    scorelink_dbt_project()  # parse dbt once before the UI starts
    dagster = Path(sys.executable).with_name("dagster")
    os.execv(str(dagster), [str(dagster), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1",
                            "-p", "3000"])


@app.command()
def docs() -> None:
    """Regenerate docs/sources.md from the landing contracts."""
    from ingest.contract_docs import render_sources_doc

    target = REPO_ROOT / "docs" / "sources.md"
    target.write_text(render_sources_doc(), encoding="utf-8")
    console.print(f"wrote {target}")


@app.command()
def alerts() -> None:
    """Deliver new alerts now (as the sensor scorelink_alerts_outbox does): outbox file, webhook when set."""
    from orchestration.alerts import deliver_alerts, outbox_path, published_alerts_path
    from orchestration.alerts_config import AlertsConfigError, load_alerts_config

    settings = get_settings()
    try:
        config = load_alerts_config()
    except AlertsConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    published = published_alerts_path(settings.published_dir)
    if not published.exists():
        console.print(f"no published alerts yet ({published}); run the pipeline first")
        raise typer.Exit(1)
    outbox = outbox_path(settings.home, config)
    report = deliver_alerts(published, outbox, config.webhook_url(), config.delivery.webhook_timeout_seconds)
    console.print(f"{report.summary()}\noutbox: {outbox}")
    if report.webhook_errors:
        raise typer.Exit(2)


if __name__ == "__main__":
    app()
