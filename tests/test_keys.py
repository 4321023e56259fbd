"""The one key normaliser for 户编号 and 案件编号."""

import unicodedata

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin_xl.keys import match_keys
from fangpin_xl.text import cell_text


def test_match_keys():
    values = pd.Series(["a1", None, "", 7, 7.0, "B ", "Ａ-００１ ", "A 001", "  ", "ａ１"])
    assert match_keys(values).tolist() == ["A1", None, None, "7", "7", "B", "A-001", "A001", None, "A1"]


def test_match_keys_keeps_the_index():
    values = pd.Series(["h1", "H1"], index=[7, 9])
    assert match_keys(values).index.tolist() == [7, 9]


key_values = st.one_of(
    st.none(), st.just(""), st.just(float("nan")),
    st.text(alphabet="abcXYZ019-东代固ßǅﬀＡ１\u3000 \t", max_size=6),
    st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(key_values, max_size=12))
def test_match_keys_equals_a_plain_per_cell_reference(values):
    def reference(value):
        if value is None or (isinstance(value, float) and value != value):
            return None
        text = value if isinstance(value, str) else cell_text(value)
        text = "".join(unicodedata.normalize("NFKC", text).split())
        return text.upper() or None

    series = pd.Series(values, dtype=object, index=range(5, 5 + len(values)))
    assert match_keys(series).tolist() == [reference(v) for v in values]
