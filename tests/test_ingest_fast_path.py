"""The DuckDB ingest path (ingest/fast_path.py) loads exactly what the Python readers and row checks load.

Every test loads the same landing folder twice, once with reader="python" (readers.py + row_checks.py, the
definition of ingest) and once with reader="duckdb" (the default), and compares every raw table and
ingest.quarantine / ingest.file_loads row for row (EXCEPT ALL both ways; only the load timestamps differ).
"""

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ingest.loader as loader
from ingest.contract import default_contracts
from ingest.loader import load_entity
from ingest.readers import UnreadableFile
from ingest.simulator import simulate

CONTRACTS = default_contracts()
TIMESTAMPS = {"_loaded_at", "loaded_at", "quarantined_at"}


@pytest.fixture
def fast_files(monkeypatch):
    """Names of the files the DuckDB path loaded itself (not handed back to the Python readers)."""
    names: list[str] = []
    real = loader.load_file_fast

    def spy(con, contract, path, *args):
        result = real(con, contract, path, *args)
        if result is not None:
            names.append(path.name)
        return result

    monkeypatch.setattr(loader, "load_file_fast", spy)
    return names


def _load(landing: Path, contracts, timezone: str, reader: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for contract in contracts:
        load_entity(con, contract, landing, timezone, reader=reader)
    return con


def _differences(a: duckdb.DuckDBPyConnection, b: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    """Tables whose rows differ: name -> (rows in a, rows only in a, rows only in b)."""
    tables = a.execute("select schema_name, table_name from duckdb_tables() order by all").fetchall()
    assert tables == b.execute("select schema_name, table_name from duckdb_tables() order by all").fetchall()
    diffs = {}
    for schema, table in tables:
        cols = [c for (c,) in a.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ? order by column_index",
            [schema, table]).fetchall() if c not in TIMESTAMPS]
        select = f"select {', '.join(repr(c).replace(chr(39), chr(34)) for c in cols)} from {schema}.{table}"
        rows_a, rows_b = a.execute(select).fetchall(), b.execute(select).fetchall()
        key = lambda r: json.dumps(r, default=str)  # noqa: E731
        only_a = _multiset_minus(rows_a, rows_b, key)
        only_b = _multiset_minus(rows_b, rows_a, key)
        if only_a or only_b:
            diffs[f"{schema}.{table}"] = (len(rows_a), len(only_a), len(only_b))
    return diffs


def _multiset_minus(xs, ys, key) -> list:
    counts: dict[str, int] = {}
    for y in ys:
        counts[key(y)] = counts.get(key(y), 0) + 1
    out = []
    for x in xs:
        k = key(x)
        if counts.get(k, 0):
            counts[k] -= 1
        else:
            out.append(x)
    return out


def _same_both_ways(landing: Path, contracts, timezone: str = "Asia/Shanghai"):
    python = _load(landing, contracts, timezone, "python")
    fast = _load(landing, contracts, timezone, "duckdb")
    assert _differences(python, fast) == {}
    return python, fast


def test_simulated_company_loads_the_same_with_both_readers(tmp_path, fast_files):
    simulate(tmp_path, employees=40, months=3, seed=11)
    landing = tmp_path / "landing"
    python, fast = _same_both_ways(landing, CONTRACTS.values())
    rows = fast.execute("select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from ingest.file_loads"
                        ).fetchone()
    assert rows[0] == rows[1] + rows[2] and rows[0] > 15_000 and rows[2] > 0
    # the planted malformed rows are quarantined the same way, and most files took the DuckDB path
    assert python.execute("select count(*) from ingest.quarantine").fetchone()[0] == rows[2]
    n_files = fast.execute("select count(*) from ingest.file_loads").fetchone()[0]
    assert len(fast_files) >= n_files - 2  # the GBK employees CSV and the XLSX job assignments use Python


def _write(landing: Path, entity: str, name: str, content: str | bytes) -> Path:
    source, ent = entity.split(".")
    folder = landing / source / ent
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


ORDERS_HEADER = "order_id,customer_id,salesperson_id,ordered_at,confirmed_at,shipped_at,channel,region,currency,status"
BAD_ORDERS = [
    "O1,C1,E1,2024-01-05T09:00:00,,2024-01-06T10:00:00,online,south,CNY,shipped",
    "O2,C1,E1,2024-13-45T09:00:00,,,online,south,CNY,open",  # bad timestamp
    "O3,C1,E1,2024-01-05T09:00:00,,,web,south,CNY,open",  # wrong enum
    ",C1,E1,2024-01-05T09:00:00,,,online,south,CNY,open",  # empty key
    "O5,C1,E1,2024-01-05T09:00:00,,,online,south,CNY",  # 9 fields
    "O6,C1,E1,2024-01-05T09:00:00,,,online,south,CNY,open,extra",  # 11 fields
    "   ,  ,,,,,,,,",  # an empty row
    "   ",  # a blank line (one field)
    ' O7 ,"C1",E1, 2024-01-05 09:00:00 ,,,"online",south,CNY,open',  # spaces and quotes
    'O8,"C""1",E1,2024-01-05T09:00:00.123456+08:00,,,online,south,CNY,open',  # escaped quote, fraction, offset
    'O9,C"1,E1,2024-01-05T09:00:00Z,,,online,south,CNY,open',  # a stray quote inside a field
    '"O10"x,C1,E1,2024-01-05T09:00:00-05:30,,,online,south,CNY,open',  # text after a closing quote
    "O11,C1,E1,2024-01-05,,,online,south,CNY,open",  # a date where a timestamp is expected
    "O12,C1,E1,2024-01-05T09:00,,,online,south,CNY,open",  # no seconds
    "O13,C1,E1,2024-02-30T09:00:00,,,online,south,CNY,open",  # no such day
    "O14,C1,E1,2024-01-05T24:00:00,,,online,south,CNY,open",
    "O15,C1,E1,1500-01-05T09:00:00,,,online,south,CNY,open",  # outside pandas' range
    "O16,C1,E1,2024-01-05T09:00:00+0800,,,online,south,CNY,open",
    "O17,C1,E1,2024-03-31T02:30:00,,,online,south,CNY,open",  # does not exist in Berlin (DST gap)
    "O18,C1,E1,2024-10-27T02:30:00,,,online,south,CNY,open",  # happens twice in Berlin
    "O19,C1,E1,2024-10-26T02:30:00,,,Online,south,CNY,open",  # enum is case sensitive
    "O20,C1,E1,\u30002024-01-05T09:00:00\u3000,,,online,south,CNY,open",  # ideographic spaces are stripped
    "O21,C1,E1,2024-01-05T09:00:00\x1f,,,online,south,CNY,open",  # so is a unit separator
    "O22,C1,E1,2024-01-05 09:00:00.1234567,,,online,south,CNY,open",  # nanoseconds
    "O23,C1,E1,2024-01-05T09:00:00+08:00,2024-01-05T09:00:00+25:00,,online,south,CNY,open",
]


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "Europe/Berlin", "UTC"])
def test_bad_csv_rows_are_quarantined_the_same(tmp_path, fast_files, timezone):
    _write(tmp_path, "erp.sales_orders", "a.csv", "\n".join([ORDERS_HEADER, *BAD_ORDERS]) + "\n")
    _write(tmp_path, "erp.sales_orders", "b_crlf_bom.csv",
           "\ufeff" + "\r\n".join([ORDERS_HEADER.upper(), *BAD_ORDERS[:8]]) + "\r\n")
    _write(tmp_path, "erp.sales_orders", "c_no_final_newline.csv", "\n".join([ORDERS_HEADER, *BAD_ORDERS[:3]]))
    _write(tmp_path, "erp.sales_orders", "d_blank_lines.csv", "\n".join([ORDERS_HEADER, BAD_ORDERS[0], "", "",
                                                                          BAD_ORDERS[1]]) + "\n")
    _write(tmp_path, "erp.sales_orders", "e_multiline.csv",
           "\n".join([ORDERS_HEADER, BAD_ORDERS[0], 'O30,"C\n1",E1,2024-01-05T09:00:00,,,online,south,CNY,open']))
    _write(tmp_path, "erp.sales_orders", "f_gbk.csv", "\n".join(
        [ORDERS_HEADER, "O40,客户一,E1,2024-01-05T09:00:00,,,online,华南,CNY,open", *BAD_ORDERS[1:3]]).encode("gbk"))
    python, fast = _same_both_ways(tmp_path, [CONTRACTS["erp.sales_orders"]], timezone)
    assert {"a.csv", "b_crlf_bom.csv", "c_no_final_newline.csv"} <= set(fast_files)
    assert "f_gbk.csv" not in fast_files
    reasons = dict(fast.execute("select row_number, reason from ingest.quarantine where source_file like '%/a.csv'"
                                ).fetchall())
    assert reasons[3] == "ordered_at: '2024-13-45T09:00:00' is not a timestamp (ISO 8601)"
    assert reasons[6] == "expected 10 fields, found 9" and reasons[7] == "expected 10 fields, found 11"
    assert reasons[8] == "empty row" and reasons[9] == "empty row"
    loaded = dict(fast.execute("select order_id, ordered_at from raw_erp.sales_orders "
                               "where _source_file like '%/a.csv'").fetchall())
    offset = {"Asia/Shanghai": 8, "Europe/Berlin": 1, "UTC": 0}[timezone]
    assert loaded["O7"] == dt.datetime(2024, 1, 5, 9 - offset)
    assert loaded["O8"] == dt.datetime(2024, 1, 5, 1, 0, 0, 123456)
    assert ("O17" in loaded) == (timezone != "Europe/Berlin")


def test_bad_numbers_patterns_and_jsonl_lines_are_quarantined_the_same(tmp_path, fast_files):
    header = "sku,month,version,planner_id,forecast_qty,created_at"
    rows = ["S1,2024-01,1,P1,10.5,2024-01-03T08:00:00", "S2,2024-13,1,P1,10,2024-01-03T08:00:00",
            "S3,2024-01,0,P1,10,2024-01-03T08:00:00", "S4,2024-01,1.0,P1,1e3,2024-01-03T08:00:00",
            "S5,2024-01,one,P1,-1,2024-01-03T08:00:00", "S6,2024-01,+2,P1,.5,2024-01-03T08:00:00",
            "S7,2024-01,2,P1,1234567890.12345678,2024-01-03T08:00:00", "S8,2024-01,2,P1,NaN,2024-01-03T08:00:00",
            "S9,２０２４-01,2,P1,5,2024-01-03T08:00:00", "S10,2024-01,1234567890123456,P1,5,2024-01-03T08:00:00",
            "S11,2024-01,3,P1,12.34565,2024-01-03T08:00:00", "S12,2024-01,3,P1,1 000,2024-01-03T08:00:00",
            "S13,2024-01,3,P1,0.00001,2024-01-03T08:00:00", "S14,2024-01,007,P1,-0,2024-01-03T08:00:00"]
    _write(tmp_path, "erp.demand_forecasts", "f.csv", "\n".join([header, *rows]) + "\n")

    good = {"activity_id": "A1", "employee_id": "E1", "customer_id": "C1", "started_at": "2024-01-05T09:00:00+08:00",
            "duration_minutes": 30, "method": "call", "content": " hello ", "outcome": "order"}
    lines = [json.dumps(good), json.dumps({**good, "activity_id": "A2", "duration_minutes": 30.0}),
             json.dumps({**good, "activity_id": "A3", "duration_minutes": 2000}),
             json.dumps({**good, "activity_id": "A4", "duration_minutes": "45"}),
             json.dumps({**good, "activity_id": "A5", "duration_minutes": 1.5, "content": None}),
             json.dumps({**good, "activity_id": "A6", "method": "fax", "content": {"nested": [1, "二"]}}),
             json.dumps({**good, "activity_id": "A7", "content": True, "note": "an extra key"}),
             json.dumps({**good, "activity_id": "A8", "duration_minutes": math.nan}),  # NaN, as json.dumps writes it
             json.dumps({**good, "activity_id": "A9", "duration_minutes": 1e20, "content": 0.1}),
             json.dumps({"Activity_ID": "A10", **{k: v for k, v in good.items() if k != "activity_id"}}),
             json.dumps(dict(reversed(list({**good, "activity_id": "A11"}.items())))),
             '{"activity_id": "A12", "employee_id": "E1", "customer_id": "C1", "started_at": '
             '"2024-01-05T09:00:00+08:00", "duration_minutes": 5, "method": "call", "content": "x", "outcome": "order",}',
             json.dumps({**good, "activity_id": "A13", "activity_id ": "dup"}),
             "", "   ", "[1, 2]", "{not json", '"just a string"', "null",
             json.dumps({**good, "activity_id": "A14", "content": "tab\tand\u2028line sep"}),
             json.dumps({**good, "activity_id": "A15", "content": "ends with nul\u0000"}),
             json.dumps({**good, "activity_id": "", "employee_id": "  "}),
             json.dumps({**good, "activity_id": "A16", "duration_minutes": -0.0, "content": 123456789012345678901}),
             json.dumps({**good, "activity_id": "A17", "duration_minutes": 1440, "content": 1e-7}),
             json.dumps({**good, "activity_id": "A18", "started_at": "2024-01-05 09:00:00"})]
    _write(tmp_path, "crm.activities", "a.jsonl", "\n".join(lines) + "\n")
    _write(tmp_path, "crm.activities", "b_crlf.jsonl", "\ufeff" + "\r\n".join(lines[:6]) + "\r\n")
    _write(tmp_path, "crm.activities", "c_odd_line_break.jsonl", "\n".join(lines[:3]) + "\x0c\n")
    python, fast = _same_both_ways(tmp_path, [CONTRACTS["erp.demand_forecasts"], CONTRACTS["crm.activities"]])
    assert {"f.csv", "a.jsonl", "b_crlf.jsonl"} <= set(fast_files) and "c_odd_line_break.jsonl" not in fast_files
    assert fast.execute("select count(*) from raw_crm.activities").fetchone()[0] > 10
    reasons = dict(fast.execute("select row_number, reason from ingest.quarantine where source_file like '%a.jsonl'"
                                ).fetchall())
    assert reasons[16] == reasons[18] == reasons[19] == "a JSON line must be an object"
    assert reasons[17].startswith("not valid JSON") and 14 not in reasons and 15 not in reasons
    assert reasons[3] == "duration_minutes: '2000' is above the maximum 1440"


def test_parquet_and_xlsx_and_booleans_load_the_same(tmp_path, fast_files):
    pq.write_table(pa.table({
        "rate_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), None, dt.date(2024, 1, 4), dt.date(2024, 1, 5)],
        "currency": ["USD", " eur ", "USD", "usd", None],
        "rate_to_base": [7.1, -1.0, 7.2, None, 0.30000000000000004],
        "ignored": [1, 2, 3, 4, 5]}), tmp_path / "fx.parquet")
    _write(tmp_path, "erp.fx_rates", "fx.parquet", (tmp_path / "fx.parquet").read_bytes())
    pq.write_table(pa.table({"rate_date": [dt.date(2024, 2, 1)], "currency": ["USD"],
                             "rate_to_base": pa.array([7.25], type=pa.float32())}), tmp_path / "f32.parquet")
    _write(tmp_path, "erp.fx_rates", "fx_float32.parquet", (tmp_path / "f32.parquet").read_bytes())
    pq.write_table(pa.table({"rate_date": [dt.date(2024, 3, 1)], "currency": ["USD"],
                             "rate_to_base": [math.nan]}), tmp_path / "nan.parquet")
    _write(tmp_path, "erp.fx_rates", "fx_nan.parquet", (tmp_path / "nan.parquet").read_bytes())
    contract = CONTRACTS["hr.job_assignments"]
    row = ["A1", "E1", "2024-01-01", "", "D2", "sales_rep", "E0", "south", "P2", "{}", ""]
    mentor = contract.column_names.index("is_mentor")
    rows = []
    for i, value in enumerate(["true", "False", "YES", "n", "1", "0", "t", "maybe", "", "tRuE"]):
        r = list(row)
        r[0], r[mentor] = f"A{i}", value
        rows.append(",".join(r))
    _write(tmp_path, "hr.job_assignments", "assignments.csv", "\n".join([",".join(contract.column_names), *rows]))
    _same_both_ways(tmp_path, [CONTRACTS["erp.fx_rates"], contract])
    assert {"fx.parquet", "fx_float32.parquet", "assignments.csv"} <= set(fast_files)
    assert "fx_nan.parquet" not in fast_files


def test_unreadable_files_give_the_same_error(tmp_path):
    cases = {
        "missing_column.csv": "order_id,customer_id\nO1,C1\n",
        "empty.csv": "",
        "twice.csv": ORDERS_HEADER + ",order_id\n",
        "no_lines.jsonl": "\n \n",
        "missing_field.jsonl": json.dumps({"order_id": "O1"}) + "\n",
        "broken.parquet": "not parquet",
    }
    for name, content in cases.items():
        landing = tmp_path / name
        _write(landing, "erp.sales_orders", name, content)
        errors = []
        for reader in ("python", "duckdb"):
            con = duckdb.connect()
            with pytest.raises(UnreadableFile) as err:
                load_entity(con, CONTRACTS["erp.sales_orders"], landing, "UTC", reader=reader)
            errors.append(str(err.value))
            assert con.execute("select count(*) from duckdb_tables() where schema_name = 'raw_erp'").fetchone()[0] == 0
        assert errors[0] == errors[1], name


def test_python_whitespace_constant_is_what_str_strip_removes():
    from ingest.fast_path import PY_WHITESPACE

    assert PY_WHITESPACE == "".join(chr(i) for i in range(0x110000) if chr(i).isspace())


def test_a_duckdb_error_mid_entity_reloads_the_entity_with_the_python_readers(tmp_path, monkeypatch):
    import ingest.fast_path as fast_path

    _write(tmp_path, "erp.sales_orders", "a.csv", "\n".join([ORDERS_HEADER, *BAD_ORDERS[:4]]) + "\n")
    _write(tmp_path, "erp.sales_orders", "b.csv", "\n".join([ORDERS_HEADER, *BAD_ORDERS[4:8]]) + "\n")
    real = fast_path._check_and_insert
    calls = []

    def failing(con, *args):
        calls.append(1)
        if len(calls) == 2:  # the second file: after the first was written in the same transaction
            con.execute("select cast('not a number' as integer)")
        return real(con, *args)

    monkeypatch.setattr(fast_path, "_check_and_insert", failing)
    fast = duckdb.connect()
    result = load_entity(fast, CONTRACTS["erp.sales_orders"], tmp_path, "UTC")
    assert len(calls) == 2 and result.rows_read == 8 and len(result.files) == 2
    python = _load(tmp_path, [CONTRACTS["erp.sales_orders"]], "UTC", "python")
    assert _differences(python, fast) == {}


@pytest.mark.parametrize("content", ["no edge spaces", " leading", "trailing ", "a, ", "\u3000ideographic", None])
def test_jsonl_values_are_trimmed_like_python_without_escapes(tmp_path, fast_files, content):
    good = {"activity_id": "A1", "employee_id": "E1", "customer_id": "C1", "started_at": "2024-01-05T09:00:00+08:00",
            "duration_minutes": 30, "method": "call", "content": "x", "outcome": "order"}
    lines = [json.dumps(good, ensure_ascii=False),
             json.dumps({**good, "activity_id": "A2", "content": content}, ensure_ascii=False)]
    assert "\\" not in "".join(lines)
    _write(tmp_path, "crm.activities", "a.jsonl", "\n".join(lines) + "\n")
    python, fast = _same_both_ways(tmp_path, [CONTRACTS["crm.activities"]])
    assert fast_files == ["a.jsonl"]
    expected = content.strip() if content else None
    assert fast.execute("select content from raw_crm.activities where activity_id = 'A2'").fetchone()[0] == expected
