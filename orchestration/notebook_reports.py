"""Run the analyst notebooks (notebooks/*.ipynb) headless and render each to an HTML report.

    paths = run_notebooks(home)    # HOME/reports/notebooks/<name>.ipynb (executed) and <name>.html

The notebooks read published data only: HOME/published/serving.duckdb, found through SCORELINK_HOME, which
the kernel inherits from this process. Execution uses nbclient with the current interpreter's ipykernel.
HTML comes from nbconvert when it is installed; otherwise from a small built-in renderer (markdown and code
as escaped text, outputs as text and PNG images), so reports never depend on an optional package.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

from orchestration.settings import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
CELL_TIMEOUT_SECONDS = 300


class NotebookError(RuntimeError):
    """A notebook failed: names the notebook and the error of the failing cell."""


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if names:
        wanted = {n.removesuffix(".ipynb") for n in names}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            raise NotebookError(f"no notebook {', '.join(sorted(unknown))} in {NOTEBOOK_DIR} "
                                f"(there are: {', '.join(p.stem for p in paths)})")
        paths = [p for p in paths if p.stem in wanted]
    return paths


def _plain_html(nb) -> str:
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(f"<div class=\"md\"><pre>{html.escape(cell.source)}</pre></div>")
            continue
        if cell.cell_type != "code":
            continue
        parts.append(f"<pre class=\"code\">{html.escape(cell.source)}</pre>")
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(f"<pre class=\"out\">{html.escape(out.text)}</pre>")
            elif out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "image/png" in data:
                    png = data["image/png"]
                    png = png if isinstance(png, str) else base64.b64encode(png).decode()
                    parts.append(f"<img alt=\"chart\" src=\"data:image/png;base64,{png.strip()}\">")
                elif "text/plain" in data:
                    parts.append(f"<pre class=\"out\">{html.escape(data['text/plain'])}</pre>")
            elif out.output_type == "error":
                parts.append(f"<pre class=\"err\">{html.escape(out.ename + ': ' + out.evalue)}</pre>")
    title = html.escape(nb.metadata.get("title", "ScoreLink notebook"))
    style = ("body{font-family:system-ui,Arial,sans-serif;margin:2em;max-width:80em}pre{white-space:pre-wrap}"
             ".code{background:#f5f5f5;padding:.5em}.md pre{font-family:inherit}.err{color:#a00}img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def _to_html(nb) -> str:
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        return _plain_html(nb)
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body


def run_notebook(path: Path, out_dir: Path) -> tuple[Path, Path]:
    """Execute one notebook; write the executed .ipynb and its HTML into out_dir."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        raise NotebookError(f"notebook {path.name} failed: {exc}") from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    report = out_dir / f"{path.stem}.html"
    for target, text in ((executed, nbformat.writes(nb)), (report, _to_html(nb))):
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    return executed, report


def run_notebooks(home: Path, names: list[str] | None = None) -> list[Path]:
    """Run the notebooks against HOME's published data; return the HTML reports (HOME/reports/notebooks)."""
    serving = Path(home) / "published" / "serving.duckdb"
    if not serving.exists():
        raise NotebookError(f"no published data at {serving}: run `scorelink demo` or `scorelink run` first")
    previous = os.environ.get("SCORELINK_HOME")
    os.environ["SCORELINK_HOME"] = str(Path(home).resolve())  # the kernel inherits it
    try:
        return [run_notebook(p, Path(home) / "reports" / "notebooks")[1] for p in notebook_paths(names)]
    finally:
        if previous is None:
            os.environ.pop("SCORELINK_HOME", None)
        else:
            os.environ["SCORELINK_HOME"] = previous
