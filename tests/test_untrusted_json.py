"""The bounded JSON loader for untrusted input (svs.codec.untrusted_json), against json.loads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from svs.codec.untrusted_json import MAX_DEPTH, TooDeep, loads, nesting_depth

TEXT = st.text(alphabet=st.sampled_from('[]{}"\\ab\n\u00e9'), max_size=8) | st.text(max_size=8)
VALUES = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=40)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_the_depth_is_exact_whatever_the_strings_hold_and_the_document_parses_as_json_loads_does(value):
    """Strings drawn from any text, so they hold brackets, quotes and escapes ("]]]" must not
    hide the depth of what follows)."""
    document = json.dumps(value)
    assert nesting_depth(document.encode()) == _depth(value)
    assert loads(document, max_depth=_depth(value)) == json.loads(document)
    if _depth(value):
        with pytest.raises(TooDeep):
            loads(document, max_depth=_depth(value) - 1)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300))
def test_a_document_deeper_than_the_bound_is_refused_before_parsing(depth):
    document = "[" * depth + "]" * depth
    if depth <= MAX_DEPTH:
        assert loads(document) == json.loads(document)
    else:
        with pytest.raises(TooDeep, match=f"nested {depth} levels deep"):
            loads(document)


def test_closing_brackets_in_a_string_do_not_hide_a_deep_document():
    hiding = b'["' + b"]" * 1000 + b'", ' + b"[" * 1000 + b"]" * 1000 + b"]"
    assert nesting_depth(hiding) == 1001
    with pytest.raises(TooDeep, match="nested 1001 levels"):
        loads(hiding)
    assert nesting_depth(b'["[[[[", "\\\"]]"]') == 1  # brackets after escaped quotes are still in the string


def test_unclosed_and_invalid_documents_are_value_errors():
    for document in (b"[" * 10, b"{not json", b"\xff\xfe"):
        with pytest.raises(ValueError):
            loads(document)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_a_deep_document_in_utf16_or_utf32_is_refused_not_parsed(encoding):
    """json.loads takes UTF-16 and UTF-32 bytes too, but the scan reads bytes as UTF-8: a "Ģ"
    (U+0122, the bytes 22 01 in UTF-16-LE) is a quote byte inside the string, so the scan took
    every bracket after it for string content, and the parser recursed 200,000 levels (a
    segfault under a raised recursion limit). Only UTF-8 is taken."""
    import sys

    hiding = '["\u0122",' + "[" * 200_000 + "]" * 200_000 + ',"\u0122"]'
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        with pytest.raises(ValueError):
            loads(hiding.encode(encoding))
    finally:
        sys.setrecursionlimit(limit)
    assert loads('["\u0122"]'.encode("utf-8")) == ["\u0122"]  # UTF-8 non-ASCII still parses
