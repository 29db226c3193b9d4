"""Names, identity numbers and phone numbers that look like those of a Chinese trading company."""

from __future__ import annotations

import datetime as dt

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞辉斌宇浩凯健俊帆帅旭宁龙林欢阳建亮成佳丹晨琳雪倩婷"
    "慧莹博文志海波鑫欣瑶怡晶颖玲峰毅晓诚思雨蕾梅琴云兰凤燕彬坤昊然宏振家嘉子睿"
)
FOREIGN = {
    "SG": (
        ["Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua"],
        ["Wei Ming", "Hui Min", "Kok Leong", "Mei Ling", "Jun Jie", "Siew Lan", "Boon Hock", "Li Ting"],
        True,
    ),
    "DE": (
        ["Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch"],
        ["Anna", "Lukas", "Julia", "Felix", "Laura", "Jonas", "Lena", "Tobias"],
        False,
    ),
    "US": (
        ["Johnson", "Brown", "Davis", "Miller", "Wilson", "Moore", "Taylor", "Clark"],
        ["Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Ryan"],
        False,
    ),
}
# Area codes of the cities the company recruits in (district level, as in a resident identity card).
AREA_CODES = [
    "310101",
    "310104",
    "310115",
    "440106",
    "440305",
    "330106",
    "320102",
    "110105",
    "510104",
    "420102",
    "350203",
    "370202",
]

COMPANY_NAME = "Hengtai Trading Co., Ltd."
EMAIL_DOMAIN = "hengtai-trading.cn"

_CITY = [
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "北京",
    "天津",
    "青岛",
    "厦门",
    "佛山",
    "东莞",
    "宁波",
    "成都",
    "武汉",
    "长沙",
    "郑州",
    "济南",
    "合肥",
    "福州",
]
_BRAND = list("恒华鑫盛达隆泰丰源嘉瑞祥新宏运利通富美安康")
_TRADE = ["贸易", "商贸", "百货", "电子商务", "家居用品", "日用品", "超市", "供应链", "零售", "实业"]
_FOREIGN_CUSTOMER = [
    "Pacific Home Goods",
    "Harbor Lane Retail",
    "Blue Orchid Trading",
    "Northwind Supplies",
    "Lotus Bay Distribution",
    "Meridian Living",
    "Sunrise Wholesale",
    "Evergreen Imports",
    "Rhein Haushaltswaren",
    "Alpen Handel",
    "Golden Gate Housewares",
    "Marina Bay Merchants",
]
_FOREIGN_SUFFIX = {"USD": ["Inc.", "LLC", "Pte Ltd"], "EUR": ["GmbH", "AG"], "HKD": ["Limited", "Co. Ltd"]}


def chinese_name(rng: np.random.Generator) -> str:
    surname = SURNAMES[rng.integers(len(SURNAMES))]
    n = 1 if rng.random() < 0.35 else 2
    return surname + "".join(GIVEN[i] for i in rng.integers(len(GIVEN), size=n))


def foreign_name(rng: np.random.Generator, country: str) -> str:
    family, given, family_first = FOREIGN[country]
    f, g = family[rng.integers(len(family))], given[rng.integers(len(given))]
    return f"{f} {g}" if family_first else f"{g} {f}"


def chinese_national_id(rng: np.random.Generator, birth: dt.date, female: bool) -> str:
    """18-character resident identity number with a valid ISO 7064 MOD 11-2 check character."""
    area = AREA_CODES[rng.integers(len(AREA_CODES))]
    seq = int(rng.integers(0, 50)) * 2 + (0 if female else 1)
    body = f"{area}{birth:%Y%m%d}{int(rng.integers(1, 10))}{seq:02d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


def singapore_nric(rng: np.random.Generator, birth: dt.date) -> str:
    prefix = "S" if birth.year < 2000 else "T"
    return f"{prefix}{int(rng.integers(1000000, 9999999))}{'ABCDEFGHIZJ'[rng.integers(11)]}"


def phone(rng: np.random.Generator, country: str) -> str:
    if country == "CN":
        return f"1{rng.choice([3, 5, 8])}{int(rng.integers(0, 10))}{int(rng.integers(0, 10**8)):08d}"
    if country == "SG":
        return f"+65 {int(rng.integers(8000, 9999))} {int(rng.integers(0, 10000)):04d}"
    if country == "DE":
        return f"+49 15{int(rng.integers(1, 8))} {int(rng.integers(0, 10**8)):08d}"
    return f"+1 415 {int(rng.integers(200, 999))} {int(rng.integers(0, 10000)):04d}"


def customer_name(rng: np.random.Generator, currency: str) -> str:
    if currency == "CNY":
        city = _CITY[rng.integers(len(_CITY))]
        brand = "".join(_BRAND[i] for i in rng.choice(len(_BRAND), size=2, replace=False))
        return f"{city}市{brand}{_TRADE[rng.integers(len(_TRADE))]}有限公司"
    base = _FOREIGN_CUSTOMER[rng.integers(len(_FOREIGN_CUSTOMER))]
    suffixes = _FOREIGN_SUFFIX[currency]
    return f"{base} {suffixes[rng.integers(len(suffixes))]}"
