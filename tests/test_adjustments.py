"""Disputes and manual adjustments: recorded append-only, flowing into the next published version once approved."""

import duckdb
import pytest
from published_marts import create_missing_marts
from test_publish import MART

from orchestration.publish import PublishError, decide_adjustment, publish_scores, request_adjustment


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute(MART)
    create_missing_marts(c)
    publish_scores(c, run_id="run-1")
    yield c
    c.close()


def _versions(con, period):
    return con.execute("select version, changed_rows, reason from published.score_versions where period = ? "
                       "order by version", [period]).fetchall()


def test_an_approved_dispute_flows_into_the_next_version_with_deltas_and_the_reason(con):
    # E2's January final score was 96.0 (120 x 0.8): the employee disputes a missing order worth 4 points
    adj = request_adjustment(con, kind="dispute", period="2024-01", employee_id="E2", change=4.0,
                             reason="order SO-17 of 30 January is missing", requested_by="E2")
    decide_adjustment(con, adj, approve=True, decided_by="M1", note="checked the ERP")
    [jan, feb] = publish_scores(con, run_id="run-2", published_by="hr:anna")
    assert (jan.period, jan.version, jan.published, jan.changed_rows) == ("2024-01", 2, True, 1)
    assert not feb.published
    (reason,) = con.execute("select reason from published.score_versions where period = '2024-01' and version = 2"
                            ).fetchone()
    assert reason == ("restatement: applies dispute ADJ00001 (final_score +4 for E2, approved by M1: order SO-17 of "
                      "30 January is missing)")
    # the published row shows the adjusted value, the adjustment id and the unadjusted value
    assert con.execute("select final_score, adjustment_ids, unadjusted_final_score from published.role_scores_current "
                       "where period = '2024-01' and employee_id = 'E2'").fetchone() == (100.0, "ADJ00001", 96.0)
    assert con.execute("select employee_id, field, old_value, new_value, delta from published.score_deltas "
                       "where period = '2024-01' and version = 2 order by field").fetchall() == [
        ("E2", "adjustment_ids", None, "ADJ00001", None), ("E2", "final_score", "96.0", "100.0", 4.0)]
    # version 1 keeps the unadjusted score
    assert con.execute("select version, final_score from published.role_scores where period = '2024-01' "
                       "and employee_id = 'E2' order by 1").fetchall() == [(1, 96.0), (2, 100.0)]
    # publishing again is a no-op: the adjustment is in the fingerprint
    assert not any(r.published for r in publish_scores(con, run_id="run-3"))


def test_an_unapproved_or_rejected_adjustment_changes_nothing(con):
    request_adjustment(con, kind="adjustment", period="2024-01", employee_id="E1", change=-10.0,
                       reason="coached twice on data entry", requested_by="M1")
    rejected = request_adjustment(con, kind="dispute", period="2024-02", employee_id="E1", change=5.0,
                                  reason="sick leave not prorated", requested_by="E1")
    decide_adjustment(con, rejected, approve=False, decided_by="M1", note="prorated already")
    assert not any(r.published for r in publish_scores(con, run_id="run-2"))
    assert _versions(con, "2024-01") == [(1, 0, "first publication (period close)")]
    assert con.execute("select count(*) from published.adjustments").fetchone()[0] == 2


def test_adjustments_are_recorded_once_and_decided_by_someone_else(con):
    with pytest.raises(PublishError, match="E3 has no published role_scores row for 2024-02"):
        request_adjustment(con, kind="dispute", period="2024-02", employee_id="E3", change=1.0, reason="x",
                           requested_by="E3")
    adj = request_adjustment(con, kind="adjustment", period="2024-01", employee_id="E1", change=2.0,
                             reason="team lead cover", requested_by="M1")
    with pytest.raises(PublishError, match="someone else must decide it"):
        decide_adjustment(con, adj, approve=True, decided_by="M1")
    decide_adjustment(con, adj, approve=True, decided_by="HR1")
    with pytest.raises(PublishError, match="already decided"):
        decide_adjustment(con, adj, approve=False, decided_by="HR2")
    assert con.execute("select adjustment_id, decision, approved_change, decided_by from "
                       "published.adjustment_decisions").fetchall() == [("ADJ00001", "approved", 2.0, "HR1")]
