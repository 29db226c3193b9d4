"""Batches by period: which landing files a migration run writes, staged first and promoted atomically.

A monthly entity (one with a period rule) gets one file per period, `<prefix>_<YYYY-MM>.csv`; reference data
(employees, departments, customers, ...) gets one file, `<prefix>.csv`, written by every batch. Files are UTF-8
CSV, rows in a fixed order, so the same legacy export always gives the same bytes: re-running a batch
finds identical files and leaves them alone (and ingest skips them: same sha256).

A run stages its files in a folder of its own, validates them there, and only then promotes them into the
landing folder: each file is written to a temporary name beside its target and renamed over it. A run whose
validation fails promotes nothing, so the batches already in the landing folder stay as they were.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.landing import MANIFEST_NAME, LandingManifest
from ingest.migration.mapping import Mapping, MappingError
from ingest.migration.transform import MappedEntity

ALL_PERIODS = "all"  # the label of reference data, which belongs to no period


@dataclass
class PlannedFile:
    rel: str  # relative to the landing folder
    entity: str
    period: str  # YYYY-MM, or "all" for reference data
    data: bytes
    rows: int
    row_index: list[int]  # positions in the entity frame, in file order (file row n+2 = row_index[n])

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def periods_found(mapped: dict[str, MappedEntity]) -> list[str]:
    found = set()
    for m in mapped.values():
        if m.periodic:
            found |= {p for p in m.frame["_period"] if p is not None}
    return sorted(found)


def csv_bytes(frame, columns: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(frame[columns].itertuples(index=False, name=None))
    return buf.getvalue().encode("utf-8")


def plan_files(mapping: Mapping, mapped: dict[str, MappedEntity], periods: list[str]) -> list[PlannedFile]:
    """The files of a run: every reference-data entity, and each monthly entity's files for `periods`."""
    planned = []
    for entity, m in sorted(mapped.items()):
        source, name = entity.split(".")
        folder = f"{source}/{name}"
        if not m.periodic:
            planned.append(PlannedFile(f"{folder}/{mapping.file_prefix}.csv", entity, ALL_PERIODS,
                                       csv_bytes(m.frame, m.columns), len(m.frame), list(range(len(m.frame)))))
            continue
        for period in periods:
            part = m.frame[m.frame["_period"] == period]
            if part.empty:
                continue
            planned.append(PlannedFile(f"{folder}/{mapping.file_prefix}_{period}.csv", entity, period,
                                       csv_bytes(part, m.columns), len(part), list(part.index)))
    return planned


def manifest_bytes(mapping: Mapping) -> bytes:
    data = mapping.landing.model_dump(mode="json")
    data.setdefault("migrated_with", mapping.name)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")


def check_manifest(landing_dir: Path, mapping: Mapping) -> None:
    """A landing folder keeps one company: refuse to migrate into one whose landing.yml names another."""
    path = landing_dir / MANIFEST_NAME
    if not path.exists():
        return
    existing = LandingManifest.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    wanted = mapping.landing
    for field in ("company_name", "base_currency", "timezone"):
        if getattr(existing, field) != getattr(wanted, field):
            raise MappingError(
                f"{path}: {field} is '{getattr(existing, field)}' but the mapping {mapping.source_file} says "
                f"'{getattr(wanted, field)}'; migrate into an empty landing folder or fix landing.yml")


def stage(staging_dir: Path, planned: list[PlannedFile]) -> None:
    for f in planned:
        path = staging_dir / f.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.data)


@dataclass
class Promotion:
    written: list[str]  # new or changed files
    unchanged: list[str]  # identical bytes already in place


def promote(landing_dir: Path, planned: list[PlannedFile], manifest: bytes, tag: str) -> Promotion:
    """Write the files into the landing folder: temporary name first, then rename; all or nothing."""
    landing_dir.mkdir(parents=True, exist_ok=True)
    items = [(f.rel, f.data) for f in planned] + [(MANIFEST_NAME, manifest)]
    todo, unchanged = [], []
    for rel, data in items:
        target = landing_dir / rel
        if target.exists() and target.read_bytes() == data:
            unchanged.append(rel)
        else:
            todo.append((rel, data))
    temps: list[tuple[Path, Path]] = []
    try:
        for rel, data in todo:  # 1. every new file in full, under a temporary name
            target = landing_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.{tag}.tmp")
            with open(temp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            temps.append((temp, target))
    except BaseException:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)
        raise
    done: list[tuple[Path, bytes | None]] = []
    try:
        for temp, target in temps:  # 2. rename each over its target (atomic per file)
            previous = target.read_bytes() if target.exists() else None
            os.replace(temp, target)
            done.append((target, previous))
    except BaseException:
        for target, previous in reversed(done):  # put back what this run replaced
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(previous)
        for temp, _ in temps:
            temp.unlink(missing_ok=True)
        raise
    return Promotion([rel for rel, _ in todo], unchanged)
