"""The one declaration of every sheet and column of a township workbook.

Templates, the reader, validation, merging and notices all read this; no
other module types a header list. A column is identified by its ``key``
(English, used in code and frames); users see its ``header``; ``synonyms``
are the other names counties' own sheets and the national system use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .policy import GROUPS, SPENDING_KINDS

# Column types. Readers coerce to them, templates format by them.
TEXT = "text"
INTEGER = "integer"
MONEY = "money"
DATE = "date"
MONTH = "month"
CHOICE = "choice"
ID = "id"
PHONE = "phone"
YESNO = "yesno"
TYPES = (TEXT, INTEGER, MONEY, DATE, MONTH, CHOICE, ID, PHONE, YESNO)
#: A share (0.9833 shown 98.33%): only in the sheets the ledgers write, never read.
PERCENT = "percent"

#: Types that are read and written as text, never as numbers.
TEXT_TYPES = (TEXT, CHOICE, ID, PHONE)

YES_NO = ("是", "否")
DIBAO_CHOICES = ("否", "整户低保", "单人保")
RELATIONS = ("户主", "配偶", "子女", "儿媳", "女婿", "父母", "孙子女", "兄弟姐妹", "祖父母", "其他")
HEALTH = ("健康", "长期慢性病", "大病", "残疾")
LABOUR = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
DISCOVERY_WAYS = ("自上而下筛查", "自下而上申请")
SPENDING_SOURCES = ("自下而上申请", "医保", "教育", "交警", "消防", "民政", "其他")
CASE_STAGES = ("已发现", "已查勘", "公示中", "已比对", "已备案", "已支付", "已终止")
ESCALATION = ("无", "村两委", "乡镇")
AID_TYPES = ("转移就业", "扶贫微工厂", "公益岗位", "整户低保", "单人保")
RISK_STATES = ("未消除", "已消除")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: str = TEXT
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    width: float = 12
    note: str = ""
    #: For a computed column: what it shows (rendered as an Excel formula in
    #: templates, computed by the Python rules on validate/merge).
    computed: str | None = None
    #: Personal data that must be masked in reports and left out of notices.
    personal: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.synonyms)


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str
    columns: tuple[Column, ...]
    #: Columns whose values identify a row (checked for duplicates).
    unique: tuple[str, ...] = ()
    #: Column holding the household number that must exist in 监测户.
    household_ref: str | None = "household_no"
    synonyms: tuple[str, ...] = ()
    note: str = ""
    _by_key: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        self._by_key.update({c.key: c for c in self.columns})

    def column(self, key: str) -> Column:
        return self._by_key[key]

    @property
    def input_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.computed is None)

    @property
    def computed_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.computed is not None)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


def _household_no(**kw) -> Column:
    return Column(
        "household_no", "户编号", TEXT, True,
        ("户号", "户编码", "家庭编号", "户码"), width=12,
        note="本乡镇内唯一的户编号，与监测户表一致", **kw,
    )


HOUSEHOLDS = Sheet(
    "households", "监测户",
    (
        _household_no(),
        Column("township", "乡镇", TEXT, True, ("乡", "乡(镇)", "乡（镇）", "乡镇（街道）", "乡镇(街道)"), width=8),
        Column("village", "村", TEXT, True, ("行政村", "村（社区）", "村(社区)"), width=8),
        Column("head_name", "户主姓名", TEXT, True, ("户主",), width=8),
        Column("head_id", "户主身份证号", ID, True, ("户主证件号码", "户主身份证号码"), width=19,
               note="18 位身份证号，本列为文本格式", personal=True),
        Column("household_size", "家庭人口", INTEGER, True, ("家庭人口数", "人口数", "家庭人数"), width=6),
        Column("group", "户类型", CHOICE, True, ("监测对象类别", "监测类型", "防贫对象类型"), GROUPS, width=14),
        Column("income_per_capita", "人均可支配收入", MONEY, True,
               ("家庭年人均可支配收入", "人均纯收入", "家庭人均纯收入", "人均收入"), width=10,
               note="家庭年人均可支配收入（元）"),
        Column("phone", "联系电话", PHONE, False, ("电话", "手机号", "联系方式"), width=12, personal=True),
        Column("dibao", "低保", CHOICE, False, ("是否低保", "低保状态", "享受低保"), DIBAO_CHOICES, width=8),
        Column("helper", "帮扶联系人", TEXT, False, ("帮扶责任人", "帮扶人"), width=8),
        Column("helper_phone", "帮扶人电话", PHONE, False, ("帮扶责任人电话",), width=12, personal=True),
        Column("monitored_since", "纳入监测日期", DATE, False, ("识别日期", "纳入日期"), width=11),
        Column("risk_status", "风险状态", CHOICE, False, ("风险是否消除",), RISK_STATES, width=8),
        Column("recorded_status", "登记资格", CHOICE, False, ("资格认定",), ("符合", "不符合", "资料不全"),
               width=8, note="乡镇认定的资格（如填写，将与规则计算结果核对）"),
        Column("medical", "近12月因病支出", MONEY, computed="spending:因病", width=10),
        Column("education", "近12月因学支出", MONEY, computed="spending:因学", width=10),
        Column("accident", "近12月因意外支出", MONEY, computed="spending:因意外", width=10),
        Column("industry", "近12月因产业支出", MONEY, computed="spending:因产业", width=10),
        Column("status", "资格判定", TEXT, computed="status", width=10),
        Column("met_text", "满足条件", TEXT, computed="met", width=14),
        Column("last_visit", "最近回访日期", DATE, computed="last_visit", width=12),
        Column("next_visit_due", "下次回访到期", DATE, computed="visit_due", width=12),
    ),
    unique=("household_no",),
    household_ref=None,
    synonyms=("监测对象", "防贫监测户", "户信息"),
    note="每户一行",
)

MEMBERS = Sheet(
    "members", "家庭成员",
    (
        _household_no(),
        Column("name", "姓名", TEXT, True, ("成员姓名",), width=10),
        Column("id_number", "身份证号", ID, True, ("证件号码", "身份证号码", "公民身份号码"), width=21,
               note="18 位身份证号，本列为文本格式", personal=True),
        Column("relation", "与户主关系", CHOICE, True, ("与户主关系",), RELATIONS, width=10),
        Column("health", "健康状况", CHOICE, False, (), HEALTH, width=12, personal=True),
        Column("labour", "劳动能力", CHOICE, False, ("劳动技能",), LABOUR, width=14),
        Column("in_school", "在校生", YESNO, False, ("是否在校生", "在校情况"), YES_NO, width=8),
        Column("phone", "联系电话", PHONE, False, ("电话", "手机号"), width=13, personal=True),
    ),
    unique=("id_number",),
    synonyms=("成员", "人员信息"),
    note="每人一行，户主也要填",
)

SPENDING = Sheet(
    "spending", "支出",
    (
        _household_no(),
        Column("member_name", "成员姓名", TEXT, False, ("姓名",), width=10),
        Column("member_id", "成员身份证号", ID, False, ("身份证号", "证件号码"), width=21, personal=True),
        Column("kind", "支出类别", CHOICE, True, ("类别", "支出类型"), SPENDING_KINDS, width=10),
        Column("date", "发生日期", DATE, True, ("日期", "出院日期", "发生时间"), width=12),
        Column("amount", "金额", MONEY, True, ("自付金额", "损失金额", "支出金额"), width=12,
               note="医疗为住院自付费用；意外、产业为扣除商业保险和社会救助后的损失（元）"),
        Column("source", "来源", CHOICE, False, ("数据来源", "发现来源"), SPENDING_SOURCES, width=12),
        Column("evidence", "佐证材料", TEXT, False, ("证明材料", "备注"), width=20),
    ),
    synonyms=("支出事件", "大额支出"),
    note="每笔支出一行",
)

CASES = Sheet(
    "cases", "救助",
    (
        Column("case_no", "案件编号", TEXT, True, ("救助编号", "案件号"), width=14),
        _household_no(),
        Column("kind", "救助类别", CHOICE, True, ("类别", "支出类别"), SPENDING_KINDS, width=10),
        Column("found_date", "发现日期", DATE, True, ("发现时间", "申请日期"), width=12),
        Column("found_way", "发现方式", CHOICE, True, ("途径",), DISCOVERY_WAYS, width=14),
        Column("survey_date", "入户查勘日期", DATE, False, ("查勘日期",), width=12),
        Column("notice_start", "公示开始", DATE, False, ("公示开始日期",), width=12),
        Column("notice_end", "公示结束", DATE, False, ("公示结束日期",), width=12),
        Column("dept_check_date", "部门比对日期", DATE, False, ("比对日期", "信息比对日期"), width=12),
        Column("filing_date", "备案日期", DATE, False, ("防贫机构备案日期",), width=12),
        Column("relief_amount", "救助金额", MONEY, False, ("救助金", "赔付金额"), width=12),
        Column("payment_date", "支付日期", DATE, False, ("赔付日期", "实施救助日期"), width=12),
        Column("stage", "状态", CHOICE, True, ("办理状态", "进度"), CASE_STAGES, width=10),
        Column("deadline", "办结时限", DATE, computed="deadline", width=12),
        Column("days_left", "剩余工作日", INTEGER, computed="days_left", width=10),
    ),
    unique=("case_no",),
    synonyms=("救助案件", "案件"),
    note="每个救助案件一行，按程序顺序填写各环节日期",
)

VISITS = Sheet(
    "visits", "帮扶",
    (
        _household_no(),
        Column("helper", "帮扶人", TEXT, True, ("帮扶联系人", "帮扶责任人"), width=10),
        Column("visit_date", "回访日期", DATE, True, ("走访日期", "日期"), width=12),
        Column("food_clothing", "吃穿不愁", YESNO, True, ("不愁吃穿",), YES_NO, width=8),
        Column("education_ok", "义务教育有保障", YESNO, True, ("义务教育",), YES_NO, width=10),
        Column("medical_ok", "基本医疗有保障", YESNO, True, ("基本医疗",), YES_NO, width=10),
        Column("housing_ok", "住房安全有保障", YESNO, True, ("住房安全",), YES_NO, width=10),
        Column("water_ok", "饮水安全有保障", YESNO, True, ("饮水安全",), YES_NO, width=10),
        Column("problem", "发现问题", TEXT, False, ("存在问题",), width=20),
        Column("action", "处理措施", TEXT, False, ("帮扶措施",), width=20),
        Column("escalated_to", "上报", CHOICE, False, ("上报对象",), ESCALATION, width=8),
    ),
    synonyms=("帮扶回访", "回访"),
    note="每次回访一行，每户每季度至少一次",
)

AID = Sheet(
    "aid", "援助",
    (
        _household_no(),
        Column("member_name", "成员姓名", TEXT, False, ("姓名",), width=10),
        Column("member_id", "成员身份证号", ID, False, ("身份证号",), width=21, personal=True),
        Column("aid_type", "援助类型", CHOICE, True, ("类型",), AID_TYPES, width=12),
        Column("start_date", "开始日期", DATE, True, ("起始日期",), width=12),
        Column("end_date", "结束日期", DATE, False, (), width=12),
        Column("amount", "月收入或金额", MONEY, False, ("金额", "月收入"), width=12),
        Column("note", "说明", TEXT, False, ("备注",), width=20),
    ),
    synonyms=("其他帮扶", "就业和兜底"),
    note="就业帮扶与社会保障兜底，每项一行",
)

def _spending_input(key: str, *synonyms: str) -> Column:
    """A 近12月…支出 column of 监测户 as typed input (computed there from 支出)."""
    column = HOUSEHOLDS.column(key)
    kind = column.computed.split(":", 1)[1] if column.computed else ""
    return replace(column, computed=None, synonyms=(f"{kind}支出", *synonyms),
                   note=f"近 12 个月{kind}支出（元）；空白按 0 元计")


#: The table ``FP_CHECK_TABLE`` reads: one household per row, spending typed in.
#: Required are 户类型 and 人均可支配收入 (as for ``rules.check_households``); a missing
#: spending column counts as 0; 发现日期, when present, gives each row's deadline.
CHECK_TABLE = Sheet(
    "check_table", "资格核查表",
    (
        replace(HOUSEHOLDS.column("household_no"), required=False),
        HOUSEHOLDS.column("group"),
        HOUSEHOLDS.column("income_per_capita"),
        _spending_input("medical", "医疗支出", "住院自付费用"),
        _spending_input("education", "教育支出"),
        _spending_input("accident", "意外损失"),
        _spending_input("industry", "产业损失"),
        replace(CASES.column("found_date"), required=False),
    ),
    household_ref=None,
    note="FP_CHECK_TABLE 读取的表：每户一行，支出直接填写",
)

#: Data sheets in workbook order.
SHEETS: tuple[Sheet, ...] = (HOUSEHOLDS, MEMBERS, SPENDING, CASES, VISITS, AID)
SHEETS_BY_KEY: dict[str, Sheet] = {s.key: s for s in SHEETS}

#: Sheets that carry no rows of data.
INSTRUCTIONS_SHEET = "说明"
POLICY_SHEET = "参数"
#: The 参数 row that is not a policy parameter: the date the workbook is judged at.
CHECK_DATE_KEY = "check_date"
CALENDAR_SHEET = "日历"
ISSUES_SHEET = "问题"


def sheet(key: str) -> Sheet:
    return SHEETS_BY_KEY[key]
