"""The fixed words and value types of a policy (no behaviour beyond formatting bands).

The lowest of the policy modules: ``policy_codecs`` and ``policy_params``
build on it and ``policy`` re-exports its public names.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import number_text

GROUPS: tuple[str, ...] = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
#: The group whose income condition is waived (national rule from 2021).
INCOME_WAIVED_GROUP = "突发严重困难户"

#: Spending kinds in the order they are shown, with the argument name used by
#: ``check_household`` and the English section name in the TOML file.
SPENDING_KINDS: tuple[str, ...] = ("因病", "因学", "因意外", "因产业")
KIND_FIELDS: dict[str, str] = {"因病": "medical", "因学": "education", "因意外": "accident", "因产业": "industry"}
FIELD_KINDS: dict[str, str] = {v: k for k, v in KIND_FIELDS.items()}

#: Chinese legal wording (Civil Code art. 1259): these include the number itself …
INCLUSIVE_WORDS = ("达到", "以上")
#: … and these exclude it.
EXCLUSIVE_WORDS = ("超过",)
OPERATOR_WORDS = INCLUSIVE_WORDS + EXCLUSIVE_WORDS

DEADLINE_MODES = ("工作日", "自然日")
PAYOUT_EXAMPLE_LABEL = "示例，以本县文件为准"
LAST_NATIONAL_LINE_YEAR = 2020

#: The word a policy file holds where a figure is still to be filled in.
UNFILLED = "待填"
#: Where the yearly income figure after 2020 comes from (TOML comment and error message).
MONITORING_SOURCE = "该金额是本省每年公布的防返贫监测范围（监测标准），以省里当年的文件为准"
POVERTY_LINE_SOURCE = "该金额是国家农村贫困标准（现价），以国家公布的数字为准"

@dataclass(frozen=True)
class SpendingRule:
    """One spending condition: ``amount <operator> threshold[group]``."""

    kind: str
    operator: str
    thresholds: dict[str, float]

    @property
    def inclusive(self) -> bool:
        return self.operator in INCLUSIVE_WORDS

    def threshold(self, group: str) -> float:
        return self.thresholds[group]


@dataclass(frozen=True)
class PayoutTable:
    """Progressive relief: bands of the amount *above the threshold*.

    ``bands`` is a tuple of ``(start, ratio)`` sorted by start, the first
    starting at 0; the band runs up to the next start. ``cap`` limits the
    result of this kind (the overall ``max_relief`` applies as well).
    """

    bands: tuple[tuple[float, float], ...]
    cap: float | None = None
    label: str = PAYOUT_EXAMPLE_LABEL


def format_bands(bands: tuple[tuple[float, float], ...]) -> str:
    """Bands as one line of text, e.g. ``0元起 10%；10000元起 20%``."""
    return "；".join(f"{number_text(start)}元起 {number_text(ratio * 100)}%" for start, ratio in bands)


def parse_bands(text: str) -> tuple[tuple[float, float], ...]:
    """Inverse of ``format_bands``: ``0元起 10%；10000元起 20%`` → ((0, 0.1), (10000, 0.2))."""
    bands = []
    for part in str(text).replace(";", "；").split("；"):
        part = part.strip()
        if not part:
            continue
        start, _, ratio = part.partition("元起")
        bands.append((float(start.strip()), round(float(ratio.strip().rstrip("%")) / 100, 10)))
    if not bands:
        raise ValueError(text)
    return tuple(bands)
