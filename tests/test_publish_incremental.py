"""Publication's shortcuts keep every published value: grouped fingerprints, drafts derived after publishing,
serving copies rewritten only when the published store or a copy changed."""

import os

import duckdb
import pytest
from fingerprint_reference import reference_digest
from published_marts import create_missing_marts
from test_publish import MART

from orchestration import publish
from orchestration.publish import (
    SERVING_STATE,
    close_and_record_status,
    closed_periods,
    decide_adjustment,
    ensure_store,
    period_digests,
    period_status,
    publish_first_versions,
    publish_scores,
    request_adjustment,
    write_serving_copies,
)

# Quarterly incentives closing in January and February (period_end in the month), so that both adjustable tables
# have rows.
INCENTIVES = """
insert into marts.fct_incentives (employee_id, period_start, period, role, final_score, total_incentive_base,
                                  net_bonus_base, is_promotion_eligible, period_end)
values ('E1', date '2023-11-01', '2023-Q4', 'sales_rep', 72.5, 1200.50, 1000, true, date '2024-01-31'),
       ('E2', date '2023-11-01', '2023-Q4', 'sales_rep', 96.0, 2400.25, 2000, false, date '2024-01-31'),
       ('E1', date '2023-12-01', '2024-Q1', 'sales_rep', 0, 0, 0, false, date '2024-02-29');
"""


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute(MART)
    create_missing_marts(c)
    c.execute(INCENTIVES)
    ensure_store(c)  # what publication and period_status create first
    yield c
    c.close()


def _adjust(con, period, employee, change, table="role_scores", approve=True):
    adj = request_adjustment(con, kind="adjustment", period=period, employee_id=employee, table_name=table,
                             change=change, reason="test", requested_by="M1")
    decide_adjustment(con, adj, approve=approve, decided_by="HR1")


def _assert_equal_to_reference(con):
    closed = closed_periods(con)
    assert closed == ["2024-01", "2024-02"]
    grouped = period_digests(con, closed)
    assert period_digests(con, closed, batch_rows=1) == grouped  # one month per query: the same values
    for period in closed:
        fingerprint, counts, digests, sources = reference_digest(con, period)
        d = grouped[period]
        assert (d.fingerprint, d.row_counts, d.digests, d.source_digests) == (fingerprint, counts, digests, sources)
    return grouped


def test_grouped_fingerprints_equal_the_per_period_reference_with_and_without_adjustments(con):
    before = _assert_equal_to_reference(con)
    assert before["2024-01"].row_counts == {"role_scores": 3, "sales_rep_scores": 2, "incentives": 2, "kpi_scores": 0,
                                            "metric_values": 0, "inventory_attribution": 0, "attribution_people": 0,
                                            "attribution_departments": 0, "hiring_funnel": 0}
    publish_scores(con, run_id="run-1")
    # two approved adjustments for E2 in January (summed), one rejected, one on the incentives of E1
    _adjust(con, "2024-01", "E2", 4.0)
    _adjust(con, "2024-01", "E2", -1.5)
    _adjust(con, "2024-01", "E1", 10.0, approve=False)
    _adjust(con, "2024-01", "E1", 99.75, table="incentives")
    after = _assert_equal_to_reference(con)
    # the adjustments change January's published rows, not the marts' rows; February is untouched
    jan, jan0 = after["2024-01"], before["2024-01"]
    assert jan.fingerprint != jan0.fingerprint
    assert jan.digests["role_scores"] != jan0.digests["role_scores"]
    assert jan.digests["incentives"] != jan0.digests["incentives"]
    assert jan.source_digests == jan0.source_digests
    assert after["2024-02"] == before["2024-02"]
    # the restatement's ledger holds exactly these values, and is verified by the next publication
    [r] = publish_scores(con, run_id="run-2", periods=["2024-01"], reason="approved adjustments")
    assert (r.version, r.published, r.changed_rows, r.fingerprint) == (2, True, 2, jan.fingerprint)
    assert con.execute("select input_fingerprint from published.score_versions where period = '2024-01' "
                       "and version = 2").fetchone() == (jan.fingerprint,)
    assert dict(con.execute("select table_name, fingerprint from published.version_tables where period = '2024-01' "
                            "and version = 2").fetchall()) == jan.digests
    assert con.execute("select final_score, adjustment_ids, unadjusted_final_score from published.role_scores "
                       "where period = '2024-01' and version = 2 and employee_id = 'E2'").fetchone() == (
        98.5, "ADJ00001,ADJ00002", 96.0)
    assert not any(x.published for x in publish_scores(con, run_id="run-3"))


def test_drafts_after_a_pipeline_publication_equal_period_status_called_again(con):
    publish_scores(con, run_id="run-1", periods=["2024-01"])
    con.execute("update marts.fct_sales_rep_monthly_scores set score = 95 where employee_id = 'E1' "
                "and month = date '2024-01-01'")  # late data: January waits for the period close
    states, published = publish_first_versions(con, "run-2")
    assert [(p.period, p.version, p.published) for p in published] == [("2024-02", 1, True)]
    assert [(s["period"], s["state"], s["published_version"]) for s in states] == [
        ("2024-01", "restatement pending", 1), ("2024-02", "published", 1)]
    drafts = con.execute("select * exclude (checked_at) from draft.period_status order by period").fetchall()
    assert period_status(con, "run-2") == states
    assert con.execute("select * exclude (checked_at) from draft.period_status order by period").fetchall() == drafts
    # a second run publishes nothing and leaves the same drafts
    assert publish_first_versions(con, "run-2") == (states, [])


def test_the_period_close_fingerprints_once_and_leaves_drafts_equal_to_period_status(con, monkeypatch):
    publish_scores(con, run_id="run-1", periods=["2024-01"])
    con.execute("update marts.fct_sales_rep_monthly_scores set score = 95 where employee_id = 'E1' "
                "and month = date '2024-01-01'")  # late data: January waits for the period close
    fingerprinted = []
    real = publish.period_digests

    def counting(c, periods, **kwargs):
        fingerprinted.extend(periods)
        return real(c, periods, **kwargs)

    monkeypatch.setattr(publish, "period_digests", counting)
    [result] = close_and_record_status(con, "run-2", ["2024-01"], reason="late order", published_by="hr.anna")
    assert (result.period, result.version, result.published) == ("2024-01", 2, True)
    assert sorted(fingerprinted) == ["2024-01", "2024-02"]  # each closed month once (was: January twice)
    drafts = con.execute("select period, state, published_version, draft_fingerprint from draft.period_status "
                         "order by period").fetchall()
    assert [d[:3] for d in drafts] == [("2024-01", "published", 2), ("2024-02", "unpublished", None)]
    monkeypatch.setattr(publish, "period_digests", real)
    assert [(s["period"], s["state"], s["published_version"], s["draft_fingerprint"])
            for s in period_status(con, "run-3")] == drafts  # computed again from scratch: the same drafts
    # a period that is not closed is refused, and nothing is published
    with pytest.raises(publish.PublishError, match="not closed"):
        close_and_record_status(con, "run-4", ["2024-03"])
    assert con.execute("select count(*) from published.score_versions").fetchone() == (2,)


def _stamps(folder):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def _serving(path, sql):
    with duckdb.connect(str(path), read_only=True) as c:
        return c.execute(sql).fetchall()


def test_serving_copies_are_rewritten_only_when_the_store_or_a_copy_changed(con, tmp_path):
    publish_scores(con, run_id="run-1")
    files = write_serving_copies(con, tmp_path)
    serving = files["serving_duckdb"]
    assert (tmp_path / SERVING_STATE).exists()
    first = _stamps(tmp_path)
    assert len(first) == len(files) + 1  # every copy and the state file
    # nothing changed: not one file is written again
    assert write_serving_copies(con, tmp_path) == files
    publish_scores(con, run_id="run-2")  # a no-op publication
    write_serving_copies(con, tmp_path)
    assert _stamps(tmp_path) == first

    # a deleted copy is written again
    files["role_scores"].unlink()
    write_serving_copies(con, tmp_path)
    assert _serving(serving, "select count(*) from read_parquet(?)".replace("?", f"'{files['role_scores']}'")) == [(5,)]
    # a copy overwritten in place (same size) is written again
    data = files["sales_rep_scores"].read_bytes()
    files["sales_rep_scores"].write_bytes(b"\0" * len(data))
    os.truncate(serving, 0)
    write_serving_copies(con, tmp_path)
    assert files["sales_rep_scores"].read_bytes() == data
    assert _serving(serving, "select count(*) from published.sales_rep_scores") == [(4,)]
    second = _stamps(tmp_path)
    write_serving_copies(con, tmp_path)
    assert _stamps(tmp_path) == second

    # an approved adjustment (the store changed) is in the copies at once, before any publication
    _adjust(con, "2024-01", "E2", 4.0)
    write_serving_copies(con, tmp_path)
    assert _serving(serving, "select adjustment_id, decision from published.adjustments join "
                             "published.adjustment_decisions using (adjustment_id)") == [("ADJ00001", "approved")]
    # a new version is in the copies
    publish_scores(con, run_id="run-3", periods=["2024-01"], reason="dispute")
    write_serving_copies(con, tmp_path)
    assert _serving(serving, "select version, final_score from published.role_scores_current "
                             "where period = '2024-01' and employee_id = 'E2'") == [(2, 100.0)]
    third = _stamps(tmp_path)
    assert all(third[name] != second[name] for name in ("serving.duckdb", "role_scores.parquet", SERVING_STATE))
    # a corrupt state file only costs a rewrite
    (tmp_path / SERVING_STATE).write_text("{not json")
    write_serving_copies(con, tmp_path)
    assert _serving(serving, "select count(*) from published.score_versions") == [(3,)]
