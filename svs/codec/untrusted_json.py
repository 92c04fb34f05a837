"""JSON from untrusted peers (users at the ingress, a beacon API), parsed with a bound on nesting.

The standard parser recurses once per level of nesting. Under Python's default recursion limit
a deeply nested document (``[[[[...``, 100 KB is enough) raises RecursionError, which callers
of ``json.loads`` rarely catch. In a process that raised the limit it overflows the C stack and
the whole process dies: py_ecc and py-evm raise it to 100,000 on import, and an ``ape test``
process has both, so the ``svs`` pytest fixture's in-process sequencer would die of one request.

``loads`` refuses a document nested deeper than ``max_depth`` before it is parsed. The depth is
that of the brackets outside string literals (a string may hold any brackets; counting those
would let ``"]]]]"`` hide the depth of what follows). For a valid document it is exact; for an
invalid one it is exact up to the first error, which is as far as the parser gets.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # JSON-RPC requests and beacon answers nest a few levels

_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash and the character it escapes (only inside strings)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')  # a string literal once only quotes and brackets are left
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


class TooDeep(ValueError):
    """The document nests deeper than allowed (it is not parsed)."""


def nesting_depth(data: bytes) -> int:
    """The nesting depth of the JSON document ``data``: of its brackets outside string literals.
    Linear in the length, in C but for the brackets themselves, and cheap enough for the nodes'
    large answers (svs.node.rpc; ~0.5 ms for a 660 KB simulation, against ~1.2 ms to parse it):

    1. drop every escape pair (``\\"`` and the like occur only inside strings), so that every
       quote left delimits a string;
    2. keep only quotes and brackets; a string is then ``"`` + brackets + ``"``;
    3. drop ``""`` pairs: the empty strings, and the closing and opening quotes of two strings
       with nothing structural between them, which leaves one string holding both contents;
    4. drop what is left of the strings and count the depth of the brackets that remain."""
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    brackets = _STRING.sub(b"", data.translate(None, _NOT_STRUCTURE).replace(b'""', b""))
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` of ``data`` if it nests at most ``max_depth`` levels; TooDeep (a
    ValueError) otherwise, and ValueError as ``json.loads`` raises it.

    Bytes must be UTF-8 (as RFC 8259 asks of JSON between systems), or UnicodeDecodeError (a
    ValueError): ``json.loads`` would also take UTF-16 and UTF-32, whose bytes the scan does not
    read as the parser does (a "Ģ" in UTF-16 is a quote byte, 0x22, which hid every bracket after
    it: one 800 KB request segfaulted a process with a raised recursion limit). The scan reads
    the UTF-8 bytes and the parser the text they decode to, so both see the same document."""
    if isinstance(data, str):
        text, raw = data, data.encode("utf-8")
    else:
        raw = bytes(data)
        text = raw.decode("utf-8")
    if raw.count(b"[") + raw.count(b"{") > max_depth:  # else it cannot nest deeper: any ordinary request
        depth = nesting_depth(raw)
        if depth > max_depth:
            raise TooDeep(f"JSON nested {depth} levels deep (at most {max_depth})")
    return json.loads(text)
