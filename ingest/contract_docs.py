"""Render docs/sources.md, the human side of the landing contract, from the contract YAML files."""

from __future__ import annotations

from collections import defaultdict

from ingest.contract import Contract, default_contracts
from ingest.readers import SUPPORTED_SUFFIXES

SOURCE_TITLES = {"hr": "HR", "crm": "CRM", "erp": "ERP", "attendance": "Attendance"}


def _rules(col) -> str:
    parts = []
    if col.allowed_values:
        parts.append("one of " + ", ".join(f"`{v}`" for v in col.allowed_values))
    if col.pattern:
        parts.append(f"matches `{col.pattern}`")
    if col.min is not None:
        parts.append(f">= {col.min:g}")
    if col.max is not None:
        parts.append(f"<= {col.max:g}")
    if col.references:
        parts.append(f"refers to `{col.references}`")
    if col.format:
        parts.append(f"format `{col.format}`")
    return "; ".join(parts)


def _entity_section(c: Contract) -> list[str]:
    lines = [
        f"### {c.source}.{c.entity}",
        "",
        c.description,
        "",
        f"Folder: `landing/{c.source}/{c.entity}/` · key: {', '.join(f'`{k}`' for k in c.keys)} · "
        f"contract: `ingest/contracts/{c.source}/{c.entity}.yml` · raw table: `{c.raw_table}`",
        "",
        "| column | type | required | PII | rules | description |",
        "|---|---|---|---|---|---|",
    ]
    for col in c.columns:
        lines.append(
            f"| `{col.name}` | {col.type} | {'yes' if col.required else ''} | {'PII' if col.pii else ''} | "
            f"{_rules(col).replace('|', '&#124;')} | {col.description} |"
        )
    lines.append("")
    return lines


def render_sources_doc() -> str:
    contracts = default_contracts()
    by_source: dict[str, list[Contract]] = defaultdict(list)
    for c in contracts.values():
        by_source[c.source].append(c)
    out = [
        "# Landing contract: the sources ScoreLink reads",
        "",
        "<!-- Generated from ingest/contracts/*/*.yml by `scorelink docs`. Do not edit by hand. -->",
        "",
        "This is how a company brings its own data into ScoreLink. Put each export in the folder of its",
        "entity, `landing/<source>/<entity>/`, as many files as you like (monthly files are normal):",
        "",
        f"- formats: {', '.join(f'`{s}`' for s in SUPPORTED_SUFFIXES)} (CSV and JSON lines in UTF-8 or",
        "  GBK/GB18030, detected per file; XLSX reads the first sheet; the header row names the columns,",
        "  in any order and case; unknown columns are ignored and listed in `ingest.file_loads`);",
        "- an empty cell is a missing value; dates are `YYYY-MM-DD`; timestamps are ISO 8601, with a UTC",
        "  offset (`2024-03-01T09:00:00+08:00`) or without one, in which case they are read in the company",
        "  time zone given by `landing/landing.yml`; booleans are true/false, yes/no or 1/0;",
        "- `landing/landing.yml` names the company, its base currency and time zone:",
        "",
        "```yaml",
        "company_name: Example Trading Co.",
        "base_currency: CNY      # amounts are converted to this with erp.fx_rates",
        "timezone: Asia/Shanghai # for timestamps without a UTC offset",
        "```",
        "",
        "Every row is checked against its contract. A row that breaks it is kept in `ingest.quarantine`",
        "with the file, the row number (the header is row 1 in CSV and XLSX; lines count from 1 in JSON",
        "lines), the column and the reason; for every file, rows read = rows loaded + rows quarantined. A",
        "file that cannot be read at all (unknown encoding, missing required column) stops its entity with",
        "an error naming the file. Loading the same file again changes nothing; a corrected re-export under",
        "a new name is loaded and the newest version of each key wins in staging. Columns tagged PII hold",
        "personal data.",
        "",
        f"{len(contracts)} entities in {len(by_source)} sources:",
        "",
    ]
    for source, items in by_source.items():
        out.append(f"- {SOURCE_TITLES.get(source, source)}: " + ", ".join(f"`{c.entity}`" for c in items))
    out.append("")
    for source, items in by_source.items():
        out += [f"## {SOURCE_TITLES.get(source, source)} (`{source}`)", ""]
        for c in items:
            out += _entity_section(c)
    return "\n".join(out)


if __name__ == "__main__":
    print(render_sources_doc())
