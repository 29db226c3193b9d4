"""Daily exchange rates: CNY per unit of each foreign currency, for every calendar day of the period."""

from __future__ import annotations

import numpy as np

from ingest.simulator.period import Period

CURRENCIES = ["CNY", "EUR", "HKD", "SGD", "USD"]
_START = {"USD": 7.10, "EUR": 7.80, "SGD": 5.30}
_VOLATILITY = {"USD": 0.0025, "EUR": 0.004, "SGD": 0.003}


class FxRates:
    def __init__(self, period: Period, rng: np.random.Generator):
        n = period.n_days
        self.rates: dict[str, np.ndarray] = {"CNY": np.ones(n)}
        for cur in ("USD", "EUR", "SGD"):
            steps = rng.normal(0, _VOLATILITY[cur], size=n)
            steps -= 0.02 * np.cumsum(steps) / max(1, n)  # mild pull back towards the start level
            self.rates[cur] = np.round(_START[cur] * np.exp(np.cumsum(steps)), 4)
        # HKD is pegged to USD within a narrow band
        self.rates["HKD"] = np.round(self.rates["USD"] / (7.80 + rng.uniform(-0.03, 0.03, size=n)), 4)

    def rate(self, currency: str, day) -> np.ndarray | float:
        """CNY per unit of currency on day index/indices (clipped to the period)."""
        arr = self.rates[currency]
        if isinstance(day, (int, np.integer)):
            return float(arr[min(max(int(day), 0), len(arr) - 1)])
        return arr[np.clip(day, 0, len(arr) - 1)]

    def vector(self, currencies: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Rates for parallel arrays of currency codes and day indices."""
        out = np.ones(len(days))
        days = np.clip(days, 0, len(self.rates["CNY"]) - 1)
        for cur in CURRENCIES[1:]:
            mask = currencies == cur
            out[mask] = self.rates[cur][days[mask]]
        return out
