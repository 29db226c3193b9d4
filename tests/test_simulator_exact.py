"""The simulator's faster forms give exactly what the plain forms give (the files stay byte for byte the same)."""

import numpy as np

from ingest.simulator import cells
from ingest.simulator.attendance import working_span_end
from ingest.simulator.crm import _pick_customers
from ingest.simulator.finance import round_cents
from ingest.simulator.period import Period
from ingest.simulator.texts import serial_ids, stamp_texts


def test_round_cents_is_pythons_round():
    # exact binary halves go to the even cent; 2.675 and 1.005 lie just below their half in binary
    assert round_cents(np.array([0.125, 0.375, -0.125, 2.675, 1.005, 0.0])).tolist() == [0.12, 0.38, -0.12, 2.67, 1.0, 0.0]
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.random(200_000) * 1e6,
            np.round(rng.random(200_000) * 1e4, 3),  # many values on (or next to) a half cent
            (rng.integers(-(10**6), 10**6, 200_000) + 0.5) / 100,
            rng.integers(1, 500, 200_000) * np.round(rng.random(200_000) * 300, 2),
        ]
    )
    expected = np.array([round(v, 2) for v in values.tolist()])
    assert np.array_equal(round_cents(values).view(np.int64), expected.view(np.int64))  # bit for bit, sign of 0 too


class _Holdings:
    def __init__(self, rng: np.random.Generator, n_segs: int):
        self.seg_customer = rng.integers(0, 500, n_segs)
        self.seg_from = rng.integers(-30, 300, n_segs)
        self.seg_to = self.seg_from + rng.integers(0, 400, n_segs)
        self.size = np.exp(rng.normal(0, 0.6, 500))

    def segments_of(self, rep: int) -> np.ndarray:
        return np.arange(len(self.seg_customer))


def _pick_by_matrix(customers: _Holdings, days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The plain form: a days x segments matrix of weights, its running sums compared with a draw per day."""
    segs = customers.segments_of(0)
    cust = customers.seg_customer[segs]
    d = days[:, None]
    ok = (customers.seg_from[segs][None, :] <= d) & (d <= customers.seg_to[segs][None, :])
    w = ok * customers.size[cust][None, :]
    total = w.sum(axis=1)
    pick = np.minimum((np.cumsum(w, axis=1) <= (rng.random(len(days)) * total)[:, None]).sum(axis=1), len(segs) - 1)
    return np.where(total > 0, cust[pick], -1)


def test_pick_customers_picks_what_the_matrix_form_picks():
    rng = np.random.default_rng(5)
    held = not_held = 0
    for case in range(300):
        holdings = _Holdings(rng, int(rng.integers(1, 120)))
        days = np.repeat(np.arange(350), rng.poisson(rng.random() * 3, 350))
        if case % 3 == 0:
            days = rng.permutation(days)
        fast = _pick_customers(holdings, 0, days, np.random.default_rng(case))
        plain = _pick_by_matrix(holdings, days, np.random.default_rng(case))
        assert np.array_equal(fast, plain), case
        held, not_held = held + int((plain >= 0).sum()), not_held + int((plain < 0).sum())
    assert held > 10_000 and not_held > 1_000  # the cases include many days with and without holdings


def test_working_span_end_is_the_day_by_day_walk():
    rng = np.random.default_rng(11)
    for _ in range(20_000):
        work = rng.random(int(rng.integers(1, 40))) < rng.random()
        last, start, span = int(rng.integers(0, len(work))), int(rng.integers(0, len(work) + 1)), int(rng.integers(1, 8))
        end, count = start, 1
        while count < span and end + 1 <= last:
            end += 1
            count += bool(work[end])
        assert working_span_end(np.cumsum(work).tolist(), start, span, last) == end
    # hand case: Mon..Sun with the weekend off; 3 working days from Friday run to Tuesday
    week = [True] * 5 + [False] * 2
    assert working_span_end(np.cumsum(week + week).tolist(), 4, 3, 13) == 8


def test_serial_ids_are_the_f_strings():
    assert serial_ids("PN", 9, np.array([0, 41, 999_999_998])).tolist() == ["PN000000001", "PN000000042", "PN999999999"]
    assert serial_ids("IQ", 7, np.array([9_999_999])).tolist() == ["IQ10000000"]  # wider than 7 digits, as f"{k:07d}"
    positions = np.concatenate([np.arange(1500), np.random.default_rng(2).integers(0, 10**8 - 1, 50_000)])
    expected = [f"AC{k + 1:08d}" for k in positions.tolist()]
    assert serial_ids("AC", 8, positions).tolist() == expected
    assert serial_ids("INV", 7, np.arange(0)).tolist() == []


def test_stamp_texts_are_what_cells_stamps_writes():
    period = Period("2024-01", 14)  # a leap day, and days in two years
    seconds = np.concatenate([[0, 59, 86399, 86400], np.random.default_rng(4).integers(0, period.n_days * 86400, 50_000)])
    stamps = period.epoch.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    assert stamp_texts(period, seconds)[:4].tolist() == [
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:59",
        "2024-01-01T23:59:59",
        "2024-01-02T00:00:00",
    ]
    assert stamp_texts(period, seconds).tolist() == cells.stamps(stamps).tolist()
