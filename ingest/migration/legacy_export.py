"""A legacy system's export of the demo company: what a customer's old HR and sales system hands over.

    from ingest.migration.legacy_export import write_legacy_export
    export = write_legacy_export(Path("legacy"), employees=40, months=3, seed=11)

It is the same company the simulator builds (same seed, same people, orders and quotas), exported the way an
older Chinese HR/sales system does it, so that the migration has real work to do:

- different, Chinese column names (工号, 下单时间, ...) and other identifiers (HT00001 for E00001, DD... for
  orders, bare numbers for skus, KH... for customers);
- old code tables, as Excel workbooks: department codes (0201 = Sales South) and post codes (XS02 = sales
  rep), plus Chinese texts for regions, channels, order statuses, leave reasons and countries;
- GBK-encoded CSV (HR and sales files), Excel workbooks (post history, code tables, FX rates, scores);
  dates as YYYYMMDD, timestamps as 2024/01/31 18:05:00, quotas with thousands separators;
- monthly order files (orders_YYYYMM.csv), and the old system's own monthly scores per sales rep
  (scores/monthly_scores.xlsx), computed its own way: revenue is counted in the month of the order (not of
  shipment), converted at the order date's rate; score = 100 x attainment capped at 120, one decimal.

mappings/demo_legacy.yml maps this export into the landing contract. The export is clean (no planted data
mess): tests add their own problems to prove the validation catches them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.simulator.company import build_company
from ingest.simulator.exports import build_tables

FIXED_TIME = dt.datetime(2024, 1, 1)
SCORE_CAP = 1.2

DEPT_NAME_ZH = {
    "General Management": "总经办", "Sales": "销售部", "Sales South": "销售南区", "Sales North": "销售北区",
    "Sales East": "销售东区", "Purchasing": "采购部", "Operations": "运营部", "Demand Planning": "计划科",
    "Warehouse & Logistics": "仓储物流科", "Finance": "财务部", "Human Resources": "人力资源部",
    "Administration": "行政部",
}
FUNCTION_CODE = {"executive": "ZJ", "sales": "XS", "purchasing": "CG", "operations": "YY", "finance": "CW",
                 "hr": "RL", "admin": "XZ"}
POST_CODE = {
    "general_manager": ("ZJ01", "总经理"), "sales_director": ("XS01", "销售总监"), "sales_rep": ("XS02", "销售代表"),
    "purchasing_manager": ("CG01", "采购经理"), "buyer": ("CG02", "采购员"), "operations_manager": ("YY01", "运营经理"),
    "planner": ("YY02", "计划员"), "operations_specialist": ("YY03", "运营专员"), "finance_manager": ("CW01", "财务经理"),
    "accountant": ("CW02", "会计"), "hr_manager": ("RL01", "人事经理"), "recruiter": ("RL02", "招聘专员"),
    "hr_specialist": ("RL03", "人事专员"), "admin_manager": ("XZ01", "行政经理"), "admin_specialist": ("XZ02", "行政专员"),
}
REGION_ZH = {"north": "华北", "south": "华南", "east": "华东", "west": "华西", "hq": "总部"}
CHANNEL_ZH = {"online": "线上", "offline": "线下"}
STATUS_ZH = {"shipped": "已发货", "confirmed": "已审核", "open": "待审核", "cancelled": "已取消"}
REASON_ZH = {"resignation": "主动离职", "dismissal": "辞退", "retirement": "退休", "contract_end": "合同到期"}
COUNTRY_ZH = {"CN": "中国", "SG": "新加坡", "DE": "德国", "US": "美国", "HK": "中国香港"}
KPI_ZH = {"revenue": "销售额", "new_customers": "新客户数"}
SCOPE_ZH = {"individual": "个人", "team": "团队"}


@dataclass
class LegacyExport:
    legacy_dir: Path
    files: list[Path]
    months: list[str]  # YYYY-MM covered by the monthly files
    scores: pd.DataFrame  # the old system's monthly scores as written (for tests)


def dept_code(department_id: str | None) -> str | None:
    """D210 -> 0201, D200 -> 02: the old system numbers departments by level."""
    if department_id is None:
        return None
    top, sub = int(department_id[1]), int(department_id[2])
    return f"{top:02d}" + (f"{sub:02d}" if sub else "")


def staff_no(employee_id: str | None) -> str | None:
    return None if employee_id is None else "HT" + employee_id[1:]


def _compact_date(text: str | None) -> str | None:
    return None if text is None else text.replace("-", "")


def _slash_stamp(text: str | None) -> str | None:
    return None if text is None else text.replace("-", "/").replace("T", " ")


def _thousands(text: str | None) -> str | None:
    return None if text is None else f"{float(text):,.2f}"


def _excel_date(text: str | None):
    return None if text is None else dt.datetime.fromisoformat(text)


def write_legacy_export(out_dir: str | Path, employees: int = 40, months: int = 3, seed: int = 11,
                        start_month: str = "2024-01") -> LegacyExport:
    """Write the demo company's legacy export into out_dir (replacing an earlier export there)."""
    out = Path(out_dir)
    company = build_company(employees, months, seed, start_month)
    t = {name: table.frame for name, table in build_tables(company).items()}
    files: list[Path] = []

    deps = t["hr.departments"]
    files.append(_xlsx(out / "codes" / "dept_codes.xlsx", "部门代码", pd.DataFrame({
        "部门编码": deps["department_id"].map(dept_code),
        "部门名称": deps["department_name"].map(DEPT_NAME_ZH),
        "上级部门编码": deps["parent_department_id"].map(dept_code),
        "职能代码": deps["function"].map(FUNCTION_CODE),
        "区域": deps["region"].map(REGION_ZH),
    })))
    files.append(_xlsx(out / "codes" / "post_codes.xlsx", "岗位代码", pd.DataFrame(
        [{"岗位编码": code, "岗位名称": name} for code, name in POST_CODE.values()])))

    emp = t["hr.employees"]
    files.append(_csv(out / "hr" / "staff.csv", pd.DataFrame({
        "工号": emp["employee_id"].map(staff_no),
        "姓名": emp["full_name"],
        "身份证号": emp["national_id"],
        "手机号": emp["phone"],
        "邮箱": emp["email"],
        "出生日期": emp["birth_date"].map(_compact_date),
        "入职日期": emp["hire_date"].map(_compact_date),
        "离职日期": emp["termination_date"].map(_compact_date),
        "离职原因": emp["termination_reason"].map(REASON_ZH),
        "国家地区": emp["country"].map(COUNTRY_ZH),
    })))
    ja = t["hr.job_assignments"]
    files.append(_xlsx(out / "hr" / "post_history.xlsx", "任职记录", pd.DataFrame({
        "记录号": "PH" + ja["assignment_id"].str[1:],
        "工号": ja["employee_id"].map(staff_no),
        "生效日期": ja["valid_from"].map(_excel_date),
        "失效日期": ja["valid_to"].map(_excel_date),
        "部门编码": ja["department_id"].map(dept_code),
        "岗位编码": ja["role"].map(lambda r: POST_CODE[r][0]),
        "直接上级": ja["manager_id"].map(staff_no),
        "职级": ja["grade"],
        "是否导师": ja["is_mentor"].map({"true": "是", "false": "否"}),
        "导师工号": ja["mentor_id"].map(staff_no),
    })))
    tg = t["hr.individual_targets"]
    files.append(_csv(out / "hr" / "quota.csv", pd.DataFrame({
        "工号": tg["employee_id"].map(staff_no),
        "考核月份": tg["month"].str.replace("-", ""),
        "指标": tg["kpi"].map(KPI_ZH),
        "目标值": tg["target_value"].map(_thousands),
        "目标类型": tg["scope"].map(SCOPE_ZH),
    })))
    cu = t["crm.customers"]
    files.append(_csv(out / "sales" / "customers.csv", pd.DataFrame({
        "客户编码": "KH" + cu["customer_id"].str[1:],
        "客户名称": cu["customer_name"],
        "客户经理": cu["owner_employee_id"].map(staff_no),
        "所属区域": cu["region"].map(REGION_ZH),
        "渠道": cu["channel"].map(CHANNEL_ZH),
        "建档时间": cu["created_at"].map(_slash_stamp),
    })))
    pr = t["erp.products"]
    files.append(_csv(out / "sales" / "products.csv", pd.DataFrame({
        "商品编码": pr["sku"].str.replace("SKU-", "", regex=False),
        "商品名称": pr["product_name"],
        "品类": pr["category"],
        "成本价": pr["unit_cost"],
        "零售价": pr["list_price"],
        "币种": pr["currency"],
        "上市日期": pr["launch_date"].map(_compact_date),
        "负责销售": pr["owner_salesperson_id"].map(staff_no),
        "计划员": pr["planner_id"].map(staff_no),
        "采购员": pr["buyer_id"].map(staff_no),
        "安全库存天数": pr["safety_days"],
    })))

    so, sol = t["erp.sales_orders"], t["erp.sales_order_lines"]
    order_month = so["ordered_at"].str[:7]
    line_month = sol["order_id"].map(dict(zip(so["order_id"], order_month, strict=True)))
    month_labels = sorted(order_month.unique())
    for month in month_labels:
        part = so[order_month == month]
        files.append(_csv(out / "sales" / f"orders_{month.replace('-', '')}.csv", pd.DataFrame({
            "订单号": "DD" + part["order_id"].str[2:],
            "客户编码": "KH" + part["customer_id"].str[1:],
            "业务员": part["salesperson_id"].map(staff_no),
            "下单时间": part["ordered_at"].map(_slash_stamp),
            "审核时间": part["confirmed_at"].map(_slash_stamp),
            "发货时间": part["shipped_at"].map(_slash_stamp),
            "渠道": part["channel"].map(CHANNEL_ZH),
            "区域": part["region"].map(REGION_ZH),
            "币种": part["currency"],
            "状态": part["status"].map(STATUS_ZH),
        })))
        lines = sol[line_month == month]
        files.append(_csv(out / "sales" / f"order_lines_{month.replace('-', '')}.csv", pd.DataFrame({
            "订单号": "DD" + lines["order_id"].str[2:],
            "行号": lines["line_number"],
            "商品编码": lines["sku"].str.replace("SKU-", "", regex=False),
            "数量": lines["quantity"],
            "单价": lines["unit_price"],
            "成本价": lines["unit_cost"],
        })))
    fx = t["erp.fx_rates"]
    files.append(_xlsx(out / "finance" / "fx_rates.xlsx", "汇率", pd.DataFrame({
        "日期": fx["rate_date"].map(_excel_date),
        "币种": fx["currency"],
        "汇率": fx["rate_to_base"].astype(float),
    })))
    scores = legacy_scores(t)
    files.append(_xlsx(out / "scores" / "monthly_scores.xlsx", "月度考核", pd.DataFrame({
        "工号": scores["employee_id"].map(staff_no),
        "姓名": scores["full_name"],
        "考核月份": scores["period"].str.replace("-", ""),
        "销售额": scores["revenue"],
        "销售目标": scores["quota"],
        "完成率": scores["attainment"],
        "得分": scores["score"],
    })))
    (out / "README.txt").write_text(
        "HengTai HR/Sales system v3 - data export for the ScoreLink migration\n"
        "hr/ and sales/ CSV files are GBK encoded; codes/ holds the code tables; scores/ the monthly scores.\n",
        encoding="utf-8")
    return LegacyExport(out, files, month_labels, scores)


def legacy_scores(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The old system's own monthly sales-rep scores: revenue by order month at the order date's FX rate."""
    so, sol, fx = t["erp.sales_orders"], t["erp.sales_order_lines"], t["erp.fx_rates"]
    orders = so[so["status"] != "cancelled"][["order_id", "salesperson_id", "ordered_at", "currency"]]
    lines = sol.merge(orders, on="order_id")
    rates = {(d, c): float(r) for d, c, r in zip(fx["rate_date"], fx["currency"], fx["rate_to_base"], strict=True)}
    lines["rate"] = [rates[(stamp[:10], cur)] for stamp, cur in zip(lines["ordered_at"], lines["currency"],
                                                                     strict=True)]
    lines["amount"] = lines["quantity"].astype(float) * lines["unit_price"].astype(float) * lines["rate"]
    lines["period"] = lines["ordered_at"].str[:7]
    revenue = lines.groupby(["salesperson_id", "period"])["amount"].sum()
    tg = t["hr.individual_targets"]
    quota = {(e, m): float(v) for e, m, v, k, s in zip(tg["employee_id"], tg["month"], tg["target_value"],
                                                        tg["kpi"], tg["scope"], strict=True)
             if k == "revenue" and s == "individual"}
    ja = t["hr.job_assignments"]
    reps = ja[ja["role"] == "sales_rep"]
    months = sorted(lines["period"].unique())
    names = dict(zip(t["hr.employees"]["employee_id"], t["hr.employees"]["full_name"], strict=True))
    rows = []
    for month in months:
        first = dt.date.fromisoformat(month + "-01")
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        active = reps[(reps["valid_from"] <= last.isoformat())
                      & (reps["valid_to"].isna() | (reps["valid_to"].fillna("9999") >= first.isoformat()))]
        for emp in sorted(set(active["employee_id"])):
            rev = round(float(revenue.get((emp, month), 0.0)), 2)
            q = quota.get((emp, month))
            att = None if not q else round(rev / q, 4)
            score = None if att is None else round(100 * min(max(rev / q, 0.0), SCORE_CAP), 1)
            rows.append({"employee_id": emp, "full_name": names[emp], "period": month, "revenue": rev,
                         "quota": q, "attainment": att, "score": score})
    return pd.DataFrame(rows, columns=["employee_id", "full_name", "period", "revenue", "quota", "attainment",
                                       "score"])


# ------------------------------------------------------------------------------------------------ writing


def _csv(path: Path, frame: pd.DataFrame, encoding: str = "gbk") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # the old system writes Windows line ends
    writer.writerow(list(frame.columns))
    frame = frame.astype(object).where(frame.notna(), None)
    writer.writerows(frame.itertuples(index=False, name=None))
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _xlsx(path: Path, sheet: str, frame: pd.DataFrame) -> Path:
    """An XLSX workbook, byte for byte the same for the same frame (fixed document and zip times)."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "HengTai HR v3"
    ws = wb.create_sheet(sheet)
    ws.append(list(frame.columns))
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None):
        ws.append([v.item() if isinstance(v, np.generic) else v for v in row])
    raw = io.BytesIO()
    wb.save(raw)
    raw.seek(0)
    result = io.BytesIO()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>2024-01-01T00:00:00Z\g<2>", data)
            zout.writestr(fixed, data)
    path.write_bytes(result.getvalue())
    return path
