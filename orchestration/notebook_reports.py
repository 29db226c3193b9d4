"""Run the analyst notebooks (notebooks/*.ipynb) headless and render each to a self-contained HTML report.

    paths = run_notebooks(home)                    # latest published period
    paths = run_notebooks(home, period="2025-06")  # HOME/reports/notebooks/<name>.ipynb (executed) and <name>.html

The notebooks read published data only: HOME/published/serving.duckdb, found through SCORELINK_HOME, which
the kernel inherits from this process, as it inherits SCORELINK_PERIOD (the month analysed; unset = the
latest published period). Execution uses nbclient with the current interpreter's ipykernel.
HTML comes from a small built-in renderer (markdown through markdown-it, which rich already depends on; code;
outputs as text, pandas tables and PNG charts embedded as data URIs), so a report opens offline and never
depends on nbconvert. An index.html links the reports of the run.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from pathlib import Path

from orchestration.settings import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
CELL_TIMEOUT_SECONDS = 300
KEY_FIGURES = "key_figures"  # output metadata marking the numbers a notebook shows, as JSON (tests check them)


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


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def _output_html(out) -> str:
    if out.output_type == "stream":
        return f"<pre class=\"out\">{html.escape(out.text)}</pre>"
    if out.output_type == "error":
        return f"<pre class=\"err\">{html.escape(out.ename + ': ' + out.evalue)}</pre>"
    if out.output_type not in ("display_data", "execute_result"):
        return ""
    data = out.get("data", {})
    if "image/png" in data:
        png = data["image/png"]
        png = png if isinstance(png, str) else base64.b64encode(png).decode()
        return f"<img alt=\"chart\" src=\"data:image/png;base64,{png.strip()}\">"
    if "application/json" in data:
        if out.get("metadata", {}).get("scorelink") == KEY_FIGURES:
            return ""  # the same figures are shown as a table just before
        return f"<pre class=\"out\">{html.escape(json.dumps(data['application/json'], indent=1))}</pre>"
    if "text/markdown" in data:
        return f"<div class=\"md\">{_markdown(data['text/markdown'])}</div>"
    if "text/html" in data and "<table" in data["text/html"]:
        # pandas tables (pandas escapes cell values); strip anything that could run in the reader's browser
        table = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", data["text/html"])
        return f"<div class=\"table\">{table}</div>"
    if "text/plain" in data:
        return f"<pre class=\"out\">{html.escape(data['text/plain'])}</pre>"
    return ""


STYLE = ("body{font-family:system-ui,Arial,sans-serif;margin:2em auto;max-width:80em;padding:0 1em}"
         "pre{white-space:pre-wrap}.code{background:#f5f5f5;padding:.5em;font-size:.85em}"
         "details{margin:.3em 0}summary{color:#666;cursor:pointer;font-size:.85em}.err{color:#a00}"
         "img{max-width:100%}.table{overflow-x:auto}table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
         "th,td{border:1px solid #ddd;padding:.2em .5em;text-align:right}.md th,.md td{text-align:left}")


def render_html(nb) -> str:
    """The executed notebook as one HTML page: markdown, folded code, outputs, charts embedded as PNG."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(f"<div class=\"md\">{_markdown(cell.source)}</div>")
            continue
        if cell.cell_type != "code":
            continue
        parts.append(f"<details><summary>code</summary><pre class=\"code\">{html.escape(cell.source)}</pre></details>")
        parts.extend(_output_html(out) for out in cell.get("outputs", []))
    title = html.escape(nb.metadata.get("title", "ScoreLink notebook"))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n")


def key_figures(nb) -> list[dict]:
    """The key figures an executed notebook showed, in order (outputs marked with metadata scorelink=key_figures)."""
    return [out["data"]["application/json"] for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("metadata", {}).get("scorelink") == KEY_FIGURES]


def _write(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


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
    _write(executed, nbformat.writes(nb))
    _write(report, render_html(nb))
    return executed, report


def _index_html(reports: list[Path], period: str | None) -> str:
    import nbformat

    items = []
    for report in reports:
        nb = nbformat.read(report.with_suffix(".ipynb"), as_version=4)
        title = html.escape(nb.metadata.get("title", report.stem))
        items.append(f"<li><a href=\"{html.escape(report.name)}\">{title}</a></li>")
    when = html.escape(period or "the latest published period")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ScoreLink notebooks</title>"
            f"<style>{STYLE}</style></head><body><h1>ScoreLink analyst notebooks</h1>"
            f"<p>Period analysed: {when}. Published data only.</p><ul>{''.join(items)}</ul></body></html>\n")


def run_notebooks(home: Path, names: list[str] | None = None, period: str | None = None) -> list[Path]:
    """Run the notebooks against HOME's published data; return the HTML reports (HOME/reports/notebooks)."""
    if period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise NotebookError(f"period {period!r} is not a month YYYY-MM")
    serving = Path(home) / "published" / "serving.duckdb"
    if not serving.exists():
        raise NotebookError(f"no published data at {serving}: run `scorelink demo`, or `scorelink run` and "
                            "`scorelink publish --period YYYY-MM`, first")
    paths = notebook_paths(names)
    settings = {"SCORELINK_HOME": str(Path(home).resolve()), "SCORELINK_PERIOD": period}
    previous = {k: os.environ.get(k) for k in settings}
    for key, value in settings.items():  # the kernel inherits them
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    out_dir = Path(home) / "reports" / "notebooks"
    try:
        reports = [run_notebook(p, out_dir)[1] for p in paths]
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    _write(out_dir / "index.html", _index_html(reports, period))
    return reports
