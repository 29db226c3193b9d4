"""Load a landing file through DuckDB: its own readers, the contract checks in SQL, one INSERT ... SELECT.

The Python readers (ingest/readers.py) and row checks (ingest/row_checks.py) define what ingest does; this
module does the same thing faster for the rows where the outcome is certain, and hands everything else to
them, so the result is the same row for row:

1. Stage: DuckDB reads the file (read_csv, read_text + JSON functions, read_parquet) into a temporary table
   of text, one column per contract column, trimmed the way Python's str.strip() trims, with the row number
   a person sees. Rows DuckDB cannot split the way Python's csv/json modules would (a ragged CSV line, a JSON
   line that is not an object, a value whose text form is not certain) are read by the Python rules
   (readers.py) and added to the stage, or become structural rejects with the same reasons.
2. Check: for every row, SQL decides whether it is *certainly good*: every value is present where required
   and has a shape whose parse is known to match pandas exactly (e.g. '[+-]?digits' with at most 15 digits
   for an integer, 'YYYY-MM-DD' for a date, an ISO 8601 timestamp with seconds and an offset or a day whose
   UTC offset in the company's time zone is constant) and meets allowed values, pattern and min/max.
   Those rows are typed and inserted in SQL with the lineage columns and the same _row_hash.
3. Every other row (bad or merely unusual) goes through check_rows() in pandas, exactly as before: its good
   rows are inserted, its bad rows quarantined with the same reasons.

A file the fast path does not handle at all (XLSX, a text file that is not UTF-8 such as GBK exports, a CSV
with line breaks inside quoted values or blank lines, a Parquet file with timestamp or decimal columns ...)
returns None, and the loader reads it with the Python readers as before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ingest.contract import LINEAGE_COLUMNS, RAW_SQL_TYPES, Column, Contract
from ingest.readers import RawFile, Reject, UnreadableFile, _map_header, _to_text
from ingest.row_checks import _FALSE, _TRUE, check_rows

# What Python's str.strip() removes: every character for which str.isspace() is true.
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                 "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")  # tests check it against str.isspace()
# Whitespace other than " " and "\n", as UTF-8 bytes: a file without any of them is checked with cheap byte searches.
_OTHER_WS = [c.encode("utf-8") for c in PY_WHITESPACE if c not in " \n"]
_WS_SQL = "'" + PY_WHITESPACE + "'"  # a SQL literal of those characters
# Characters str.splitlines() breaks a line at, besides "\n" and "\r\n".
_ODD_LINE_BREAKS = [c.encode("utf-8") for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"]
_MAX_PYTHON_LINES = 100_000  # more odd rows than this: the Python reader is as fast

STAGE = "_scorelink_stage"
_CSV = "_scorelink_csv"
_CSV_REJECTS = "_scorelink_csv_rejects"
_CSV_SCANS = "_scorelink_csv_scans"
_LINES = "_scorelink_lines"
_TZ = "_scorelink_tz_days"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]"  # an RE2 character class


def _py_trim(expr: str) -> str:
    """SQL for Python's `text.strip() or None` (trim only when an end character is whitespace: much faster)."""
    return (f"nullif(case when regexp_matches({expr}, '^{_WS_CLASS}|{_WS_CLASS}$') then trim({expr}, {_WS_SQL}) "
            f"else {expr} end, '')")


def _no_trim(expr: str) -> str:
    """SQL for `text.strip() or None` when the file has no whitespace at the edge of any value."""
    return f"nullif({expr}, '')"




# Bytes that start a whitespace character other than " " and "\n" in UTF-8 (single bytes, or lead bytes).
_WS_BYTES = np.zeros(256, dtype=bool)
for _w in _OTHER_WS:
    _WS_BYTES[_w[0]] = True


def _other_whitespace(data: bytes, arr: np.ndarray) -> bool:
    """Does the text hold whitespace other than " " and "\n"? One vectorized pass, exact checks for lead bytes."""
    hits = np.unique(arr[_WS_BYTES[arr]])
    if not len(hits):
        return False
    return any(w in data for w in _OTHER_WS if w[0] in hits)


def _csv_may_need_trim(data: bytes) -> bool:
    """Could a field of this CSV start or end with whitespace? (False positives only cost speed.)"""
    arr = np.frombuffer(data, dtype=np.uint8)
    if _other_whitespace(data, arr):
        return True
    spaces = np.flatnonzero(arr == 32)
    if not len(spaces):
        return False
    if data.lstrip(b"\xef\xbb\xbf").startswith(b" ") or spaces[-1] == len(arr) - 1:
        return True
    before, after = arr[spaces[spaces > 0] - 1], arr[spaces[spaces < len(arr) - 1] + 1]
    edges = np.array([ord(","), ord("\n"), ord('"')], dtype=np.uint8)
    return bool(np.isin(before, edges).any() or np.isin(after, edges).any())


# After an even number of quotes on a line (so at the opening quote of a string), a string starting with a
# space or ending with one. Valid only for lines without backslashes (no escaped quotes).
_JSON_EDGE_SPACE = '(?m)^[^"\\n]*(?:"[^"\\n]*"[^"\\n]*)*"(?: |[^"\\n]* ")'


def _jsonl_may_need_trim(con, path: Path, data: bytes) -> bool:
    """Could a string of these JSON lines start or end with whitespace? (False positives only cost speed.)"""
    if b"\\" in data or _other_whitespace(data, np.frombuffer(data, dtype=np.uint8)):
        return True
    if b" " not in data:
        return False
    return con.execute("select regexp_matches(content, ?) from read_text(?)", [_JSON_EDGE_SPACE, str(path)]).fetchone()[0]


def _is_blank(expr: str) -> str:
    """SQL for Python's `not text.strip()` on a value that may be NULL (an empty CSV field)."""
    return f"({expr} is null or regexp_full_match({expr}, '{_WS_CLASS}*'))"


def _double_text(expr: str) -> tuple[str, str]:
    """(text, certain) for a DOUBLE as readers._to_text writes a Python float: integral -> int digits, else repr.

    Certain only where DuckDB's shortest round-trip text is Python's repr: finite, below 1e15, and either
    integral or at least 1e-4 and printed without an exponent.
    """
    text = (f"case when {expr} = trunc({expr}) then cast(try_cast({expr} as bigint) as varchar) "
            f"else cast({expr} as varchar) end")
    certain = (
        f"(isfinite({expr}) and abs({expr}) < 1e15 and ({expr} = trunc({expr}) or (abs({expr}) >= 1e-4 "
        f"and regexp_full_match(cast({expr} as varchar), '-?[0-9]+\\.[0-9]+'))))"
    )
    return text, certain


@dataclass
class Staged:
    """A file read into the stage table (text, one column per contract column, _rn = row number)."""

    encoding: str | None
    extra_columns: list[str]
    rejects: list[Reject] = field(default_factory=list)

    @property
    def extra_json(self) -> str | None:
        return json.dumps(self.extra_columns) if self.extra_columns else None


@dataclass
class FastResult:
    rows_read: int
    rows_loaded: int
    rejects: list[Reject]
    encoding: str | None
    extra_columns: list[str]


def _create_stage(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    cols = ", ".join(f"{_q(c.name)} varchar" for c in contract.columns)
    con.execute(f"create or replace temp table {STAGE} (_rn bigint, {cols})")


def _stage_records(con: duckdb.DuckDBPyConnection, contract: Contract, records: list[dict], numbers: list[int]) -> None:
    """Add rows the Python rules read (text or None per contract column) to the stage."""
    if not records:
        return
    df = pd.DataFrame.from_records(records, columns=contract.column_names).astype(object)
    df = df.where(df.notna(), None)
    df.insert(0, "_rn", np.asarray(numbers, dtype=np.int64))
    con.register("_scorelink_py_rows", df)
    try:
        names = ", ".join(["_rn", *[_q(c) for c in contract.column_names]])
        con.execute(f"insert into {STAGE} ({names}) select {names} from _scorelink_py_rows")
    finally:
        con.unregister("_scorelink_py_rows")


# ---------------------------------------------------------------------------------------------- CSV


def _stage_csv(con, contract: Contract, path: Path, data: bytes) -> Staged | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # GBK/GB18030 and other encodings: the Python reader
    if "\x00" in text:
        return None
    n_cr = text.count("\r")
    if n_cr and n_cr != text.count("\r\n"):
        return None
    newline = "" if n_cr else "new_line = '\\n', "  # (new_line = '\r\n' reads no rows in DuckDB 1.4: detect it)
    try:
        header = next(csv.reader(io.StringIO(text, newline="")))
    except (StopIteration, csv.Error):
        return None  # the Python reader names the problem
    if any("\n" in h or "\r" in h for h in header) or len(header) < 2:
        return None
    mapped, extra = _map_header(path, header, contract)
    width = len(header)
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    trim = _py_trim if _csv_may_need_trim(data) else _no_trim
    del text
    if lines < 2:
        return None
    fields = ", ".join(f"'f{i}': 'VARCHAR'" for i in range(width))
    con.execute(f"drop table if exists {_CSV_REJECTS}")
    con.execute(f"drop table if exists {_CSV_SCANS}")
    con.execute(
        f"create or replace temp table {_CSV} as select * from read_csv(?, header = false, skip = 1, "
        f"delim = ',', quote = '\"', escape = '\"', {newline}columns = {{{fields}}}, "
        f"auto_detect = false, strict_mode = true, null_padding = false, max_line_size = 100000000, "
        f"store_rejects = true, rejects_table = '{_CSV_REJECTS}', rejects_scan = '{_CSV_SCANS}')",
        [str(path)],
    )
    n_ok, first_rowid = con.execute(f"select count(*), min(rowid) from {_CSV}").fetchone()
    bad_lines = con.execute(
        f"select line, any_value(csv_line) from {_CSV_REJECTS} group by line order by line"
    ).fetchall()
    if n_ok + len(bad_lines) != lines - 1 or len(bad_lines) > _MAX_PYTHON_LINES:
        return None  # blank lines or line breaks inside quoted values: row numbers differ, use the Python reader

    # Lines DuckDB rejected: split them as Python's csv module does, then apply readers._read_csv's rules.
    staged = Staged("utf-8-sig", extra)
    records, numbers = [], []
    for line_number, csv_line in bad_lines:
        if n_cr:  # DuckDB starts the rejected line after the "\r" of the previous line's end
            csv_line = csv_line.removeprefix("\n").removesuffix("\r")
        parsed = list(csv.reader(io.StringIO(csv_line, newline="")))
        if len(parsed) > 1:
            return None
        values = parsed[0] if parsed else []
        if not values or all(not f.strip() for f in values):
            staged.rejects.append(Reject(line_number, None, "empty row", ""))
        elif len(values) != width:
            staged.rejects.append(Reject(line_number, None, f"expected {width} fields, found {len(values)}",
                                         json.dumps(values, ensure_ascii=False)))
        else:
            records.append({m: _to_text(v) for m, v in zip(mapped, values, strict=True) if m})
            numbers.append(line_number)

    # Row number of the k-th accepted row (k = rowid + 1): k + 1 + how many rejected lines come before it.
    gaps = [line - 2 - i for i, (line, _) in enumerate(bad_lines)]
    # (rowid counts from where this transaction's storage starts, in insertion order = file order)
    k = f"(rowid - {first_rowid or 0} + 1)"
    row_number = f"{k} + 1" if not gaps else f"{k} + 1 + len(list_filter({gaps}, g -> g < {k}))"
    blank = " and ".join(_is_blank(f"f{i}") for i in range(width))
    for (number,) in con.execute(f"select {row_number} from {_CSV} where {blank}").fetchall():
        staged.rejects.append(Reject(number, None, "empty row", ""))
    by_name = {m: f"f{i}" for i, m in enumerate(mapped) if m}
    _create_stage(con, contract)
    values_sql = ", ".join(trim(by_name[c.name]) if c.name in by_name else "null" for c in contract.columns)
    con.execute(f"insert into {STAGE} select {row_number}, {values_sql} from {_CSV} where not ({blank})")
    con.execute(f"drop table {_CSV}")
    _stage_records(con, contract, records, numbers)
    return staged


# ---------------------------------------------------------------------------------------------- JSON lines


def _json_value_text(raw: str, string: str, trim) -> tuple[str, str]:
    """(text, certain) for one JSON value as readers._to_text writes what json.loads returns.

    raw: the value as JSON text (DuckDB writes numbers back in canonical form); string: the same value by
    json_extract_string (the unescaped text of a string).
    """
    number = f"try_cast({raw} as double)"
    d_text, d_certain = _double_text(number)
    integer = f"regexp_full_match({raw}, '-?(0|[1-9][0-9]*)')"
    text = (
        f"case when starts_with({raw}, '\"') then {trim(string)} when {raw} = 'null' then null "
        f"when {raw} in ('true', 'false') or {integer} then {raw} else {d_text} end"
    )
    certain = (f"case when starts_with({raw}, '\"') or {raw} in ('null', 'true', 'false') then true "
               f"when {integer} then true else {d_certain} end")
    return text, certain


def _python_json_line(line: str, wanted: dict[str, str]) -> tuple[dict | None, Reject | None, set[str]]:
    """One line by readers._read_jsonl's line-by-line rules: (record, reject, unmapped keys)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, Reject(0, None, f"not valid JSON: {exc.msg}", line[:2000]), set()
    if not isinstance(obj, dict):
        return None, Reject(0, None, "a JSON line must be an object", line[:2000]), set()
    record, unmapped = {}, set()
    for key, value in obj.items():
        name = wanted.get(str(key).strip().lower())
        if name:
            record[name] = _to_text(value)
        else:
            unmapped.add(str(key))
    return record, None, unmapped


def _stage_jsonl(con, contract: Contract, path: Path, data: bytes) -> Staged | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if any(b in data for b in _ODD_LINE_BREAKS) or data.count(b"\r") != data.count(b"\r\n"):
        return None  # str.splitlines() would break lines where DuckDB does not
    bom = data.startswith(b"\xef\xbb\xbf")
    escapes = b"\\" in data
    trim = _py_trim if _jsonl_may_need_trim(con, path, data) else _no_trim
    # The keys most of the first lines have (only speed depends on this choice: other lines go through Python).
    sample: Counter[tuple[str, ...]] = Counter()
    for line in text[:1_000_000].splitlines()[:200]:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            sample[tuple(str(k) for k in obj)] += 1
    del text
    common = [list(sample.most_common(1)[0][0])] if sample else None
    line = "line"
    if bom:
        line = f"case when n = 1 then substr({line}, 2) else {line} end"
    if b"\r" in data:
        line = f"regexp_replace({line}, '\\r$', '')"
    lines_src = (f"(select n, {line} as line from (select unnest(l) as line, unnest(range(1, len(l) + 1)) as n "
                 f"from (select string_split(content, chr(10)) as l from read_text({_lit(str(path))}))))")
    wanted = {c.name.lower(): c.name for c in contract.columns}
    keys = common[0] if common else []
    mapped = [wanted.get(str(k).strip().lower()) for k in keys]
    usable = (
        keys
        and len(set(keys)) == len(keys)
        and len({m for m in mapped if m}) == len([m for m in mapped if m])
        and not any('"' in k or "\\" in k for k in keys)
    )
    staged = Staged("utf-8-sig", [])
    unmapped_keys: set[str] = set()
    present: set[str] = set()
    blank = _is_blank("line")
    _create_stage(con, contract)
    if usable:
        paths = "[" + ", ".join(_lit("$." + json.dumps(k, ensure_ascii=False)) for k in keys) + "]"
        # One parse per line: the mapped values as JSON text. Strings are unquoted by position when the file
        # has no backslash (no escapes), else by json_extract_string.
        spec = json.dumps({k: "JSON" for k, m in zip(keys, mapped, strict=True) if m}, ensure_ascii=False)
        texts, certain, raws = {}, [], []
        for i, (k, m) in enumerate(zip(keys, mapped, strict=True)):
            if m is None:
                continue
            raws.append(f"cast(struct_extract(r, {_lit(k)}) as varchar) as r{i}")
            string = f"s[{i + 1}]" if escapes else f"substr(r{i}, 2, length(r{i}) - 2)"
            t, c = _json_value_text(f"r{i}", string, trim)
            texts[m] = t
            certain.append(c)
        all_certain = "coalesce(" + (" and ".join(f"({c})" for c in certain) if certain else "true") + ", false)"
        # A line Python's json module reads the same way: an object with exactly the common keys, no trailing
        # comma (DuckDB allows them), no escaped lone surrogate.
        same_object = f"case when json_valid(line) then json_keys(line) = {_lit_list(keys)} else false end"
        same_object = f"({same_object}) and not regexp_matches(line, ',[\\s]*[\\]}}]')"
        if escapes:
            same_object = f"({same_object}) and not regexp_matches(line, '\\\\u[dD][89abAB]')"
        strings = f"json_extract_string(line, {paths})" if escapes else "null"
        con.execute(
            f"create or replace temp table {_LINES} as select n, line, kind, {', '.join(raws) or 'null as r0'}, s "
            f"from (select n, line, kind, case when kind = 'fast' then json_transform(line, {_lit(spec)}) end as r, "
            f"case when kind = 'fast' then {strings} end as s "
            f"from (select n, line, case when {blank} then 'blank' when {same_object} then 'fast' else 'python' end "
            f"as kind from {lines_src}))"
        )
        values_sql = ", ".join(texts.get(c.name, "null") for c in contract.columns)
        n_fast = con.execute(
            f"insert into {STAGE} select n, {values_sql} from {_LINES} where kind = 'fast' and {all_certain}"
        ).fetchone()[0]
        con.execute(f"update {_LINES} set kind = 'python' where kind = 'fast' and not {all_certain}")
        if n_fast:
            unmapped_keys |= {str(k) for k, m in zip(keys, mapped, strict=True) if m is None}
            present |= {m for m in mapped if m}
    else:
        con.execute(
            f"create or replace temp table {_LINES} as select n, line, "
            f"case when {blank} then 'blank' else 'python' end as kind from {lines_src}"
        )
    odd = con.execute(f"select count(*) from {_LINES} where kind = 'python'").fetchone()[0]
    if odd > _MAX_PYTHON_LINES:
        return None
    records, numbers = [], []
    for n, line in con.execute(f"select n, line from {_LINES} where kind = 'python' order by n").fetchall():
        record, reject, unmapped = _python_json_line(line, wanted)
        if reject is not None:
            reject.row_number = n
            staged.rejects.append(reject)
            continue
        records.append(record)
        numbers.append(n)
        unmapped_keys |= unmapped
        present |= set(record)
    n_fast = con.execute(f"select count(*) from {STAGE}").fetchone()[0]
    con.execute(f"drop table {_LINES}")
    if not n_fast and not records and not staged.rejects:
        raise UnreadableFile(path, "the file holds no JSON lines")
    missing = [c.name for c in contract.columns if c.required and c.name not in present and (n_fast or records)]
    if missing:
        raise UnreadableFile(path, f"required field(s) {missing} appear in no JSON line")
    staged.extra_columns = sorted(unmapped_keys)
    _stage_records(con, contract, records, numbers)
    return staged


def _lit_list(items: list[str]) -> str:
    return "[" + ", ".join(_lit(i) for i in items) + "]"


# ---------------------------------------------------------------------------------------------- Parquet

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
                  "HUGEINT"}


def _stage_parquet(con, contract: Contract, path: Path) -> Staged | None:
    probe = con.cursor()  # its own transaction: an error here does not abort the caller's
    try:
        schema = probe.execute(
            "select column_name, column_type from (describe select * from read_parquet(?))", [str(path)]
        ).fetchall()
    except duckdb.Error:
        return None
    finally:
        probe.close()
    header = [name for name, _ in schema]
    mapped, extra = _map_header(path, header, contract)
    texts, certain = {}, []
    for (name, sql_type), m in zip(schema, mapped, strict=True):
        if m is None:
            continue
        col = _q(name)
        if sql_type == "VARCHAR":
            texts[m] = _py_trim(col)
        elif sql_type in _INTEGER_TYPES or sql_type == "BOOLEAN":
            texts[m] = f"cast({col} as varchar)"
        elif sql_type in ("DOUBLE", "FLOAT"):
            t, c = _double_text(f"cast({col} as double)")
            texts[m] = t
            certain.append(f"({col} is null or {c})")
        elif sql_type == "DATE":
            texts[m] = f"strftime({col}, '%Y-%m-%d')"
            certain.append(f"({col} is null or year({col}) between 1000 and 9999)")
        else:
            return None  # timestamps, decimals, nested types: the Python reader
    source = f"read_parquet({_lit(str(path))}, file_row_number = true)"
    if certain and con.execute(f"select count(*) from {source} where not ({' and '.join(certain)})").fetchone()[0]:
        return None
    _create_stage(con, contract)
    values_sql = ", ".join(texts.get(c.name, "null") for c in contract.columns)
    con.execute(f"insert into {STAGE} select file_row_number + 1, {values_sql} from {source}")
    return Staged(None, extra)


# ---------------------------------------------------------------------------------------------- checks

_INT_RE = "[+-]?[0-9]{1,15}"
_DEC_RE = "[+-]?[0-9]{1,14}(\\.[0-9]{1,15})?"
_DATE_RE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_LOCAL_RE = "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?"
_OFFSET_RE = "(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])"


def _pattern_usable(con, pattern: str) -> bool:
    probe = con.cursor()  # its own transaction: an error here does not abort the caller's
    try:
        probe.execute(f"select regexp_full_match('', {_lit(pattern)})").fetchone()
    except duckdb.Error:
        return False
    finally:
        probe.close()
    return True


def _column_sql(con, col: Column, v: str, tz_alias: str | None) -> tuple[str, str]:
    """(certainly good, typed value) SQL for one stage column; the typed value is used only where good."""
    present = f"{v} is not null"
    rules: list[str] = []
    typed = v
    if col.type == "string":
        if col.allowed_values is not None:
            rules.append(f"{v} in ({', '.join(_lit(a) for a in col.allowed_values)})")
        if col.pattern is not None:
            if not _pattern_usable(con, col.pattern):
                rules.append("false")
            else:
                rules.append(f"regexp_full_match({v}, '[ -~]*') and regexp_full_match({v}, {_lit(col.pattern)})")
    elif col.type in ("integer", "decimal"):
        if col.type == "integer":
            rules.append(f"regexp_full_match({v}, '{_INT_RE}')")
            typed = f"cast({v} as bigint)"
        else:
            rules.append(f"strlen({v}) <= 15 and regexp_full_match({v}, '{_DEC_RE}')")  # at most 15 digits
            typed = f"cast(cast({v} as double) as decimal(18,4))"
        if col.allowed_values is not None:
            rules.append("false")  # allowed_values on numbers compare text: leave to pandas
        number = f"try_cast({v} as double)"
        if col.min is not None:
            rules.append(f"{number} >= {float(col.min)!r}")
        if col.max is not None:
            rules.append(f"{number} <= {float(col.max)!r}")
    elif col.type == "date":
        if col.format is not None:
            rules.append("false")
        day = f"try_cast({v} as date)"
        rules.append(f"regexp_full_match({v}, '{_DATE_RE}') and {day} is not null and year({day}) between 1678 and 2261")
        if col.allowed_values is not None:
            rules.append(f"{v} in ({', '.join(_lit(a) for a in col.allowed_values)})")
        typed = f"cast({v} as date)"
    elif col.type == "timestamp":
        if col.format is not None:
            rules.append("false")
        # The shape is checked by one regular expression; the parts are then cut out by position.
        n = f"length({v})"
        is_z = f"ends_with({v}, 'Z')"
        is_offset = f"substr({v}, {n} - 5, 1) in ('+', '-')"
        local = (f"try_cast(case when {is_z} then substr({v}, 1, {n} - 1) when {is_offset} then substr({v}, 1, {n} - 6) "
                 f"else {v} end as timestamp)")
        hours, mins = f"try_cast(substr({v}, {n} - 4, 2) as integer)", f"try_cast(substr({v}, {n} - 1, 2) as integer)"
        minutes = (f"(case when {is_z} then 0 else (case when substr({v}, {n} - 5, 1) = '-' then -1 else 1 end) * "
                   f"({hours} * 60 + {mins}) end)")
        shape = f"regexp_full_match({v}, '{_LOCAL_RE}{_OFFSET_RE}?')"
        in_range = f"year({local}) between 1679 and 2260"
        aware = f"({is_z} or {is_offset})"
        if tz_alias is None:
            rules.append(f"{shape} and {aware} and {in_range}")
            typed = f"{local} - to_minutes({minutes})"
        else:
            rules.append(f"{shape} and ({aware} or {tz_alias}.offset_us is not null) and {in_range}")
            typed = (f"case when {aware} then {local} - to_minutes({minutes}) "
                     f"else {local} - to_microseconds({tz_alias}.offset_us) end")
        if col.allowed_values is not None:
            rules.append("false")
    elif col.type == "boolean":
        lowered = f"lower({v})"
        options = sorted(_TRUE | _FALSE)
        rules.append(f"regexp_full_match({v}, '[A-Za-z01]+') and {lowered} in ({', '.join(_lit(o) for o in options)})")
        typed = f"{lowered} in ({', '.join(_lit(o) for o in sorted(_TRUE))})"
        if col.allowed_values is not None:
            rules.append("false")
    else:
        raise AssertionError(col.type)
    body = " and ".join(f"({r})" for r in rules) if rules else "true"
    good = f"(({present}) and {body})" if col.required else f"(({v} is null) or ({body}))"
    return good, typed


def _tz_days(con, contract: Contract, timezone: str) -> list[tuple[Column, str]]:
    """For timestamp columns with values without an offset: a table of days whose UTC offset in `timezone`
    is the same all day (pandas' own tz_localize decides), joined per column. Returns (column, alias)."""
    ts_cols = [c for c in contract.columns if c.type == "timestamp" and c.format is None]
    if not ts_cols:
        return []
    naive = " union ".join(
        f"select distinct substr({_q(c.name)}, 1, 10) as d from {STAGE} "
        f"where regexp_full_match({_q(c.name)}, '{_LOCAL_RE}')"
        for c in ts_cols
    )
    days = [d for (d,) in con.execute(naive).fetchall()]
    if not days:
        return []
    parsed = pd.to_datetime(pd.Series(days), format="%Y-%m-%d", errors="coerce")
    ok = parsed.notna() & (parsed.dt.year.between(1679, 2260))
    days = [d for d, good in zip(days, ok, strict=True) if good]
    parsed = parsed[ok].reset_index(drop=True)
    rows = []
    if len(parsed):
        steps = 97  # every 15 minutes from 00:00 to the next day's 00:00
        points = pd.DatetimeIndex(np.repeat(parsed.to_numpy(), steps)) + pd.to_timedelta(
            np.tile(np.arange(steps) * 15, len(parsed)), unit="min")
        local = points.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        utc = local.tz_convert("UTC").tz_localize(None)
        offsets = (points - utc).to_numpy().astype("timedelta64[us]").astype(np.int64).reshape(len(parsed), steps)
        missing = np.asarray(local.isna()).reshape(len(parsed), steps)
        for day, offs, miss in zip(days, offsets, missing, strict=True):
            if not miss.any() and (offs == offs[0]).all():
                rows.append((dt.date.fromisoformat(day), int(offs[0])))
    con.execute(f"create or replace temp table {_TZ} (day date primary key, offset_us bigint)")
    if rows:
        con.executemany(f"insert into {_TZ} values (?, ?)", rows)
    return [(c, f"_tz{i}") for i, c in enumerate(ts_cols)]


def insert_checked_rows(con, contract: Contract, good: pd.DataFrame, batch_id: str, rel: str,
                        loaded_at: dt.datetime) -> int:
    """Insert rows check_rows() typed (a DataFrame) with the lineage columns; returns how many."""
    if not len(good):
        return 0
    good = good.assign(_batch_id=batch_id, _source_file=rel, _loaded_at=loaded_at)
    select = [f'cast("{c.name}" as {RAW_SQL_TYPES[c.type]}) as "{c.name}"' for c in contract.columns]
    select += [f"cast({name} as {sql_type}) as {name}" for name, sql_type in LINEAGE_COLUMNS.items()]
    names = ", ".join([f'"{c}"' for c in contract.column_names] + list(LINEAGE_COLUMNS))
    con.register("_landing_batch", good)
    try:
        con.execute(f"insert into {contract.raw_table} ({names}) select {', '.join(select)} from _landing_batch")
    finally:
        con.unregister("_landing_batch")
    return len(good)


class FastPathFailed(Exception):
    """DuckDB raised an error while reading or checking a file: the caller's transaction is aborted, and the
    entity is loaded again with the Python readers."""


def _check_and_insert(con, contract: Contract, path: Path, batch_id: str, rel: str, timezone: str,
                      loaded_at: dt.datetime) -> tuple[int, int, list[Reject]]:
    """Insert the certainly-good stage rows in SQL; check the others with check_rows() as before.

    Returns (rows staged, rows loaded, rejects)."""
    joins = _tz_days(con, contract, timezone)
    alias = {c.name: a for c, a in joins}
    goods, typed = [], []
    for col in contract.columns:
        g, t = _column_sql(con, col, f"s.{_q(col.name)}", alias.get(col.name))
        goods.append(g)
        typed.append(t)
    join_sql = " ".join(
        f"left join {_TZ} {a} on {a}.day = try_cast(substr(s.{_q(c.name)}, 1, 10) as date)" for c, a in joins
    )
    good_sql = "coalesce(" + " and ".join(goods) + ", false)"
    hash_sql = "md5(concat_ws(chr(31), " + ", ".join(
        f"coalesce(s.{_q(c)}, '')" for c in contract.column_names) + "))"
    names = ", ".join([_q(c) for c in contract.column_names] + list(LINEAGE_COLUMNS))
    loaded = con.execute(
        f"insert into {contract.raw_table} ({names}) select {', '.join(typed)}, ?, ?, s._rn, ?, {hash_sql} "
        f"from {STAGE} s {join_sql} where {good_sql}",
        [batch_id, rel, loaded_at],
    ).fetchone()[0]
    n_staged = con.execute(f"select count(*) from {STAGE}").fetchone()[0]
    rejects: list[Reject] = []
    if loaded < n_staged:
        rest = con.execute(
            f"select s._rn, {', '.join('s.' + _q(c) for c in contract.column_names)} from {STAGE} s {join_sql} "
            f"where not {good_sql} order by s._rn"
        ).df()
        records = rest[contract.column_names].astype(object)
        records = records.where(records.notna(), None).reset_index(drop=True)
        checked = check_rows(RawFile(path, None, records, [int(n) for n in rest["_rn"]]), contract, timezone)
        loaded += insert_checked_rows(con, contract, checked.good, batch_id, rel, loaded_at)
        rejects = checked.rejects
    return n_staged, loaded, rejects


def load_file_fast(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, data: bytes, batch_id: str,
                   rel: str, timezone: str, loaded_at: dt.datetime) -> FastResult | None:
    """Load one file the fast way; None when this file needs the Python readers (nothing written then).

    Runs in the caller's transaction (temporary tables, dropped at the end). Statements that may fail on a
    strange file (a Parquet file DuckDB cannot open, a pattern its regex engine does not know) are tried on a
    separate cursor first; if DuckDB still raises, FastPathFailed tells the loader to load the entity again
    with the Python readers (the error has aborted the transaction).
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            staged = _stage_csv(con, contract, path, data)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            staged = _stage_jsonl(con, contract, path, data)
        elif suffix == ".parquet":
            staged = _stage_parquet(con, contract, path)
        else:
            staged = None
        if staged is None:
            _drop_temp(con)
            return None
        n_staged, loaded, rejects = _check_and_insert(con, contract, path, batch_id, rel, timezone, loaded_at)
        _drop_temp(con)
    except duckdb.Error as exc:
        raise FastPathFailed(f"{path}: {exc}") from exc
    return FastResult(n_staged + len(staged.rejects), loaded, staged.rejects + rejects, staged.encoding,
                      staged.extra_columns)


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for table in (STAGE, _CSV, _CSV_REJECTS, _CSV_SCANS, _LINES, _TZ):
        con.execute(f"drop table if exists {table}")
