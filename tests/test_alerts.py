"""Alerts: config/alerts.yml (pydantic), the dbt mart fct_alerts on a simulated company, and delivery to the outbox
and a webhook by the Dagster sensor (orchestration/alerts.py), each alert exactly once.

The rules' hand-computed cases and boundaries are dbt unit tests (models/intermediate/alerts/_alerts__unit_tests.yml,
models/marts/alerts/_alerts__unit_tests.yml); here: the configuration, and the delivery's exactly-once guarantee.
"""

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import dagster as dg
import duckdb
import pytest
import yaml

from orchestration.alerts import alerts_outbox_sensor, read_outbox, write_published_alerts
from orchestration.alerts_config import DEFAULT_ALERTS_CONFIG, AlertsConfigError, load_alerts_config
from orchestration.settings import DBT_PROJECT_DIR, get_settings

# --- configuration -----------------------------------------------------------------------------------------


def test_the_shipped_config_equals_the_dbt_defaults() -> None:
    # a bare `dbt build` (dbt_project.yml vars) and a pipeline run (config/alerts.yml) give the same alerts
    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]["alerts"]
    assert load_alerts_config(DEFAULT_ALERTS_CONFIG).dbt_vars() == {"alerts": defaults}


def test_an_invalid_threshold_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yml"
    path.write_text("rules:\n  supply_late:\n    threshold: -1\n", encoding="utf-8")
    with pytest.raises(AlertsConfigError) as error:
        load_alerts_config(path)
    assert str(path) in str(error.value)
    assert "rules.supply_late.threshold" in str(error.value)
    assert "-1" in str(error.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("rules:\n  stock_over_days_of_sales:\n    severity: loud\n", "rules.stock_over_days_of_sales.severity"),
        ("rules:\n  stock_over_days:\n    threshold: 3\n", "rules.stock_over_days"),
        ("delivery:\n  webhook_url: ftp://x\n", "delivery.webhook_url"),
    ],
)
def test_unknown_rules_severities_and_urls_are_refused(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "alerts.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AlertsConfigError, match=field.replace(".", r"\.")):
        load_alerts_config(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AlertsConfigError, match="not found"):
        load_alerts_config(tmp_path / "nowhere.yml")


def test_omitted_settings_take_the_defaults_and_the_environment_sets_the_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "alerts.yml"
    path.write_text("rules:\n  supply_late:\n    threshold: 48\n", encoding="utf-8")
    config = load_alerts_config(path)
    rules = config.dbt_vars()["alerts"]
    assert rules["supply_late"] == {"enabled": True, "severity": "critical", "threshold": 48}
    assert rules["stock_over_days_of_sales"]["threshold"] == 90
    monkeypatch.delenv("SCORELINK_ALERTS_WEBHOOK_URL", raising=False)
    assert config.webhook_url() is None
    monkeypatch.setenv("SCORELINK_ALERTS_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    assert config.webhook_url() == "http://127.0.0.1:9/hook"


# --- delivery ----------------------------------------------------------------------------------------------


def _alert(alert_id: str, became: str = "2024-03-31", value: float = 100.0) -> dict:
    rule, subject, about = alert_id.split(":")
    return {
        "alert_id": alert_id, "rule": rule, "severity": "warning", "subject_type": "sku", "subject_id": subject,
        "about": about, "primary_employee_id": "S1", "responsible_employee_ids": "S1;B1", "detail": "x",
        "unit": "days of sales", "measured_value": value, "threshold_value": 90.0, "is_current": True,
        "became_true_date": became, "last_true_date": became, "as_of_date": "2024-03-31",
    }


def _publish(published_dir: Path, alerts: list[dict]) -> Path:
    """Publish ALERTS as the pipeline does: a marts.fct_alerts table copied by write_published_alerts."""
    con = duckdb.connect()
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_alerts (alert_id varchar, rule varchar, severity varchar, subject_type varchar, "
            "subject_id varchar, about varchar, primary_employee_id varchar, responsible_employee_ids varchar, "
            "detail varchar, unit varchar, measured_value decimal(28,6), threshold_value decimal(28,6), "
            "is_current boolean, became_true_date date, last_true_date date, as_of_date date)")
        for a in alerts:
            con.execute("insert into marts.fct_alerts values (" + ", ".join("?" * len(a)) + ")", list(a.values()))
        path, rows = write_published_alerts(con, published_dir)
    finally:
        con.close()
    assert rows == len(alerts)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path))
    monkeypatch.delenv("SCORELINK_ALERTS_CONFIG", raising=False)
    monkeypatch.delenv("SCORELINK_ALERTS_WEBHOOK_URL", raising=False)
    get_settings.cache_clear()
    with mock.patch.dict(os.environ):  # the CLI exports its settings into os.environ: undo it after the test
        yield tmp_path
    get_settings.cache_clear()


def _tick() -> str:
    """One evaluation of a freshly built sensor (as after a restart of the daemon)."""
    sensor = alerts_outbox_sensor()
    result = sensor(dg.build_sensor_context())
    assert isinstance(result, dg.SkipReason)
    return result.skip_message or ""


def _outbox_ids(home: Path) -> list[str]:
    return [line["alert_id"] for line in read_outbox(home / "outbox" / "alerts.jsonl")]


FIRST = ["stock_over_days_of_sales:A:2024-03", "supply_late:P1-1:2024-03-01", "new_customer_not_followed_up:C1:2024-03-02"]


def test_the_sensor_delivers_each_alert_once_across_evaluations_and_restarts(home: Path) -> None:
    assert "0 new alert(s)" in _tick()  # nothing published yet
    _publish(home / "published", [_alert(a) for a in FIRST])
    assert "3 new alert(s)" in _tick()
    assert "0 new alert(s)" in _tick()
    assert sorted(_outbox_ids(home)) == sorted(FIRST)
    # the next pipeline run: the same alerts (one with a new value, same id) and one new
    _publish(home / "published", [_alert(FIRST[0], value=120.0), *(_alert(a) for a in FIRST[1:]),
                                  _alert("stock_over_days_of_sales:B:2024-04", became="2024-04-30")])
    assert "1 new alert(s)" in _tick()
    assert "0 new alert(s)" in _tick()
    ids = _outbox_ids(home)
    assert sorted(ids) == sorted([*FIRST, "stock_over_days_of_sales:B:2024-04"])
    assert len(ids) == len(set(ids))
    line = read_outbox(home / "outbox" / "alerts.jsonl")[0]
    assert line["measured_value"] == 100.0 and line["threshold_value"] == 90.0 and line["delivered_at"]


def test_a_write_cut_short_by_a_crash_is_written_again_once(home: Path) -> None:
    _publish(home / "published", [_alert(a) for a in FIRST])
    _tick()
    outbox = home / "outbox" / "alerts.jsonl"
    # the process died in the middle of appending a fourth alert: half a line, no newline
    _publish(home / "published", [*(_alert(a) for a in FIRST), _alert("supply_late:P9-1:2024-03-05")])
    with outbox.open("ab") as handle:
        handle.write(b'{"alert_id": "supply_late:P9-1:2024-03-05", "rule": "sup')
    assert len(_outbox_ids(home)) == 3  # the partial line is not counted as delivered
    message = _tick()
    assert "1 new alert(s)" in message and "cut off" in message
    ids = _outbox_ids(home)
    assert sorted(ids) == sorted([*FIRST, "supply_late:P9-1:2024-03-05"]) and len(ids) == 4
    assert outbox.read_bytes().endswith(b"\n")


def test_the_sensor_delivers_while_a_pipeline_holds_the_warehouse_lock(home: Path) -> None:
    """Another process holds DuckDB's write lock on the warehouse (a running pipeline): the sensor does not need it."""
    import subprocess
    import sys

    warehouse = home / "warehouse" / "scorelink.duckdb"
    warehouse.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.read()", str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException):  # the lock is real: even a read-only connection is refused
            duckdb.connect(str(warehouse), read_only=True)
        _publish(home / "published", [_alert(a) for a in FIRST])
        assert "3 new alert(s)" in _tick()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert sorted(_outbox_ids(home)) == sorted(FIRST)


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []
    fail_next = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if type(self).fail_next > 0:
            type(self).fail_next -= 1
            self.send_response(500)
        else:
            type(self).received.append((self.headers["Idempotency-Key"], body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received, _Receiver.fail_next = [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    finally:
        server.shutdown()
        server.server_close()


def test_the_webhook_receives_each_alert_once_and_a_failed_post_is_retried(
    home: Path, receiver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELINK_ALERTS_WEBHOOK_URL", receiver)
    _publish(home / "published", [_alert(a) for a in FIRST])
    _Receiver.fail_next = 1  # the receiver is down for the first request
    message = _tick()
    assert "3 new alert(s)" in message and "failed and stay pending" in message
    assert _Receiver.received == []
    assert "3 posted" in _tick()
    assert "posted" not in _tick()  # nothing left to post
    assert len(_Receiver.received) == 3
    _publish(home / "published", [*(_alert(a) for a in FIRST), _alert("stock_over_days_of_sales:B:2024-04")])
    _tick()
    _tick()
    keys = [key for key, _ in _Receiver.received]
    assert sorted(keys) == sorted([*FIRST, "stock_over_days_of_sales:B:2024-04"])
    assert all(body["alert_id"] == key for key, body in _Receiver.received)
    # the outbox got each alert once as well, whatever the webhook did
    assert sorted(_outbox_ids(home)) == sorted(keys)


def test_scorelink_alerts_delivers_once_from_the_command_line(home: Path) -> None:
    from typer.testing import CliRunner

    from orchestration.cli import app

    runner = CliRunner()
    before = runner.invoke(app, ["alerts"])
    assert before.exit_code == 1 and "no published alerts yet" in before.output
    _publish(home / "published", [_alert(a) for a in FIRST])
    first = runner.invoke(app, ["alerts"])
    assert first.exit_code == 0, first.output
    assert "3 new alert(s)" in first.output
    again = runner.invoke(app, ["alerts"])
    assert "0 new alert(s)" in again.output
    assert sorted(_outbox_ids(home)) == sorted(FIRST)


# --- a simulated company whose data grows by a month -------------------------------------------------------


@pytest.mark.slow
def test_real_alerts_keep_their_ids_as_data_grows_and_each_is_delivered_once(home: Path) -> None:
    """Build fct_alerts on January to March of a simulated company, deliver; then on January to April, deliver:
    every March alert keeps its id (its value may move), April brings new ones, and the outbox holds each once."""
    from dbt_runs import load_simulated_company, run_dbt

    warehouse = load_simulated_company(home / "company", employees=40, months=4, seed=11)
    outbox = home / "outbox" / "alerts.jsonl"

    def build_and_deliver(*dbt_args: str) -> set[str]:
        run = run_dbt(warehouse, home / "company", "run", "--select", "+fct_alerts", *dbt_args)
        assert run.returncode == 0, run.stdout[-4000:]
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            write_published_alerts(con, home / "published")
            ids = {row[0] for row in con.execute("select alert_id from marts.fct_alerts").fetchall()}
        finally:
            con.close()
        _tick()
        return ids

    march = build_and_deliver("--vars", json.dumps({"end_month": "2024-03"}))
    assert sorted(_outbox_ids(home)) == sorted(march)
    rules = {alert_id.split(":")[0] for alert_id in march}
    assert {"stock_over_days_of_sales", "new_customer_not_followed_up", "supply_late"} <= rules, rules
    april = build_and_deliver()
    assert march <= april, sorted(march - april)[:5]
    assert april - march, "a month more data brings new alerts"
    delivered = _outbox_ids(home)
    assert len(delivered) == len(set(delivered)) == len(april)
    _tick()  # a further tick, nothing new
    assert len(read_outbox(outbox)) == len(april)
