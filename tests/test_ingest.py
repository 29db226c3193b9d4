"""Reading landing files of every format, quarantining bad rows, and loading idempotently."""

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from ingest.contract import default_contracts
from ingest.loader import load_entity, reconcile_entity
from ingest.readers import UnreadableFile

CONTRACTS = default_contracts()
ORDERS = CONTRACTS["erp.sales_orders"]
HEADER = "order_id,customer_id,salesperson_id,ordered_at,confirmed_at,shipped_at,channel,region,currency,status"


def _orders_file(landing: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    folder = landing / "erp" / "sales_orders"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding=encoding)
    return path


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_bad_rows_are_quarantined_with_file_row_column_and_reason(tmp_path, con):
    _orders_file(tmp_path, "orders_2024-01.csv", [
        "O1,C1,E1,2024-01-05T09:00:00,,2024-01-06T10:00:00,online,south,CNY,shipped",  # row 2: good
        "O2,C1,E1,2024-13-45T09:00:00,,,online,south,CNY,open",                        # row 3: bad date
        "O3,C1,E1,2024-01-05T09:00:00,,,web,south,CNY,open",                            # row 4: bad channel
        ",C1,E1,2024-01-05T09:00:00,,,online,south,CNY,open",                           # row 5: key missing
        "O5,C1,E1,2024-01-05T09:00:00,,,online,south,CNY",                              # row 6: 9 fields
        "O6,C2,E2,2024-01-07T11:30:00,,,offline,north,USD,open",                        # row 7: good
    ])
    result = load_entity(con, ORDERS, tmp_path, "Asia/Shanghai")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 2, 4)
    rows = con.execute("select source_file, row_number, column_name, reason from ingest.quarantine "
                       "order by row_number").fetchall()
    assert [(r[1], r[2]) for r in rows] == [(3, "ordered_at"), (4, "channel"), (5, "order_id"), (6, None)]
    assert all(r[0] == "erp/sales_orders/orders_2024-01.csv" for r in rows)
    assert "'2024-13-45T09:00:00' is not a timestamp" in rows[0][3]
    assert "'web' is not one of: online, offline" in rows[1][3]
    assert "required value is missing" in rows[2][3]
    assert "expected 10 fields, found 9" in rows[3][3]
    assert con.execute("select list(order_id order by order_id) from raw_erp.sales_orders").fetchone()[0] == [
        "O1", "O6"]
    assert reconcile_entity(con, ORDERS) == []


def test_numbers_the_raw_table_cannot_hold_are_quarantined_not_a_failed_load(tmp_path, con):
    """BIGINT and DECIMAL(18,4) limits: an out-of-range value is a bad row, not a failed load of the entity."""
    lines = CONTRACTS["erp.sales_order_lines"]
    columns = ",".join(lines.column_names)
    folder = tmp_path / "erp" / "sales_order_lines"
    folder.mkdir(parents=True)

    def row(line_number: str, quantity: str) -> str:
        values = {"order_id": "O1", "line_number": line_number, "sku": "A", "quantity": quantity,
                  "unit_price": "1", "unit_cost": "1"}
        return ",".join(values.get(name, "") for name in lines.column_names)

    (folder / "lines.csv").write_text("\n".join([
        columns,
        row("9223372036854775807", "99999999999.9999"),     # row 2: the largest integer; 15 digits exact
        row("9223372036854775808", "1"),                    # row 3: one past BIGINT
        row("100000000000000000000", "1"),                  # row 4: 1e20
        row("2", "100000000000000"),                        # row 5: 15 digits before the point
        row("3", "-1e15"),                                  # row 6
        row("4", "inf"),                                    # row 7
    ]) + "\n", encoding="utf-8")
    result = load_entity(con, lines, tmp_path, "UTC")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 1, 5)
    rows = con.execute("select row_number, column_name, reason from ingest.quarantine order by row_number").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(3, "line_number"), (4, "line_number"), (5, "quantity"),
                                            (6, "quantity"), (7, "quantity")]
    assert "'9223372036854775808' does not fit a 64-bit integer" in rows[0][2]
    assert "'100000000000000' does not fit a number with at most 14 digits before the point" in rows[2][2]
    loaded = con.execute("select line_number, quantity from raw_erp.sales_order_lines").fetchall()
    assert [(n, str(q)) for n, q in loaded] == [(9223372036854775807, "99999999999.9999")]
    assert reconcile_entity(con, lines) == []


def test_naive_timestamps_are_read_in_company_time_and_stored_in_utc(tmp_path, con):
    _orders_file(tmp_path, "o.csv", [
        "O1,C1,E1,2024-01-05T09:00:00,2024-01-05T10:00:00Z,2024-01-06T10:00:00-05:00,online,south,CNY,shipped"])
    load_entity(con, ORDERS, tmp_path, "Asia/Shanghai")
    ordered, confirmed, shipped = con.execute(
        "select ordered_at, confirmed_at, shipped_at from raw_erp.sales_orders").fetchone()
    assert ordered == dt.datetime(2024, 1, 5, 1, 0)  # 09:00 in Shanghai (+08:00)
    assert confirmed == dt.datetime(2024, 1, 5, 10, 0)
    assert shipped == dt.datetime(2024, 1, 6, 15, 0)


def test_loading_the_same_file_twice_changes_nothing(tmp_path, con):
    _orders_file(tmp_path, "o.csv", ["O1,C1,E1,2024-01-05T09:00:00,,,online,south,CNY,open",
                                     "bad,C1,E1,not-a-time,,,online,south,CNY,open"])
    first = load_entity(con, ORDERS, tmp_path, "UTC")
    snapshot = con.execute("select * from raw_erp.sales_orders order by all").fetchall()
    second = load_entity(con, ORDERS, tmp_path, "UTC")
    assert first.rows_loaded == 1 and first.files_skipped == 0
    assert second.files_skipped == 1 and second.rows_loaded == 0
    assert con.execute("select * from raw_erp.sales_orders order by all").fetchall() == snapshot
    assert con.execute("select count(*) from ingest.quarantine").fetchone()[0] == 1
    assert con.execute("select count(*) from ingest.file_loads").fetchone()[0] == 1


def test_gbk_csv_is_read(tmp_path, con):
    folder = tmp_path / "hr" / "departments"
    folder.mkdir(parents=True)
    (folder / "departments.csv").write_bytes(
        "department_id,parent_department_id,department_name,function,region\n"
        "D1,,总经理办公室,executive,hq\nD2,D1,华南销售部,sales,south\n".encode("gbk"))
    load_entity(con, CONTRACTS["hr.departments"], tmp_path, "UTC")
    names = con.execute("select department_name from raw_hr.departments order by department_id").fetchall()
    assert names == [("总经理办公室",), ("华南销售部",)]
    assert con.execute("select encoding from ingest.file_loads").fetchone()[0] == "gb18030"


def test_xlsx_is_read_with_excel_dates_and_numbers(tmp_path, con):
    folder = tmp_path / "hr" / "job_assignments"
    folder.mkdir(parents=True)
    wb = Workbook()
    ws = wb.active
    contract = CONTRACTS["hr.job_assignments"]
    ws.append(contract.column_names)
    ws.append(["A1", "E1", dt.datetime(2024, 1, 1), None, "D2", "sales_rep", "E0", "south", "P2", False, None])
    ws.append(["A2", "E1", "2024-03-16", "2024-13-01", "D2", "sales_rep", "E0", "south", "P2", None, None])
    wb.save(folder / "assignments.xlsx")
    result = load_entity(con, contract, tmp_path, "UTC")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert con.execute("select valid_from, is_mentor from raw_hr.job_assignments").fetchone() == (
        dt.date(2024, 1, 1), False)
    assert con.execute("select row_number, column_name from ingest.quarantine").fetchone() == (3, "valid_to")


def test_jsonl_and_parquet_are_read(tmp_path, con):
    folder = tmp_path / "attendance" / "punches"
    folder.mkdir(parents=True)
    lines = [json.dumps({"punch_id": "P1", "employee_id": "E1", "punched_at": "2024-01-05T09:00:00+01:00",
                         "direction": "in", "device_id": "app"}),
             "{not json",
             json.dumps({"punch_id": "P2", "employee_id": "E1", "punched_at": "2024-01-05T18:00:00+01:00",
                         "direction": "sideways", "device_id": "app"})]
    (folder / "punches.jsonl").write_text("\n".join(lines) + "\n")
    result = load_entity(con, CONTRACTS["attendance.punches"], tmp_path, "UTC")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    assert con.execute("select punched_at from raw_attendance.punches").fetchone()[0] == dt.datetime(2024, 1, 5, 8)

    folder = tmp_path / "erp" / "fx_rates"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"rate_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 2)],
                             "currency": ["USD", "USD"], "rate_to_base": [7.1, -1.0]}), folder / "fx.parquet")
    result = load_entity(con, CONTRACTS["erp.fx_rates"], tmp_path, "UTC")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert con.execute("select row_number, column_name from ingest.quarantine where entity = 'fx_rates'"
                       ).fetchone() == (2, "rate_to_base")


def test_unreadable_file_names_the_file_and_writes_nothing(tmp_path, con):
    _orders_file(tmp_path, "a_good.csv", ["O1,C1,E1,2024-01-05T09:00:00,,,online,south,CNY,open"])
    folder = tmp_path / "erp" / "sales_orders"
    (folder / "b_broken.csv").write_text("order_id,customer_id\nO2,C1\n")
    with pytest.raises(UnreadableFile) as err:
        load_entity(con, ORDERS, tmp_path, "UTC")
    assert "b_broken.csv" in str(err.value)
    assert "required column(s)" in str(err.value) and "salesperson_id" in str(err.value)
    # the whole entity is one transaction: the good file before it was not kept either
    assert con.execute("select count(*) from information_schema.tables where table_schema = 'raw_erp'"
                       ).fetchone()[0] == 0


def test_undecodable_text_is_an_unreadable_file(tmp_path, con):
    folder = tmp_path / "erp" / "sales_orders"
    folder.mkdir(parents=True)
    (folder / "x.csv").write_bytes(HEADER.encode() + b"\n\xff\xfe\xfa\xff,\x81\x30\n")
    with pytest.raises(UnreadableFile, match="neither UTF-8 nor GBK"):
        load_entity(con, ORDERS, tmp_path, "UTC")
