"""The product catalogue and the suppliers, with the people responsible for each sku.

Each sku has an owning salesperson, a demand planner and a buyer. The planted over-buyer, the optimistic
planner and the salesperson who neglects old stock get disjoint sets of skus, so each cause stays visible
on its own.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from ingest.simulator.org import Org
from ingest.simulator.period import Period

# name, product nouns, list price range in CNY, policy days of cover, affinity per region
CATEGORIES = [
    (
        "Small Appliances",
        ["Electric Kettle", "Rice Cooker", "Air Fryer", "Blender", "Hair Dryer", "Steam Iron"],
        (150, 900),
        30,
        {"south": 1.3, "north": 0.9, "east": 1.0},
    ),
    (
        "Kitchenware",
        ["Thermos Cup", "Frying Pan", "Knife Set", "Cutting Board", "Lunch Box", "Stock Pot"],
        (25, 260),
        30,
        {"south": 0.9, "north": 1.2, "east": 1.0},
    ),
    (
        "Home Textiles",
        ["Duvet", "Pillow", "Bath Towel", "Bed Sheet Set", "Blanket"],
        (50, 500),
        45,
        {"south": 0.8, "north": 1.4, "east": 1.0},
    ),
    (
        "Personal Care",
        ["Electric Toothbrush", "Shaver", "Massager", "Body Scale"],
        (40, 400),
        30,
        {"south": 1.0, "north": 0.9, "east": 1.2},
    ),
    (
        "Stationery",
        ["Gel Pen Pack", "Notebook", "Desk Organizer", "Stapler"],
        (6, 60),
        30,
        {"south": 0.9, "north": 1.0, "east": 1.3},
    ),
    (
        "Toys",
        ["Building Blocks", "RC Car", "Plush Toy", "Jigsaw Puzzle"],
        (30, 350),
        45,
        {"south": 1.0, "north": 1.0, "east": 1.0},
    ),
    (
        "Outdoor",
        ["Camping Tent", "Folding Chair", "Cooler Box", "Hiking Backpack"],
        (60, 800),
        45,
        {"south": 1.1, "north": 0.9, "east": 1.0},
    ),
    (
        "Electronics Accessories",
        ["Power Bank", "USB-C Cable", "Wireless Charger", "Bluetooth Earbuds"],
        (20, 300),
        30,
        {"south": 1.3, "north": 0.9, "east": 1.1},
    ),
    (
        "Lighting",
        ["LED Desk Lamp", "Night Light", "Smart Bulb", "Ceiling Light"],
        (30, 450),
        30,
        {"south": 1.0, "north": 1.0, "east": 1.0},
    ),
    (
        "Storage",
        ["Storage Box", "Shoe Rack", "Vacuum Bag Set", "Closet Organizer"],
        (20, 200),
        30,
        {"south": 0.9, "north": 1.1, "east": 1.0},
    ),
]
# Month-of-year demand shape per category (January first); the company-wide shape is in sales.py.
CATEGORY_SEASON = {
    "Home Textiles": [1.3, 1.0, 0.9, 0.8, 0.7, 0.7, 0.7, 0.8, 1.0, 1.2, 1.4, 1.5],
    "Outdoor": [0.6, 0.6, 0.9, 1.2, 1.4, 1.5, 1.4, 1.2, 1.0, 0.9, 0.7, 0.6],
    "Toys": [1.2, 0.9, 0.8, 0.8, 1.0, 1.1, 1.0, 0.9, 0.9, 1.0, 1.3, 1.6],
    "Small Appliances": [1.0, 0.9, 0.9, 0.9, 1.0, 1.3, 0.9, 0.9, 0.9, 1.0, 1.5, 1.1],
    "Electronics Accessories": [1.0, 0.9, 0.9, 0.9, 1.0, 1.3, 0.9, 0.9, 1.0, 1.0, 1.5, 1.1],
}
SUPPLIER_COUNTRY = [
    ("CN", "CNY", (7, 21), 0.75),
    ("VN", "USD", (25, 40), 0.10),
    ("DE", "EUR", (35, 55), 0.08),
    ("US", "USD", (30, 50), 0.07),
]
_SUPPLIER_CN = ["宁波", "义乌", "佛山", "东莞", "温州", "汕头", "苏州", "厦门"]
_SUPPLIER_BRAND = [
    "恒达",
    "兴隆",
    "华宇",
    "金源",
    "永昌",
    "瑞丰",
    "嘉禾",
    "新光",
    "宏图",
    "利达",
    "众诚",
    "天成",
]
_SUPPLIER_TRADE = {
    "Small Appliances": "电器",
    "Kitchenware": "厨具",
    "Home Textiles": "家纺",
    "Personal Care": "个护用品",
    "Stationery": "文具",
    "Toys": "玩具",
    "Outdoor": "户外用品",
    "Electronics Accessories": "电子",
    "Lighting": "照明",
    "Storage": "日用品",
}
_SUPPLIER_FOREIGN = {
    "VN": ["Saigon Houseware", "Hanoi Home Products", "Mekong Manufacturing"],
    "DE": ["Rhein Haushalt", "Schwarzwald Werkzeug", "Bayern Living"],
    "US": ["Pacific Consumer Goods", "Lakeside Products", "Summit Outdoor Supply"],
}


@dataclass
class Catalog:
    skus: list[str]
    names: list[str]
    category: np.ndarray  # category index per sku
    unit_cost: np.ndarray  # standard cost, CNY
    list_price: np.ndarray
    launch: list[dt.date]
    launch_day: np.ndarray  # day index relative to the period start (negative before it)
    age_class: list[str]  # old, mid, recent, launch
    popularity: np.ndarray
    typical_qty: np.ndarray
    pack: np.ndarray
    safety_days: np.ndarray
    declining: np.ndarray
    discontinued_day: np.ndarray  # day index from which demand stops (10**6: never)
    flop: np.ndarray
    supplier: np.ndarray  # supplier index per sku
    owner: np.ndarray  # person index
    planner: np.ndarray
    buyer: np.ndarray
    suppliers: list[dict]
    over_buyer_skus: list[int]
    optimistic_skus: list[int]
    neglected_old: list[int]
    neglecter_new: list[int]

    @property
    def n(self) -> int:
        return len(self.skus)


def n_skus_for(employees: int) -> int:
    return int(min(300, max(30, round(0.75 * employees))))


def _blocks(items: list[int], holders: list[int]) -> dict[int, int]:
    """Split an ordered list into contiguous, nearly equal blocks, one per holder."""
    out, k = {}, len(holders)
    for j, item in enumerate(items):
        out[item] = holders[min(k - 1, j * k // max(1, len(items)))]
    return out


def build_catalog(period: Period, org: Org, n_skus: int, rng: np.random.Generator) -> Catalog:
    start = period.start
    cat = np.sort(rng.integers(0, len(CATEGORIES), size=n_skus))
    cat[: len(CATEGORIES)] = np.arange(min(n_skus, len(CATEGORIES)))  # every category has a sku
    cat = np.sort(cat)
    lo = np.array([CATEGORIES[c][2][0] for c in cat], dtype=float)
    hi = np.array([CATEGORIES[c][2][1] for c in cat], dtype=float)
    price = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi))), 0) - 0.1
    price = np.where(price < 10, np.round(price, 1), price)
    cost = np.round(price * rng.uniform(0.48, 0.72, size=n_skus), 2)
    typical = np.clip(np.round(2500 / price), 2, 300)
    pack = np.select([typical >= 100, typical >= 30, typical >= 10], [50, 20, 10], 1).astype(float)
    age = rng.choice(["old", "mid", "recent", "launch"], size=n_skus, p=[0.5, 0.2, 0.15, 0.15])
    launch: list[dt.date] = []
    last_launch = max(21, period.n_days - 30)
    for a in age:
        if a == "old":
            days_before = int(rng.integers(3 * 365, 9 * 365))
        elif a == "mid":
            days_before = int(rng.integers(int(1.5 * 365), 3 * 365))
        elif a == "recent":
            days_before = int(rng.integers(30, int(1.5 * 365)))
        else:
            days_before = -int(rng.integers(20, last_launch))
        launch.append(start - dt.timedelta(days=days_before))
    popularity = np.exp(rng.normal(0, 0.8, size=n_skus))
    declining = (age == "old") & (rng.random(n_skus) < 0.15)
    # some old products are phased out during the period, and some new ones flop: both leave slow stock
    # (half of the phased-out ones already before the period, with stock left over)
    phase_out = (age == "old") & ~declining & (rng.random(n_skus) < 0.10)
    lo_day, hi_day = min(30, period.n_days // 4), max(period.n_days - 60, period.n_days // 2)
    during = rng.integers(lo_day, hi_day + 1, size=n_skus)
    before = -rng.integers(95, 300, size=n_skus)
    discontinued_day = np.where(phase_out, np.where(rng.random(n_skus) < 0.5, before, during), 10**6)
    flop = np.isin(age, ["recent", "launch"]) & (rng.random(n_skus) < 0.12)
    popularity = np.where(flop, popularity * 0.08, popularity)
    names = []
    for s in range(n_skus):
        nouns = CATEGORIES[cat[s]][1]
        code = "".join(chr(65 + int(x)) for x in rng.integers(0, 26, size=2))
        names.append(f"{nouns[rng.integers(len(nouns))]} {code}-{int(rng.integers(100, 999))}")

    # suppliers: two to four per category
    suppliers: list[dict] = []
    sku_supplier = np.zeros(n_skus, dtype=np.int64)
    for c, (cname, *_rest) in enumerate(CATEGORIES):
        members = np.flatnonzero(cat == c)
        if len(members) == 0:
            continue
        k = int(min(len(members), max(1, min(4, round(len(members) / 6) + 1))))
        first = len(suppliers)
        for _ in range(k):
            row = SUPPLIER_COUNTRY[rng.choice(len(SUPPLIER_COUNTRY), p=[x[3] for x in SUPPLIER_COUNTRY])]
            country, currency, (lt_lo, lt_hi), _ = row
            if country == "CN":
                name = (
                    f"{_SUPPLIER_CN[rng.integers(len(_SUPPLIER_CN))]}"
                    f"{_SUPPLIER_BRAND[rng.integers(len(_SUPPLIER_BRAND))]}{_SUPPLIER_TRADE[cname]}有限公司"
                )
            else:
                options = _SUPPLIER_FOREIGN[country]
                name = f"{options[rng.integers(len(options))]} {'Co., Ltd.' if country == 'VN' else 'Inc.'}"
            suppliers.append(
                {
                    "supplier_id": f"S{len(suppliers) + 1:03d}",
                    "supplier_name": name,
                    "country": country,
                    "currency": currency,
                    "lead_time_days": int(rng.integers(lt_lo, lt_hi + 1)),
                    "on_time": float(rng.uniform(0.7, 0.97)),
                }
            )
        sku_supplier[members] = first + rng.integers(0, k, size=len(members))

    # responsibilities
    order = list(range(n_skus))  # already sorted by category
    buyers = sorted(org.with_role("buyer"))
    planners = sorted(org.with_role("planner"))
    owners = list(org.key["sku_owners"])
    over_buyer, optimistic, neglecter = (
        org.key["over_buyer"],
        org.key["optimistic_planner"],
        org.key["neglecter"],
    )
    k1 = max(4, min(round(n_skus / len(buyers)), round(n_skus / 6)))
    k2 = max(4, min(round(n_skus / len(planners)), round(n_skus / 6)))
    k3 = max(5, min(round(n_skus / len(owners)), round(n_skus / 5)))
    s0 = int(rng.integers(0, n_skus - k1 + 1))
    ob_skus = order[s0 : s0 + k1]
    rest = [s for s in order if s not in ob_skus]
    buyer = {s: over_buyer for s in ob_skus}
    buyer.update(_blocks(rest, [b for b in buyers if b != over_buyer] or [over_buyer]))
    s1 = int(rng.integers(0, len(rest) - k2 + 1))
    op_skus = rest[s1 : s1 + k2]
    planner = {s: optimistic for s in op_skus}
    planner.update(_blocks([s for s in order if s not in op_skus], [p for p in planners if p != optimistic]))
    pool = [s for s in order if s not in ob_skus and s not in op_skus]
    k_old = math.ceil(0.6 * k3)
    olds = [s for s in pool if age[s] == "old" and not declining[s] and not phase_out[s]]
    news = [s for s in pool if age[s] in ("recent", "launch") and not flop[s]]
    if len(news) < k3 - k_old:  # make sure the neglecting salesperson also has new products
        spare = [s for s in pool if age[s] == "mid"][: k3 - k_old - len(news)]
        for s in spare:
            age[s] = "recent"
            launch[s] = start - dt.timedelta(days=int(rng.integers(60, 300)))
        news += spare
    neglected_old = sorted(int(s) for s in rng.choice(olds, size=min(k_old, len(olds)), replace=False))
    neglecter_new = sorted(int(s) for s in rng.choice(news, size=min(k3 - k_old, len(news)), replace=False))
    owner = {s: neglecter for s in neglected_old + neglecter_new}
    others = [o for o in owners if o != neglecter]
    owner.update(_blocks([s for s in order if s not in owner], others))

    launch_day = np.array([(d - start).days for d in launch], dtype=np.int64)
    return Catalog(
        skus=[f"SKU-{10001 + s}" for s in range(n_skus)],
        names=names,
        category=cat,
        unit_cost=cost,
        list_price=price,
        launch=launch,
        launch_day=launch_day,
        age_class=[str(a) for a in age],
        popularity=popularity,
        typical_qty=typical,
        pack=pack,
        safety_days=np.array([CATEGORIES[c][3] for c in cat], dtype=np.int64),
        declining=declining,
        discontinued_day=discontinued_day,
        flop=flop,
        supplier=sku_supplier,
        owner=np.array([owner[s] for s in order]),
        planner=np.array([planner[s] for s in order]),
        buyer=np.array([buyer[s] for s in order]),
        suppliers=suppliers,
        over_buyer_skus=list(ob_skus),
        optimistic_skus=list(op_skus),
        neglected_old=neglected_old,
        neglecter_new=neglecter_new,
    )
