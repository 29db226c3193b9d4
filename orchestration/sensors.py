"""Start the pipeline when files in the landing folder change (added, replaced or removed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.settings import get_settings


def landing_digest(landing_dir: Path) -> tuple[str, int]:
    """A digest of every file's relative path, size and modification time (cheap: no file is read)."""
    h = hashlib.sha256()
    count = 0
    if landing_dir.is_dir():
        for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
            st = path.stat()
            h.update(f"{path.relative_to(landing_dir).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
            count += 1
    return h.hexdigest(), count


def landing_files_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_files_changed",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Runs the pipeline when the landing folder's files change.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        digest, count = landing_digest(get_settings().landing_dir)
        if count == 0:
            return dg.SkipReason(f"no files in {get_settings().landing_dir}")
        if digest == context.cursor:
            return dg.SkipReason("landing folder unchanged")
        context.update_cursor(digest)
        return dg.RunRequest(run_key=digest, tags={"scorelink/landing_files": str(count)})

    return _sensor
