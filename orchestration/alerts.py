"""Alert delivery: the published alerts file, and a sensor that delivers each new alert exactly once.

1. The asset published/alerts (downstream of the dbt mart marts.fct_alerts, in the pipeline's serialized run)
   writes HOME/published/alerts/alerts.parquet atomically (a temporary file, then os.replace). Like the published
   scores it depends directly on every asset with a blocking check (Dagster's blocking reaches direct dependents
   only): data a quality gate rejected sends managers no alerts.
2. The sensor scorelink_alerts_outbox reads that file, never the warehouse: a running pipeline holds DuckDB's one
   write lock for minutes and a sensor tick must neither wait for it nor take it (a read-only connection to the
   warehouse file fails while a writer holds it). It appends every alert whose alert_id is not yet in the outbox
   (HOME/outbox/alerts.jsonl; config/alerts.yml delivery.outbox) and, when a webhook URL is set
   (SCORELINK_ALERTS_WEBHOOK_URL or delivery.webhook_url), POSTs each outbox alert not yet acknowledged.

Exactly once, across runs and restarts: the outbox is its own ledger. An alert is delivered when its line, with
its newline, is in the file; every evaluation first reads the ids already there (under an exclusive file lock),
so a restarted sensor, a second process or a re-published file never writes an id twice. Each line goes out in
one write and is fsynced before the next; if the process dies in the middle, the file ends with a partial line
without a newline, which the next evaluation cuts off before it appends (that alert was not delivered and is
written again, whole). Dagster's sensor cursor is not used as the ledger: it is stored only after the
evaluation returns, so a crash after the write would deliver again.

The webhook keeps a second ledger (HOME/outbox/webhook_delivered.txt: ids the receiver acknowledged with a 2xx),
appended and fsynced after each acknowledgement. Between a 2xx and that append a crash would POST once more on
restart, so each request carries the header Idempotency-Key: <alert_id> for the receiver to drop a repeat; a
failed POST (no answer, not 2xx) stays pending and is retried at the next evaluation.
"""

import datetime as dt
import decimal
import fcntl
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from orchestration.alerts_config import AlertsConfig, load_alerts_config
from orchestration.settings import get_settings
from orchestration.target_io import mart_reader
from orchestration.warehouse import WarehouseResource

ALERTS_MART = dg.AssetKey(["marts", "fct_alerts"])
WEBHOOK_LEDGER = "webhook_delivered.txt"


def published_alerts_path(published_dir: Path) -> Path:
    return published_dir / "alerts" / "alerts.parquet"


def outbox_path(home: Path, config: AlertsConfig) -> Path:
    return (home / config.delivery.outbox).resolve()


# --- publishing ----------------------------------------------------------------------------------------------


def write_published_alerts(con: duckdb.DuckDBPyConnection, published_dir: Path) -> tuple[Path, int]:
    """Copy marts.fct_alerts to HOME/published/alerts/alerts.parquet, replaced atomically; (path, rows)."""
    target = published_alerts_path(published_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        con.execute(
            f"copy (select * from marts.fct_alerts order by became_true_date, alert_id) to '{tmp}' (format parquet)")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    rows = con.execute("select count(*) from marts.fct_alerts").fetchone()[0]
    return target, rows


def build_published_alerts_asset(gated_assets: Iterable[dg.AssetKey] = ()) -> dg.AssetsDefinition:
    """The published alerts asset, downstream of fct_alerts and of every asset with a blocking check."""
    gates = sorted(set(gated_assets) - {ALERTS_MART}, key=lambda k: k.to_user_string())

    @dg.asset(
        key=["published", "alerts"],
        deps=[ALERTS_MART, *gates],
        group_name="published",
        kinds={"duckdb", "parquet"},
        tags={"scorelink/writes": "warehouse"},
        description="marts.fct_alerts as HOME/published/alerts/alerts.parquet (replaced atomically), the file the "
        "sensor scorelink_alerts_outbox delivers from without touching the warehouse. Runs only when every blocking "
        "check upstream passed.",
    )
    def published_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        reader = mart_reader(get_settings())
        if reader is not None:  # dbt built the marts on PostgreSQL or Spark: read fct_alerts there
            con = duckdb.connect()
            try:
                con.register("_fct_alerts", reader(f"select * from {'.'.join(ALERTS_MART.path)}", []))
                con.execute("create schema marts")
                con.execute("create view marts.fct_alerts as select * from _fct_alerts")
                path, rows = write_published_alerts(con, get_settings().published_dir)
            finally:
                con.close()
        else:
            with warehouse.connect(read_only=True) as con:
                path, rows = write_published_alerts(con, get_settings().published_dir)
        context.log.info(f"published {rows} alert(s) to {path}")
        return dg.MaterializeResult(metadata={"dagster/row_count": rows, "path": dg.MetadataValue.path(str(path))})

    return published_alerts


# --- delivery ------------------------------------------------------------------------------------------------


def read_published_alerts(path: Path) -> list[dict[str, Any]]:
    """The published alerts, oldest first; [] before the first publication."""
    if not path.exists():
        return []
    con = duckdb.connect()
    try:
        cursor = con.execute("select * from read_parquet(?) order by became_true_date, alert_id", [str(path)])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock beside PATH, so two processes never append at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _repair_tail(path: Path) -> bool:
    """Cut a partial last line (a crash in the middle of a write) off PATH; True when something was cut."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb+") as handle:
        data = handle.read()
        if data.endswith(b"\n"):
            return False
        handle.truncate(data.rfind(b"\n") + 1)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def read_outbox(path: Path) -> list[dict[str, Any]]:
    """Every delivered alert in the outbox, in order; a line that is not JSON is an error naming file and line."""
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                break  # a partial last line is not delivered (cut off before the next append)
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number} is not JSON: {exc}") from exc
    return out


def _append_line(path: Path, text: str) -> None:
    with path.open("ab") as handle:
        handle.write(text.encode("utf-8") + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def _post(url: str, alert: dict[str, Any], timeout: float) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(alert, sort_keys=True).encode("utf-8"),
        headers={"Content-Type": "application/json", "Idempotency-Key": alert["alert_id"]},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked by config)
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "not 2xx", response.headers, None)


@dataclass
class DeliveryReport:
    published: int = 0
    written: list[str] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)
    webhook_errors: list[str] = field(default_factory=list)
    repaired: bool = False

    def summary(self) -> str:
        text = f"{len(self.written)} new alert(s) written to the outbox ({self.published} published)"
        if self.posted or self.webhook_errors:
            text += f"; {len(self.posted)} posted to the webhook"
        if self.webhook_errors:
            text += f", {len(self.webhook_errors)} failed and stay pending: {self.webhook_errors[0]}"
        if self.repaired:
            text += "; a partial last line (interrupted write) was cut off and written again"
        return text


def deliver_alerts(published: Path, outbox: Path, webhook_url: str | None = None,
                   timeout: float = 10.0) -> DeliveryReport:
    """Append the published alerts not yet in OUTBOX, then POST the outbox's alerts not yet acknowledged."""
    report = DeliveryReport()
    alerts = read_published_alerts(published)
    report.published = len(alerts)
    with _locked(outbox):
        report.repaired = _repair_tail(outbox)
        delivered = {line["alert_id"] for line in read_outbox(outbox)}
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for alert in alerts:
            if alert["alert_id"] in delivered:
                continue
            line = {key: _jsonable(value) for key, value in alert.items()} | {"delivered_at": now}
            _append_line(outbox, json.dumps(line, sort_keys=True))
            delivered.add(alert["alert_id"])
            report.written.append(alert["alert_id"])
        if webhook_url:
            ledger = outbox.with_name(WEBHOOK_LEDGER)
            _repair_tail(ledger)
            acknowledged = set(ledger.read_text(encoding="utf-8").split()) if ledger.exists() else set()
            for line in read_outbox(outbox):
                if line["alert_id"] in acknowledged:
                    continue
                try:
                    _post(webhook_url, line, timeout)
                except (OSError, urllib.error.URLError) as exc:
                    report.webhook_errors.append(f"{line['alert_id']}: {exc}")
                    break  # keep the order: the rest waits for the next evaluation
                _append_line(ledger, line["alert_id"])
                acknowledged.add(line["alert_id"])
                report.posted.append(line["alert_id"])
    return report


def alerts_outbox_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="scorelink_alerts_outbox",
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Delivers each new alert (HOME/published/alerts/alerts.parquet) exactly once to the outbox "
        "HOME/outbox/alerts.jsonl and, when set, to the webhook URL. Reads the published file, never the warehouse.",
    )
    def scorelink_alerts_outbox(context: dg.SensorEvaluationContext):
        settings = get_settings()
        config = load_alerts_config()
        report = deliver_alerts(
            published_alerts_path(settings.published_dir),
            outbox_path(settings.home, config),
            config.webhook_url(),
            config.delivery.webhook_timeout_seconds,
        )
        context.log.info(report.summary())
        if report.webhook_errors:
            context.log.warning("; ".join(report.webhook_errors[:5]))
        return dg.SkipReason(report.summary())

    return scorelink_alerts_outbox
