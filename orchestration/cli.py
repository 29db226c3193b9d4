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


def _run_and_report() -> None:
    from orchestration.pipeline_run import run_pipeline

    settings = get_settings()
    console.print(f"Landing folder: [bold]{settings.landing_dir}[/]")
    console.print(f"Warehouse:      [bold]{settings.warehouse_path}[/]")
    result = run_pipeline()
    if not result.success:
        console.print("[bold red]Pipeline failed[/] (run id " + result.run_id + "):")
        for failure in result.failures:
            console.print(f"  - {failure}")
        console.print(f"Nothing downstream of a failure was published. dbt's log: {result.log_path}")
        console.print("See `scorelink status` or `make ui` for the run.")
        raise typer.Exit(1)
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
    """Simulate the demo company, run the whole pipeline on it and publish its scores.

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
    _run_and_report()


@app.command()
def run(
    landing: Annotated[Path, typer.Option(help="Landing folder with your exports (see docs/sources.md).",
                                          exists=True, file_okay=False)] = None,
) -> None:
    """Run the pipeline on a landing folder (default: SCORELINK_HOME/landing)."""
    _use(landing)
    _run_and_report()


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
    try:
        with console.status("Validating"):
            results = run_suites(suite, warehouse)
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
) -> None:
    """Run the analyst notebooks on the published data and render HTML reports (SCORELINK_HOME/reports/notebooks)."""
    from orchestration.notebook_reports import NotebookError, run_notebooks

    _use()
    try:
        with console.status("Running notebooks"):
            reports = run_notebooks(get_settings().home, name)
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


if __name__ == "__main__":
    app()
