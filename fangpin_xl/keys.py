"""The one key normaliser: how 户编号 and 案件编号 are compared everywhere.

Two cells hold the same key when they read the same after Unicode NFKC
(full-width "Ａ-００１" is "A-001"), with all white space removed and letters
upper-cased; a number in a text column is its text ("7.0" typed as a number
is "7"). Validation, duplicates, merging, derived columns and screening all
compare through ``match_keys``. ID numbers have their own normaliser,
``ids.normalize_id`` / ``ids.validate_ids`` (which also turns 15 digits into 18).

Excel's ``=`` in the templates' formulas ignores letter case only: a key that
differs from another in width or spacing alone is one household here but two
in a workbook's own formulas.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .text import cell_text, text_mask

_SPACE = re.compile(r"\s+")


def match_keys(values: pd.Series) -> pd.Series:
    """Keys as compared everywhere (see the module docstring); None where the cell is empty.

    Object dtype. A key column is usually plain upper-case ASCII without spaces
    already, which one check over the joined text shows; then its strings are
    used as they are.
    """
    values = values if isinstance(values, pd.Series) else pd.Series(values)
    arr = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        present = ~pd.isna(arr)
        out = arr.copy()
    else:
        present = values.notna().to_numpy(dtype=bool)
        is_text = text_mask(values) & present
        out = np.full(len(arr), None, dtype=object)
        out[is_text] = arr[is_text]
        other = present & ~is_text
        if other.any():
            out[other] = values[other].map(cell_text).to_numpy(dtype=object)
    out[~present] = None
    texts = out[present]
    if len(texts):
        joined = "".join(texts)
        plain = joined.isascii() and not _SPACE.search(joined)
        if not plain:
            texts = (pd.Series(texts, dtype=object).str.normalize("NFKC")
                     .str.replace(_SPACE, "", regex=True).to_numpy(dtype=object, copy=True))
            joined = "".join(texts)
        # str.upper maps characters one by one, so the whole is unchanged only if every part is.
        if joined.upper() != joined:
            texts = pd.Series(texts, dtype=object).str.upper().to_numpy(dtype=object, copy=True)
        texts[texts == ""] = None
        out[present] = texts
    return pd.Series(out, index=values.index, dtype=object)
