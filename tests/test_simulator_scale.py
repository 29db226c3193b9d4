"""The simulator at scale: text is formatted per file and per chunk of rows, and that changes no byte.

- Chunked writing: the same company written 50 rows at a time gives the same files as written whole, the
  malformed CSV row (a line replaced as is) included.
- Golden checksums: a small company's files are byte for byte what the simulator wrote before it was made
  to scale (tests/simulator_checksums.json), whether one process writes them or two forked writers do. If
  the simulator's output changes on purpose, re-record them: simulate the company named in that file and put
  the sha256 of every file under its output folder there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingest.simulator import simulate
from ingest.simulator.exports import Table
from ingest.simulator.layout import LandingFile

GOLDEN = Path(__file__).with_name("simulator_checksums.json")


def _checksums(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_files_are_byte_for_byte_those_recorded(tmp_path, workers):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    simulate(tmp_path, **golden["simulate"], workers=workers)  # two forked writers: the same bytes
    got, want = _checksums(tmp_path), golden["sha256"]
    assert sorted(got) == sorted(want)
    assert [name for name in sorted(want) if got[name] != want[name]] == []


def test_writing_in_small_chunks_gives_the_same_files(tmp_path):
    whole = simulate(tmp_path / "whole", employees=40, months=3, seed=11)
    chunked = simulate(tmp_path / "chunked", employees=40, months=3, seed=11, chunk_rows=50)
    truth = json.loads(whole.ground_truth_path.read_text(encoding="utf-8"))
    [broken] = [b for b in truth["malformed_rows"] if b["file"] == "erp/payments/payments.csv"]
    assert broken["row_number"] > 52, "the line written as is should fall in a later chunk"
    files = _checksums(tmp_path / "whole")
    assert len([f for f in files if f.endswith((".csv", ".jsonl"))]) > 30
    assert _checksums(tmp_path / "chunked") == files
    assert chunked.rows_written == whole.rows_written


def test_a_lazy_table_formats_only_the_rows_asked_for():
    asked = []

    def ids(rows):
        asked.append(rows.tolist())
        return np.array([f"D{k}" for k in rows.tolist()], dtype=object)

    names = np.array(["n0", "n1", "n2", "n3", "n4"], dtype=object)
    table = Table(
        "hr.departments",
        {
            "department_id": ids,
            "parent_department_id": lambda rows: np.full(len(rows), None, dtype=object),
            "department_name": names,
            "function": lambda rows: names[rows],
            "region": lambda rows: names[rows],
        },
        n=5,
    )
    f = LandingFile("hr.departments", "hr/departments/departments.csv", "csv", table=table, rows=np.array([3, 1, 4]))
    f.set(1, "department_name", "edited")
    later = LandingFile("hr.departments", "x.csv", "csv", table=table, rows=np.array([0]))
    later.append(f, [1])  # delivered again: the edit travels with the row
    f.drop([0])
    assert f.frame["department_id"].tolist() == ["D1", "D4"]
    assert f.frame["department_name"].tolist() == ["edited", "n4"]
    assert later.frame["department_name"].tolist() == ["n0", "edited"]
    assert (later.appended_at, len(later)) == (1, 2)
    part = f.ready(1, 2)
    assert part.frame.equals(pd.DataFrame({c: [v] for c, v in f.frame.iloc[1].items()}, dtype=object))
    assert asked and max(len(r) for r in asked) < table.n  # never the whole table
    asked.clear()
    assert later.column_at("department_id", [1]).tolist() == ["D1"]  # later's position 1 is f's row 1
    assert later.column_at("department_name", [1, 0]).tolist() == ["edited", "n0"]  # edits included
    assert asked == [[1]] and later.column_at("department_id", []).tolist() == []


def test_at_least_one_writer(tmp_path):
    with pytest.raises(ValueError, match="workers must be at least 1"):
        simulate(tmp_path, employees=30, months=1, workers=0)
