"""The year's fund ledger (防贫救助资金池台账): which cases are the year's payouts, and the figures.

Pure and vectorised: no file I/O. ``fund_ledger`` reads the county workbook and
writes the ledger workbook; this module decides and computes.

**Which cases are the year's payouts.** A case is paid in year Y when its 支付日期
lies in Y: the payment date is when money left the pool, and a ledger follows
the money. 状态 is a procedure label that can lag behind (a case paid on
2020-12-30 still marked 已备案) or run ahead, so it does not decide; a case
counted while its 状态 is not 已支付 gets a warning. Rows are sorted into:

* ``counted`` — 支付日期 in Y and a usable 救助金额 (a number from 0 to 1 trillion);
* ``other_year`` — 支付日期 in another year (that year's ledger counts it);
* ``unpaid`` — no 支付日期 and 状态 not 已支付;
* ``rejected`` — rows the ledger cannot place or count, each with a message:
  支付日期 typed but not a date; 状态 已支付 without 支付日期 (the year is
  unknown); 支付日期 in Y with 救助金额 empty, not a number, negative or absurd.

Every row lands in exactly one of the four (the counts add up to the rows read).

**Money** is whole fen (``int64``) from the first step: each case amount is taken
to the fen (halves away from zero, like Excel ``ROUND(x, 2)``) before anything
is added, and no sum is ever a float. Rounding happens in three places only,
all from ``fund``: the insured count (half up to whole persons), the premium per
person (to the fen) and the service fee (half up to the fen).

**The year, month by month.** The premium is credited on 1 January (the start
of the year). The service fee accrues with the payouts: the fee of month m is
the fee on the relief paid up to m minus the fee on the relief paid up to m−1,
so the months add up to exactly the year's fee on its total relief. County
finance tops up in the month the balance would go below zero, just enough to
bring it back to zero; since the balance only falls after January, the year's
top-up is exactly what keeps the closing balance from going negative:
``max(0, −(opening + premium − relief − fee))``. The closing balance
(opening + premium + top-up − relief − fee) is carried forward to next year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fund import (
    bad_amount,
    closing_balance_fen,
    insured_count,
    premium_fen,
    service_fee_fen,
    to_fen,
)
from .policy import SPENDING_KINDS, Policy
from .text import cell_text, number_text

#: How a 救助 row enters the year's ledger.
COUNTED, OTHER_YEAR, UNPAID, REJECTED = "counted", "other_year", "unpaid", "rejected"
OUTCOMES = (COUNTED, OTHER_YEAR, UNPAID, REJECTED)
OUTCOME_LABELS = {COUNTED: "本年支付计入", OTHER_YEAR: "其他年度支付", UNPAID: "未支付", REJECTED: "未计入"}
PAID_STAGE = "已支付"
#: What a blank township or kind is shown as.
BLANK_LABEL = "（未填）"
#: The columns ``sort_payments`` reads.
PAYMENT_INPUT = ("stage", "amount", "amount_typed", "paid_on", "paid_on_typed")
#: Monthly ledger columns, all whole fen except ``month`` and ``cases``.
MONTHLY_COLUMNS = ("month", "opening", "premium", "top_up", "relief", "fee", "closing", "cases")


def _day(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").fillna("")


def sort_payments(cases: pd.DataFrame, year: int) -> pd.DataFrame:
    """Each 救助 row's place in the ledger of ``year`` (see the module text).

    ``cases`` has the columns ``PAYMENT_INPUT``: ``stage`` (text), ``amount``
    (float, NaN where empty or unreadable), ``amount_typed`` (the text typed where
    the amount could not be read, else ""), ``paid_on`` (datetime64, NaT where
    empty or unreadable), ``paid_on_typed`` (likewise). Returns a frame on the
    same index: ``outcome`` (``OUTCOMES``), ``fen`` (int64; 0 unless counted),
    ``month`` (1–12; 0 unless counted), ``severity`` ("error" for a rejected row,
    "warning" for a counted row whose 状态 is not 已支付, else ""), ``column`` (the
    schema key of the cell the message is about: ``payment_date``, ``relief_amount``
    or ``stage``; "" without a message) and ``message``.
    """
    index = cases.index
    stage = cases["stage"].fillna("").astype(str).str.strip()
    amount = pd.to_numeric(cases["amount"], errors="coerce").astype("float64")
    amount_typed = cases["amount_typed"].fillna("").astype(str)
    paid_on = pd.to_datetime(cases["paid_on"], errors="coerce")
    paid_on_typed = cases["paid_on_typed"].fillna("").astype(str)

    has_date = paid_on.notna()
    date_text = (paid_on_typed != "") & ~has_date
    in_year = has_date & (paid_on.dt.year == int(year))
    amount_text = (amount_typed != "") & amount.isna()
    amount_empty = amount.isna() & ~amount_text
    # A number the reader left unread (1e308, 10000000000) is too large, not "not a number".
    typed_number = pd.to_numeric(amount_typed.str.replace(",", "", regex=False), errors="coerce").notna()
    typed_why = pd.Series(np.where(typed_number, "超出合理范围（金额应小于 100 亿元）", "不是数字"), index=index)
    present = amount.notna()
    too_big = present & pd.Series(bad_amount(amount.to_numpy()), index=index)
    negative = present & (amount < 0) & ~too_big
    no_date = (stage == PAID_STAGE) & ~has_date & ~date_text

    # The first reason that applies is the one given.
    reasons = [
        (date_text, "payment_date", "支付日期“" + paid_on_typed + "”不是日期，无法确定支付年度"),
        (no_date, "payment_date", pd.Series("状态为“已支付”，但没有填写支付日期，无法确定支付年度", index=index)),
        (in_year & amount_text, "relief_amount", "救助金额“" + amount_typed + "”" + typed_why),
        (in_year & amount_empty, "relief_amount", "支付日期为 " + _day(paid_on) + "，但救助金额为空"),
        (in_year & negative, "relief_amount", "救助金额为负数（" + _numbers(amount) + " 元）"),
        (in_year & too_big, "relief_amount", "救助金额 " + _numbers(amount) + " 元超过 1 万亿元，不是可用的金额"),
    ]
    rejected = pd.Series(False, index=index)
    message = pd.Series("", index=index, dtype=object)
    column = pd.Series("", index=index, dtype=object)
    for mask, key, text in reasons:
        take = mask & ~rejected
        message = message.where(~take, text)
        column = column.where(~take, key)
        rejected |= take

    counted = in_year & ~rejected
    outcome = np.select([rejected.to_numpy(), counted.to_numpy(), has_date.to_numpy()],
                        [REJECTED, COUNTED, OTHER_YEAR], UNPAID)
    fen = np.zeros(len(index), dtype=np.int64)
    take = counted.to_numpy()
    if take.any():
        fen[take] = to_fen(amount.to_numpy()[take])
    month = np.where(take, paid_on.dt.month.fillna(0).to_numpy(dtype=np.int64), 0)

    stage_off = counted & (stage != PAID_STAGE)
    stage_shown = stage.where(stage != "", "空")
    warning = ("支付日期 " + _day(paid_on) + " 在 " + str(int(year)) + " 年，但状态为“" + stage_shown
               + "”：已按支付日期计入本年救助支出，请核对状态")
    message = message.where(~stage_off, warning)
    column = column.where(~stage_off, "stage")
    severity = np.select([rejected.to_numpy(), stage_off.to_numpy()], ["error", "warning"], "")
    return pd.DataFrame({"outcome": outcome, "fen": fen, "month": month, "severity": severity,
                         "column": column.to_numpy(dtype=object),
                         "message": message.to_numpy(dtype=object)}, index=index)


def _numbers(values: pd.Series) -> pd.Series:
    """``number_text`` of each value that is a finite number, "" elsewhere."""
    out = pd.Series("", index=values.index, dtype=object)
    finite = np.isfinite(values.to_numpy(dtype=np.float64))
    if finite.any():
        out[finite] = [number_text(v) for v in values[finite]]
    return out


def outcome_counts(sorted_rows: pd.DataFrame) -> dict[str, int]:
    """Rows per outcome, every outcome present (read = the sum of the four)."""
    counts = sorted_rows["outcome"].value_counts()
    return {outcome: int(counts.get(outcome, 0)) for outcome in OUTCOMES}


# -- the ledger ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Ledger:
    """One county-year of the fund; every amount in whole fen."""

    county: str
    year: int
    rural_population: int
    coverage_rate: float
    insured: int
    premium_per_person_fen: int
    premium_fen: int
    opening_fen: int
    relief_fen: int
    cases: int
    fee_rate: float
    #: The service-fee rate is the shipped example, not the county's own (``Policy.unset_examples``).
    fee_rate_example: bool
    fee_fen: int
    top_up_fen: int
    closing_fen: int
    #: ``MONTHLY_COLUMNS``, months 1–12.
    monthly: pd.DataFrame
    #: label, cases, fen — per township / per kind, in table order.
    by_township: pd.DataFrame
    by_kind: pd.DataFrame

    @property
    def before_top_up_fen(self) -> int:
        """Opening + premium − relief − fee: negative when county finance must top up."""
        return self.opening_fen + self.premium_fen - self.relief_fen - self.fee_fen


def build_ledger(payments: pd.DataFrame, *, policy: Policy, year: int, rural_population: int,
                 opening_fen: int, townships: Sequence[str] = ()) -> Ledger:
    """The ledger of ``year`` from its counted payments.

    ``payments`` holds the counted rows only, with columns ``township``, ``kind``,
    ``month`` (1–12) and ``fen`` (int64). ``townships`` lists every township of
    the 救助 sheet, so one without payments still gets its row of zeros.
    ``rural_population`` and ``opening_fen`` must be usable (the caller has
    checked them: ``fund.insured_count`` raises otherwise).
    """
    if opening_fen < 0:
        raise ValueError("opening balance below zero")
    fen = payments["fen"].to_numpy(dtype=np.int64)
    if (fen < 0).any():
        raise ValueError("negative payouts reached the ledger")
    months = payments["month"].to_numpy(dtype=np.int64)
    if len(months) and ((months < 1) | (months > 12)).any():
        raise ValueError("payment month outside 1–12")
    insured = int(insured_count([rural_population], policy.coverage_rate)[0])
    premium = int(premium_fen([insured], policy.premium_per_person)[0])
    per_person = int(premium_fen([1], policy.premium_per_person)[0])
    rate = float(policy.service_fee_rate)

    monthly = monthly_balance(months, fen, opening_fen=opening_fen, premium_fen=premium, fee_rate=rate)
    relief = int(fen.sum())
    fee = int(monthly["fee"].sum())
    top_up = int(monthly["top_up"].sum())
    closing = int(closing_balance_fen(opening_fen, premium, top_up, relief, rate))
    if fee != int(service_fee_fen(relief, rate)) or closing != int(monthly["closing"].iloc[-1]) or closing < 0:
        raise RuntimeError("fund ledger does not reconcile")
    return Ledger(
        county=policy.county, year=int(year), rural_population=int(rural_population),
        coverage_rate=float(policy.coverage_rate), insured=insured, premium_per_person_fen=per_person,
        premium_fen=premium, opening_fen=int(opening_fen), relief_fen=relief, cases=len(fen),
        fee_rate=rate, fee_rate_example="fund.service_fee_rate" in policy.unset_examples(),
        fee_fen=fee, top_up_fen=top_up, closing_fen=closing, monthly=monthly,
        by_township=_totals(payments, "township", list(dict.fromkeys(townships))),
        by_kind=_totals(payments, "kind", list(SPENDING_KINDS)),
    )


def monthly_balance(months: np.ndarray, fen: np.ndarray, *, opening_fen: int, premium_fen: int,
                    fee_rate: float) -> pd.DataFrame:
    """The running balance of months 1–12 (``MONTHLY_COLUMNS``), in whole fen.

    The premium is credited at the start of January; the fee accrues with the
    payouts (fee on the relief to date, less the fee already accrued); county
    finance tops up in a month only what keeps its closing balance at zero.
    """
    relief = np.zeros(12, dtype=np.int64)
    np.add.at(relief, months - 1, fen)
    cases = np.bincount(months - 1, minlength=12)[:12] if len(months) else np.zeros(12, dtype=np.int64)
    fee_to_date = service_fee_fen(np.cumsum(relief), fee_rate)
    fee = np.diff(fee_to_date, prepend=0)
    premium = np.zeros(12, dtype=np.int64)
    premium[0] = premium_fen
    running = opening_fen + np.cumsum(premium - relief - fee)
    top_up_to_date = np.maximum.accumulate(np.maximum(-running, 0))
    top_up = np.diff(top_up_to_date, prepend=0)
    closing = running + top_up_to_date
    opening = np.concatenate([[opening_fen], closing[:-1]]).astype(np.int64)
    return pd.DataFrame({
        "month": np.arange(1, 13), "opening": opening, "premium": premium, "top_up": top_up,
        "relief": relief, "fee": fee, "closing": closing, "cases": cases.astype(np.int64),
    })


def _totals(payments: pd.DataFrame, column: str, first: list[str]) -> pd.DataFrame:
    """Cases and fen per label: the ``first`` labels in order, then the others as found, then blanks."""
    labels = payments[column].map(cell_text).str.strip() if len(payments) else pd.Series([], dtype=object)
    labels = labels.where(labels != "", BLANK_LABEL)
    grouped = pd.DataFrame({"label": labels.to_numpy(dtype=object),
                            "fen": payments["fen"].to_numpy(dtype=np.int64)})
    sums = grouped.groupby("label", sort=False)["fen"].agg(["size", "sum"])
    seen = [label for label in sums.index if label not in first and label != BLANK_LABEL]
    order = first + seen + ([BLANK_LABEL] if BLANK_LABEL in sums.index and BLANK_LABEL not in first else [])
    sums = sums.reindex(order, fill_value=0)
    return pd.DataFrame({"label": order, "cases": sums["size"].to_numpy(dtype=np.int64),
                         "fen": sums["sum"].to_numpy(dtype=np.int64)})


# -- text -------------------------------------------------------------------------------------

def yuan_text(fen: int) -> str:
    """Whole fen as yuan text (``number_text``: 62948.04, 4000000, 0.5)."""
    return number_text(int(fen) / 100)


def rate_text(rate: float) -> str:
    """A rate as a percentage (0.05 → 5%)."""
    return number_text(float(rate) * 100) + "%"
