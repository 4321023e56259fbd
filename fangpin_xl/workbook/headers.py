"""Finding a sheet by its name and its header row by the schema's column names.

* a sheet by its name or a synonym, compared with all whitespace removed;
* the header row is the best-matching row among the first 30 (title and
  note rows above it are skipped); a two-row header (a merged parent such
  as 公示 over 开始/结束) is matched as parent+child and as child;
* a header cell matches a column's name or synonym after NFKC (full-width →
  half-width), with whitespace and "*" removed and a unit in brackets after
  it ignored ("金额(元)");
* failing that, by its loose form (``loose_header``): every bracketed part and
  the filler words 家庭 / 年 / 是否 / 享受 dropped, so the national system's
  家庭年人均纯收入 is 人均纯收入 and 是否享受低保 is 低保 — where that form
  names one column of the sheet only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..schema import Sheet
from .sources import Grid

#: Rows searched for the header row.
HEADER_SCAN_ROWS = 30


#: How Excel and WPS name a copied sheet: 帮扶 (2), 帮扶(2), 帮扶（2）.
_COPY_SUFFIX = re.compile(r"[（(]\d{1,3}[)）]$")


def find_sheet(candidates, sheet_names) -> str | None:
    """The first sheet whose name equals a candidate with all whitespace removed.

    When none does, a sheet named like a copy of a candidate (帮扶(2)) is taken:
    a township that copied its sheet and deleted the original still has its rows.
    """
    by_name: dict[str, str] = {}
    copies: dict[str, str] = {}
    for name in sheet_names:
        bare = no_space(name)
        by_name.setdefault(bare, name)
        copies.setdefault(_COPY_SUFFIX.sub("", bare), name)
    for table in (by_name, copies):
        for cand in candidates:
            hit = table.get(no_space(cand))
            if hit is not None:
                return hit
    return None


def copy_of_sheet(names: list[str], sheet_names: list[str]) -> str | None:
    """The sheet of ``sheet_names`` that the first of ``names`` is a copy of (帮扶(2) → 帮扶)."""
    bare = _COPY_SUFFIX.sub("", no_space(names[0])) if names else ""
    if not bare or bare == no_space(names[0]):
        return None
    return next((s for s in sheet_names if no_space(s) == bare), None)


def normalise_header(text: str) -> str:
    """Header text for matching: NFKC (full-width → half-width), no whitespace, no "*"."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s*]+", "", text)


#: Words a header may carry or leave out without naming another column.
_FILLER = ("家庭", "是否", "享受", "年")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")


def loose_header(text: str) -> str:
    """``normalise_header`` without bracketed parts (units) and filler words."""
    text = _BRACKETED.sub("", normalise_header(text))
    for word in _FILLER:
        text = text.replace(word, "")
    return text


@dataclass
class Header:
    first: int  # relative row of the (first) header row
    height: int  # 1 or 2
    names: list[str]  # display text per grid column ("" if none)
    keys: dict[int, str]  # grid column → schema key
    duplicates: dict[int, str]  # grid column → key it also matched (kept as extra)
    score: int


class Matcher:
    def __init__(self, spec: Sheet, columns=None):
        columns = spec.columns if columns is None else columns
        self.lookup: dict[str, tuple[str, bool]] = {}
        for col in columns:
            self.lookup.setdefault(normalise_header(col.header), (col.key, True))
        for col in columns:
            for syn in col.synonyms:
                self.lookup.setdefault(normalise_header(syn), (col.key, False))
        loose: dict[str, set[str]] = {}
        for col in columns:
            for name in col.names:
                loose.setdefault(loose_header(name), set()).add(col.key)
        # Only a loose form that names one column: never a guess between two.
        self.loose = {text: next(iter(keys)) for text, keys in loose.items() if len(keys) == 1 and text}

    def resolve(self, text: str) -> tuple[str, bool] | None:
        if not text:
            return None
        hit = self.lookup.get(text)
        if hit is None and text.endswith(")"):
            # "金额(元)", "家庭人口(人)": a unit after the name.
            hit = self.lookup.get(re.sub(r"\([^()]*\)$", "", text))
        if hit is None:
            key = self.loose.get(loose_header(text))
            if key is not None:
                hit = (key, False)
        return hit

    def match(self, candidates: list[list[str]]) -> tuple[dict[int, str], dict[int, str]]:
        """Assign keys to columns; a key claimed twice goes to its exact header, else leftmost."""
        claims: dict[str, list[tuple[bool, int]]] = {}
        for c, cands in enumerate(candidates):
            for text in cands:
                hit = self.resolve(text)
                if hit is not None:
                    claims.setdefault(hit[0], []).append((not hit[1], c))
                    break
        keys, duplicates = {}, {}
        for key, cols in claims.items():
            cols.sort()
            keys[cols[0][1]] = key
            for _, c in cols[1:]:
                duplicates[c] = key
        return keys, duplicates


def find_header(grid: Grid, matcher: Matcher) -> Header | None:
    scan = min(HEADER_SCAN_ROWS, grid.height)
    texts = [[normalise_header(header_text(v)) for v in row] for row in grid.rows[:scan + 1]]
    display = [[header_text(v) for v in row] for row in grid.rows[:scan + 1]]
    origin = _merge_origins(grid, scan + 1)
    best: Header | None = None

    def consider(header: Header) -> None:
        # Higher score wins; on a tie a one-row header beats a pair, then the earlier row.
        nonlocal best
        if best is None or (header.score, -header.height) > (best.score, -best.height):
            best = header

    for r in range(scan):
        keys, dups = matcher.match([[t] for t in texts[r]])
        single = Header(r, 1, display[r], keys, dups, len(keys))
        pair = None
        if r + 1 < len(texts):
            cands, names = _pair_names(r, texts, display, origin, grid.merged is None)
            keys2, dups2 = matcher.match(cands)
            if len(keys2) > len(keys):
                pair = Header(r, 2, names, keys2, dups2, len(keys2))
        # A real two-row header beats its own top row; a title row merged
        # over a one-row header only ties with that header row, and loses.
        consider(pair if pair is not None else single)
    if best is None or best.score < 2:
        return None
    return best


def _merge_origins(grid: Grid, rows: int) -> dict[tuple[int, int], tuple[int, int]]:
    """(r, c) → the top-left cell of the merged range holding it, in the first ``rows`` rows."""
    origin = {}
    for r0, c0, r1, c1 in grid.merged or ():
        if r0 >= rows:
            continue
        for r in range(r0, min(r1, rows - 1) + 1):
            for c in range(c0, c1 + 1):
                origin[(r, c)] = (r0, c0)
    return origin


_PARENT_SUFFIXES = ("基本信息", "信息", "情况")


def _pair_names(r, texts, display, origin, guess_merges):
    """Per column: the names to try for a header of rows r and r+1, and the display name."""
    width = len(texts[r])
    cands, names = [], []
    parent_t, parent_d = "", ""
    for c in range(width):
        top = origin.get((r, c))
        if top is not None and top[0] <= r:
            pt, pd_ = texts[top[0]][top[1]], display[top[0]][top[1]]
        elif guess_merges and not texts[r][c] and texts[r + 1][c] and c and texts[r + 1][c - 1]:
            # No merge information: a blank cell above a sub-header continues the parent.
            pt, pd_ = parent_t, parent_d
        else:
            pt, pd_ = texts[r][c], display[r][c]
        parent_t, parent_d = pt, pd_
        below = origin.get((r + 1, c))
        if below is not None and below[0] <= r:
            ct, cd = "", ""  # the lower half of a cell merged from above
        else:
            ct, cd = texts[r + 1][c], display[r + 1][c]
        if ct and pt and ct != pt:
            # National exports group columns under parents like 户主信息 over 姓名.
            bare = [pt[: -len(x)] + ct for x in _PARENT_SUFFIXES if pt.endswith(x) and pt != x]
            cands.append([pt + ct, *bare[:1], ct])
            names.append(pd_ + cd)
        elif ct:
            cands.append([ct])
            names.append(cd)
        else:
            cands.append([pt])
            names.append(pd_)
    return cands, names


def header_text(value) -> str:
    if isinstance(value, str):
        # A line break inside a Chinese header ("家庭\n人口") joins without a space.
        value = _CJK_BREAK.sub("", value)
        return " ".join(value.split())
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return ""


_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])\s*\n\s*|\s*\n\s*(?=[^\x00-\x7f])")


def no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)
