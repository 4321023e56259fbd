"""The one declaration of department exports (top-down screening) and of the screening workbook.

Department exports (医保, 教育, 交警, 消防, 民政, 产业) come with their own
headers and title rows; each department's minimal columns are declared here
once, like ``schema.py`` declares the township sheets, with the synonyms
their exports use. The reader matches a header cell the way it matches a
township sheet's (NFKC, no spaces, a unit in brackets ignored).

What each department contributes (``screening.record_amounts``):

* 医保 (因病): 个人自付; where a file has no 个人自付 column or the cell is
  empty, 医疗总费用 − 统筹支付. A file with further reimbursement columns
  (大病保险, 医疗救助) should give 个人自付: those columns are not read.
* 教育 (因学): 学费 + 住宿费 + 教材费 (the ones present).
* 交警, 消防, 民政 (因意外) and 产业 (因产业): 损失金额 − 保险赔付 − 救助金额,
  never below 0.

The sheets of the screening workbook are declared here as well (keys are the
columns of the frames ``screening.screen`` returns).
"""

from __future__ import annotations

from dataclasses import dataclass

from .schema import DATE, ID, INTEGER, MONEY, TEXT, Column, Sheet

# -- department exports ----------------------------------------------------------------

_ID = Column(
    "id_number", "身份证号", ID, True,
    ("身份证号码", "公民身份号码", "证件号码", "证件号", "身份证", "患者身份证号", "参保人身份证号",
     "学生身份证号", "当事人身份证号", "受灾人身份证号", "救助对象身份证号", "户主身份证号"),
    width=21, personal=True,
)
_NAME = Column(
    "name", "姓名", TEXT, False,
    ("患者姓名", "参保人姓名", "学生姓名", "当事人姓名", "受灾人姓名", "救助对象姓名", "人员姓名"),
)

MEDICAL = Sheet("medical", "医保", (
    _ID, _NAME,
    Column("date", "结算日期", DATE, True, ("出院日期", "费用发生日期", "就诊日期", "发生日期", "日期")),
    Column("total", "医疗总费用", MONEY, False, ("总费用", "住院总费用", "费用总额", "医疗费用总额", "医疗费总额")),
    Column("reimbursed", "统筹支付", MONEY, False,
           ("报销金额", "统筹基金支付", "统筹支付金额", "基本医保统筹支付", "医保统筹支付", "医保报销", "医保支付",
            "报销合计")),
    Column("self_paid", "个人自付", MONEY, False,
           ("自付金额", "个人自付金额", "个人自付费用", "自付费用", "个人负担", "个人负担金额", "个人支付")),
), household_ref=None)

EDUCATION = Sheet("education", "教育", (
    _ID, _NAME,
    Column("date", "缴费日期", DATE, True, ("收费日期", "发生日期", "日期")),
    Column("tuition", "学费", MONEY, False, ("学费金额", "学杂费")),
    Column("accommodation", "住宿费", MONEY, False, ("住宿费金额",)),
    Column("textbooks", "教材费", MONEY, False, ("书本费", "课本费", "教材费用")),
), household_ref=None)

LOSS = Sheet("loss", "损失", (
    _ID, _NAME,
    Column("date", "发生日期", DATE, True,
           ("事故日期", "事故发生日期", "火灾日期", "起火日期", "受灾日期", "灾害发生日期", "损失日期", "救助日期",
            "发生时间", "日期")),
    Column("loss", "损失金额", MONEY, True, ("损失", "直接经济损失", "经济损失", "财产损失", "损失合计")),
    Column("insurance", "保险赔付", MONEY, False, ("保险理赔", "商业保险赔付", "保险赔偿", "保险赔款", "理赔金额")),
    Column("aid", "救助金额", MONEY, False, ("社会救助", "救助金", "民政救助", "已获救助")),
), household_ref=None)

#: Every amount column any department declares.
AMOUNT_KEYS: tuple[str, ...] = (
    "total", "reimbursed", "self_paid", "tuition", "accommodation", "textbooks", "loss", "insurance", "aid",
)


@dataclass(frozen=True)
class Department:
    #: The command-line option (``--medical`` …) and the key in results.
    key: str
    #: The name users see (and write in 支出's 来源 column).
    label: str
    #: The spending kind its records are (``policy.SPENDING_KINDS``).
    kind: str
    sheet: Sheet
    #: Sets of amount columns one of which a file must have (else it cannot be used).
    needs: tuple[tuple[str, ...], ...]
    #: How the amount counted is made, for messages.
    rule: str


_MEDICAL_RULE = "“个人自付”，或“医疗总费用”和“统筹支付”"
_EDUCATION_RULE = "“学费”“住宿费”“教材费”中至少一列"
_LOSS_RULE = "“损失金额”"

DEPARTMENTS: tuple[Department, ...] = (
    Department("medical", "医保", "因病", MEDICAL, (("self_paid",), ("total", "reimbursed")), _MEDICAL_RULE),
    Department("education", "教育", "因学", EDUCATION, (("tuition",), ("accommodation",), ("textbooks",)),
               _EDUCATION_RULE),
    Department("traffic", "交警", "因意外", LOSS, (("loss",),), _LOSS_RULE),
    Department("fire", "消防", "因意外", LOSS, (("loss",),), _LOSS_RULE),
    Department("civil", "民政", "因意外", LOSS, (("loss",),), _LOSS_RULE),
    Department("industry", "产业", "因产业", LOSS, (("loss",),), _LOSS_RULE),
)
DEPARTMENTS_BY_KEY: dict[str, Department] = {d.key: d for d in DEPARTMENTS}

# -- the screening workbook ---------------------------------------------------------------

FOUND_WAY = "自上而下筛查"
OPEN_CASE_MARK = "已有在办案件"


def _source_columns() -> tuple[Column, ...]:
    return (
        Column("department", "部门", TEXT, width=7),
        Column("file", "来源文件", TEXT, width=16),
        Column("sheet", "来源工作表", TEXT, width=10),
        Column("row", "来源行", INTEGER, width=7),
    )


CANDIDATES = Sheet("candidates", "疑似防贫对象", (
    Column("township", "乡镇", TEXT, width=10),
    Column("village", "村", TEXT, width=10),
    Column("household_no", "户编号", TEXT, width=14),
    Column("head_name", "户主姓名", TEXT, width=9),
    Column("group", "户类型", TEXT, width=12),
    Column("income_per_capita", "人均可支配收入", MONEY, width=11),
    Column("kind", "救助类别", TEXT, width=8),
    Column("found_way", "发现方式", TEXT, width=12, note="自上而下筛查：由县里比对部门数据发现"),
    Column("departments", "来源部门", TEXT, width=9),
    Column("records", "记录数", INTEGER, width=7, note="统计期内计入的部门记录条数"),
    Column("members", "涉及成员", TEXT, width=12),
    Column("amount", "部门数据合计", MONEY, width=12,
           note="统计期内部门记录计入金额之和（元）：医保为个人自付，教育为学费、住宿费、教材费之和，"
                "意外和产业为损失减保险赔付和救助"),
    Column("recorded", "支出表同期登记", MONEY, width=12,
           note="本户“支出”表同一统计期内同类支出之和（元），仅供对照，未计入判定"),
    Column("met_text", "满足条件", TEXT, width=14),
    Column("reasons", "判定依据", TEXT, width=36),
    Column("open_cases", OPEN_CASE_MARK, TEXT, width=20,
           note="本户同类救助案件中状态不是“已支付”“已终止”的，列出案件编号和状态"),
    Column("evidence", "部门记录明细", TEXT, width=60),
    Column("files", "来源文件", TEXT, width=16),
), household_ref=None)

MATCHED = Sheet("matched", "匹配记录", (
    *_source_columns(),
    Column("township", "乡镇", TEXT, width=10),
    Column("village", "村", TEXT, width=10),
    Column("household_no", "户编号", TEXT, width=14),
    Column("member_name", "成员姓名", TEXT, width=9),
    Column("relation", "与户主关系", TEXT, width=8),
    Column("record_name", "部门记录姓名", TEXT, width=9),
    Column("id_number", "身份证号", ID, width=21, personal=True),
    Column("kind", "类别", TEXT, width=7),
    Column("date", "日期", DATE, width=11),
    Column("amount", "计入金额", MONEY, width=11),
    Column("detail", "金额构成", TEXT, width=36),
    Column("window", "统计期", TEXT, width=12),
    Column("status", "本户判定", TEXT, width=9, note="按统计期内部门数据判定本户资格（符合 / 不符合 / 资料不全）"),
    Column("listed", "列入疑似对象", TEXT, width=8),
), household_ref=None)

UNMATCHED = Sheet("unmatched", "未匹配", (
    *_source_columns(),
    Column("id_number", "身份证号", ID, width=21, personal=True),
    Column("record_name", "姓名", TEXT, width=9),
    Column("kind", "类别", TEXT, width=7),
    Column("date", "日期", DATE, width=11),
    Column("amount", "计入金额", MONEY, width=11),
    Column("reason", "说明", TEXT, width=30),
), household_ref=None)

INVALID = Sheet("invalid", "身份证号无效", (
    *_source_columns(),
    Column("cell", "单元格", TEXT, width=7),
    Column("id_text", "身份证号（原样）", TEXT, width=21, personal=True),
    Column("record_name", "姓名", TEXT, width=9),
    Column("reason", "原因", TEXT, width=40),
), household_ref=None)

UNUSABLE = Sheet("unusable", "数据无法使用", (
    *_source_columns(),
    Column("household_no", "户编号", TEXT, width=14),
    Column("member_name", "成员姓名", TEXT, width=9),
    Column("id_number", "身份证号", ID, width=21, personal=True),
    Column("reason", "原因", TEXT, width=50),
), household_ref=None)

COUNTS = Sheet("counts", "核对", (
    Column("department", "部门", TEXT, width=7),
    Column("file", "文件", TEXT, width=18),
    Column("sheet", "工作表", TEXT, width=10),
    Column("header_row", "表头行", INTEGER, width=7),
    Column("read", "读取", INTEGER, width=8),
    Column("matched", "匹配", INTEGER, width=8),
    Column("in_window", "其中统计期内", INTEGER, width=9),
    Column("outside", "其中统计期外", INTEGER, width=9),
    Column("unusable", "其中数据无法使用", INTEGER, width=10),
    Column("unmatched", "未匹配", INTEGER, width=8),
    Column("invalid", "身份证号无效", INTEGER, width=9),
    Column("balanced", "核对", TEXT, width=8, note="读取 = 匹配 + 未匹配 + 身份证号无效"),
), household_ref=None)

OUTPUT_SHEETS: tuple[Sheet, ...] = (CANDIDATES, MATCHED, UNMATCHED, INVALID, UNUSABLE, COUNTS)
