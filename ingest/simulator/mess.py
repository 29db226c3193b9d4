"""The data-quality mess a real company's exports carry, planted deterministically and recorded.

- late records: a few orders of month M (header and lines) arrive in the files of month M+1, and a few
  time-clock punches of the last day of a month arrive with the next month;
- duplicates: a few orders (header and lines) are delivered again, identical, in the next month's files;
  a few activities too; and a couple of order lines are delivered again with a corrected unit price (the
  first delivery carried the list price instead of the net price; the later delivery is right);
- malformed rows: a handful of rows that break the contract (bad date, value outside the allowed
  values, missing required value, value below the minimum or above the maximum, a CSV row with one field
  too many), only in entities that no other entity references.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest.simulator.layout import LandingFile
from ingest.simulator.period import Period


@dataclass
class MessReport:
    late_records: list[dict]
    duplicate_records: list[dict]
    malformed_rows: list[dict]


class _Planter:
    def __init__(self, files: list[LandingFile], period: Period, rng: np.random.Generator):
        self.files, self.period, self.rng = files, period, rng
        self.by_key = {(f.entity, f.month): f for f in files}
        self.late: list[dict] = []
        self.dupes: list[dict] = []
        self.bad: list[dict] = []
        self.touched_orders: set[str] = set()

    def get(self, entity: str, month: int | None = None) -> LandingFile | None:
        return self.by_key.get((entity, month))

    def _choose(self, positions: np.ndarray, k: int) -> list[int]:
        k = min(k, len(positions))
        return sorted(int(x) for x in self.rng.choice(positions, size=k, replace=False)) if k else []

    # -- late and duplicated deliveries ----------------------------------------------------------------------
    def late_orders(self) -> None:
        for m in range(self.period.n_months - 1):
            so, sol = self.get("erp.sales_orders", m), self.get("erp.sales_order_lines", m)
            nxt, nxt_lines = self.get("erp.sales_orders", m + 1), self.get("erp.sales_order_lines", m + 1)
            if not all((so, sol, nxt, nxt_lines)):
                continue
            cutoff = self.period.date(self.period.month_last(m) - 2).isoformat()
            # ordered on or after the cutoff day: an ISO stamp sorts after its own day
            late = np.array([t is not None and t >= cutoff for t in so.column("ordered_at")], dtype=bool)
            cand = np.flatnonzero(late & (so.column("status") == "shipped"))
            picked = self._choose(cand, max(1, round(0.003 * len(so))))
            ids = set(so.column_at("order_id", picked))
            line_pos = np.flatnonzero(pd.Series(sol.column("order_id")).isin(ids).to_numpy())
            nxt.append(so, picked)
            nxt_lines.append(sol, line_pos)
            so.drop(picked)
            sol.drop(line_pos)
            self.touched_orders |= ids
            for oid in sorted(ids):
                self.late.append(
                    {
                        "entity": "erp.sales_orders",
                        "key": {"order_id": oid},
                        "belongs_to_month": self.period.month_labels[m],
                        "delivered_in": nxt.rel,
                        "lines_delivered_in": nxt_lines.rel,
                    }
                )

    def duplicate_orders(self) -> None:
        for m in range(self.period.n_months - 1):
            so, sol = self.get("erp.sales_orders", m), self.get("erp.sales_order_lines", m)
            nxt, nxt_lines = self.get("erp.sales_orders", m + 1), self.get("erp.sales_order_lines", m + 1)
            if not all((so, sol, nxt, nxt_lines)):
                continue
            order_ids = pd.Series(so.column("order_id"))
            cand = np.flatnonzero(~order_ids.isin(self.touched_orders).to_numpy()[: so.original_rows()])
            picked = self._choose(cand, max(1, round(0.0005 * len(so))))
            ids = set(order_ids.iloc[picked])
            line_pos = np.flatnonzero(pd.Series(sol.column("order_id")).isin(ids).to_numpy())
            nxt.append(so, picked)
            nxt_lines.append(sol, line_pos)
            self.touched_orders |= ids
            for oid in sorted(ids):
                self.dupes.append(
                    {
                        "entity": "erp.sales_orders",
                        "key": {"order_id": oid},
                        "identical": True,
                        "files": [so.rel, nxt.rel],
                        "line_files": [sol.rel, nxt_lines.rel],
                    }
                )

    def corrected_lines(self) -> None:
        months = list(range(self.period.n_months - 1))
        for m in months[:1] + months[-1:] if len(months) > 1 else months:
            sol, nxt = self.get("erp.sales_order_lines", m), self.get("erp.sales_order_lines", m + 1)
            if sol is None or nxt is None:
                continue
            ok = ~pd.Series(sol.column("order_id")).isin(self.touched_orders).to_numpy()
            ok[sol.original_rows() :] = False
            ok &= pd.Series(sol.column("quantity")).astype(float).to_numpy() > 0
            (pos,) = self._choose(np.flatnonzero(ok), 1)
            right = sol.get(pos, "unit_price")
            wrong = f"{float(right) * 1.15:.2f}"
            nxt.append(sol, [pos])  # the later delivery carries the right price
            sol.set(pos, "unit_price", wrong)
            oid = str(sol.get(pos, "order_id"))
            self.touched_orders.add(oid)
            self.dupes.append(
                {
                    "entity": "erp.sales_order_lines",
                    "key": {"order_id": oid, "line_number": int(sol.get(pos, "line_number"))},
                    "identical": False,
                    "files": [sol.rel, nxt.rel],
                    "column": "unit_price",
                    "first_value": wrong,
                    "corrected_value": right,
                    "note": "the first delivery carried the list price; the later one has the net price",
                    "first_row_number": sol.row_number(pos),
                    "corrected_row_number": nxt.row_number(len(nxt) - 1),
                }
            )

    def late_punches(self) -> None:
        for m in range(self.period.n_months - 1):
            cur, nxt = self.get("attendance.punches", m), self.get("attendance.punches", m + 1)
            if cur is None or nxt is None:
                continue
            last = self.period.date(self.period.month_last(m)).isoformat()
            stamps = cur.column("punched_at")[: cur.original_rows()]
            cand = np.flatnonzero(np.array([t is not None and t[:10] == last for t in stamps], dtype=bool))
            picked = self._choose(cand, 3)
            punch_ids = cur.column_at("punch_id", picked)
            nxt.append(cur, picked)
            cur.drop(picked)
            for pid in punch_ids:
                self.late.append(
                    {
                        "entity": "attendance.punches",
                        "key": {"punch_id": pid},
                        "belongs_to_month": self.period.month_labels[m],
                        "delivered_in": nxt.rel,
                    }
                )

    def duplicate_activities(self) -> None:
        cur, nxt = self.get("crm.activities", 0), self.get("crm.activities", 1)
        if cur is None or nxt is None:
            return
        picked = self._choose(np.arange(cur.original_rows()), 3)
        nxt.append(cur, picked)
        for aid in cur.column_at("activity_id", picked):
            self.dupes.append(
                {
                    "entity": "crm.activities",
                    "key": {"activity_id": aid},
                    "identical": True,
                    "files": [cur.rel, nxt.rel],
                }
            )

    # -- malformed rows ---------------------------------------------------------------------------
    def _mark(self, f: LandingFile | None, pos: int | None, column: str, value: str | None, problem: str) -> None:
        if f is None or pos is None:  # nothing to spoil in a tiny export
            return
        original = f.get(pos, column)
        f.set(pos, column, value)
        self.bad.append(
            {
                "file": f.rel,
                "row_number": f.row_number(pos),
                "column": column,
                "problem": problem,
                "value": value,
                "original_value": original,
            }
        )

    def _pick(self, f: LandingFile | None, mask: np.ndarray | None = None) -> int | None:
        if f is None:
            return None
        ok = np.ones(f.original_rows(), dtype=bool) if mask is None else mask[: f.original_rows()].copy()
        taken = {b["row_number"] for b in self.bad if b["file"] == f.rel}
        for t in taken:
            pos = t - 1 - f.header_rows
            if 0 <= pos < len(ok):
                ok[pos] = False
        found = self._choose(np.flatnonzero(ok), 1)
        return found[0] if found else None

    def malformed(self) -> None:
        year = self.period.start.year
        last = self.period.n_months - 1
        f = self.get("hr.trainings")
        self._mark(f, self._pick(f), "completed_date", f"{year}-13-45", "bad date (month 13, day 45)")
        f = self.get("hr.surveys")
        self._mark(f, self._pick(f), "score", "6", "above the maximum 5")
        f = self.get("crm.activities", last)
        self._mark(f, self._pick(f), "method", "phone_call", "value outside allowed_values")
        self._mark(f, self._pick(f), "outcome", None, "missing required value")
        f = self.get("crm.inquiries")
        self._mark(f, self._pick(f), "channel", "fax", "value outside allowed_values")
        f = self.get("erp.receipts")
        self._mark(f, self._pick(f), "rejected_qty", "-3", "negative quantity where min=0")
        f = self.get("erp.sales_commitments")
        self._mark(f, self._pick(f), "committed_qty", "-20", "negative quantity where min=0")
        f = self.get("erp.inventory_snapshots", 0)
        self._mark(
            f,
            self._pick(f, None if f is None else (f.column("on_hand_qty") != "0")),
            "on_hand_qty",
            "-4",
            "negative quantity where min=0",
        )
        f = self.get("attendance.punches", 0)
        pos = self._pick(f)
        stamp = "" if pos is None else f.get(pos, "punched_at")
        self._mark(f, pos, "punched_at", f"{year}-02-30{stamp[10:]}", "bad date (30 February)")
        f = self.get("attendance.leave")
        self._mark(f, self._pick(f), "end_date", f"{year}-06-31", "bad date (31 June)")
        self.broken_csv_row()

    def broken_csv_row(self) -> None:
        """A payment whose amount was written with a thousands separator and no quotes: one field too many."""
        f = self.get("erp.payments")
        pos = self._pick(f, (pd.Series(f.column("amount"), dtype=object).astype(float) >= 1000).to_numpy())
        if pos is None:
            return
        row = {name: f.get(pos, name) for name in f.columns}  # one row, not the whole (large) file
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(["" if v is None else v for v in row.values()])
        amount = f"{float(row['amount']):,.2f}"
        fields = buf.getvalue().split(",")
        fields[f.columns.index("amount")] = amount
        f.raw_lines[f.row_number(pos)] = ",".join(fields)
        self.bad.append(
            {
                "file": f.rel,
                "row_number": f.row_number(pos),
                "column": "amount",
                "problem": "wrong number of fields (amount written as "
                f"{amount} without quotes: {len(fields) + 1} fields instead of {len(fields)})",
                "value": amount,
                "original_value": row["amount"],
            }
        )


def plant_mess(files: list[LandingFile], period: Period, rng: np.random.Generator) -> MessReport:
    p = _Planter(files, period, rng)
    p.late_orders()
    p.duplicate_orders()
    p.corrected_lines()
    p.late_punches()
    p.duplicate_activities()
    p.malformed()
    p.bad.sort(key=lambda b: (b["file"], b["row_number"]))
    return MessReport(late_records=p.late, duplicate_records=p.dupes, malformed_rows=p.bad)
