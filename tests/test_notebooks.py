"""The analyst notebooks run headless against a small published company and render to HTML reports."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from orchestration.notebook_reports import NotebookError, notebook_paths, run_notebooks

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("scorelink_notebooks")
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    env.pop("SCORELINK_LANDING", None)
    env.pop("SCORELINK_WAREHOUSE", None)
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "demo", "--employees", "30", "--months", "3",
                          "--seed", "5"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    return home


def test_notebooks_run_without_errors_and_render_html(home):
    names = [p.stem for p in notebook_paths()]
    assert {"kpi_overview", "sales_quota"} <= set(names)
    reports = run_notebooks(home)
    out = home / "reports" / "notebooks"
    assert [p.name for p in reports] == [f"{n}.html" for n in names]
    for name in names:
        nb = nbformat.read(out / f"{name}.ipynb", as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], name
        charts = [o for o in outputs if "image/png" in o.get("data", {})]
        assert charts, f"{name} drew no chart"
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert page.count("data:image/png;base64,") >= len(charts)


def test_notebooks_read_published_data_only():
    for path in notebook_paths():
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        assert "serving.duckdb" in source and "read_only=True" in source
        assert "warehouse" not in source.replace("never the live warehouse", "")


def test_missing_published_data_is_a_clear_error(tmp_path):
    with pytest.raises(NotebookError, match="no published data"):
        run_notebooks(tmp_path)
    with pytest.raises(NotebookError, match="no notebook nope"):
        notebook_paths(["nope"])
