"""Run the whole pipeline in this process, showing progress step by step (used by the CLI and tests)."""

from __future__ import annotations

import contextlib
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from orchestration.settings import get_settings

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class PipelineResult:
    run_id: str
    success: bool
    failures: list[str] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    log_path: Path | None = None


def run_pipeline(instance: DagsterInstance | None = None, show_progress: bool = True,
                 log_dir: Path | None = None, full_refresh: bool = False) -> PipelineResult:
    """Run the pipeline job once. dbt's own output goes to LOG_DIR/run-<run id>.log, not the terminal.
    full_refresh: dbt rebuilds its incremental models from scratch (the run tag FULL_REFRESH_TAG)."""
    from orchestration.dbt_assets import FULL_REFRESH_TAG
    from orchestration.definitions import defs  # imported late: settings must be final first

    instance = instance or DagsterInstance.get()
    job = defs.resolve_job_def("scorelink_pipeline")
    run_id = str(uuid.uuid4())
    holder: dict = {}

    def _execute():
        try:
            holder["result"] = job.execute_in_process(
                instance=instance, run_id=run_id, raise_on_error=False, run_config=QUIET_LOGS,
                tags={FULL_REFRESH_TAG: "true"} if full_refresh else None)
        except BaseException as exc:  # surfaced below, in the caller's thread
            holder["error"] = exc

    thread = threading.Thread(target=_execute, name="scorelink-pipeline")
    total_steps = len(job.nodes)
    log_dir = log_dir or get_settings().home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"run-{run_id}.log"
    terminal = Console(file=sys.stdout)  # bound now, before stdout is redirected to the log
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with (
        open(log_path, "w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        Progress(*columns, console=terminal, disable=not show_progress) as progress,
    ):
        task = progress.add_task("starting", total=total_steps)
        thread.start()
        while thread.is_alive():
            thread.join(0.5)
            _update(progress, task, instance, run_id)
        _update(progress, task, instance, run_id)
    if "error" in holder:
        raise holder["error"]
    result = holder["result"]
    failures = []
    skipped = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            failures.append(f"{event.step_key}: {_root_message(event.step_failure_data.error)}")
        if event.event_type == DagsterEventType.STEP_SKIPPED:
            skipped.append(event.step_key)
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = event.asset_check_evaluation_data
            if not ev.passed:
                failures.append(f"check {ev.asset_key.to_user_string()}:{ev.check_name} failed")
    # A step is skipped when an upstream output never came (e.g. dbt built a model but its event was lost):
    # Dagster still calls such a run a success, but its downstream steps (publication) did not run.
    if skipped and not failures:
        failures.append(f"{len(skipped)} steps skipped because an upstream output was missing: "
                        + ", ".join(sorted(skipped)[:10]))
    durations = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_SUCCESS:
            durations[event.step_key] = event.event_specific_data.duration_ms / 1000
    return PipelineResult(run_id, result.success and not skipped, failures, durations, log_path)


def _root_message(err) -> str:
    """The innermost error's message: Dagster wraps the real error (ours or dbt's) in its own."""
    if err is None:
        return "failed"
    while err.cause is not None:
        err = err.cause
    return err.message.strip()


def _update(progress: Progress, task, instance: DagsterInstance, run_id: str) -> None:
    records = instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                                                   DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_SKIPPED})
    done = 0
    current = None
    for rec in records:
        ev = rec.dagster_event
        if ev.event_type == DagsterEventType.STEP_START:
            current = ev.step_key
        else:
            done += 1
    label = f"{current}" if current else "starting"
    progress.update(task, completed=done, description=label[:60])
