"""HDF5 attributes that PyTables stores as pickles, read without unpickling.

PyTables writes any attribute value it cannot store natively (a Python list, tuple, dict …) as ``pickle.dumps(value)``
in a fixed-length byte string, and ``tables.AttributeSet`` calls ``pickle.loads`` on every byte-string attribute that
ends in ``b"."`` when it is read. pandas' "table" format keeps its column names that way (e.g. ``values_block_0_kind``
holds the pickle of a list of column names), so ``pandas.read_hdf`` on a crafted file runs whatever callable the
pickle names (the ``GLOBAL``/``STACK_GLOBAL`` + ``REDUCE`` opcodes: an ``os.system`` call, for instance).

showerml never unpickles. :func:`literal` decodes a pickle that only builds plain literals (str, bytes, int, float,
bool, None, and lists/tuples/dicts of them) by walking its opcodes with :func:`pickletools.genops`, which parses the
stream without importing or calling anything; any other opcode (a global, a call, an object) is refused.
:func:`code_attributes` lists every attribute in a file that would run code if PyTables read it, so a reader can
refuse the whole file before anything else touches it.
"""

from __future__ import annotations

import pickletools
from typing import Any

import h5py
import numpy as np

__all__ = ["PickleRefused", "calls_code", "code_attributes", "literal", "looks_pickled"]

# Opcodes that only push literals or assemble containers; anything else (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST,
# OBJ, NEWOBJ, PERSID, EXT…) names or calls code and is refused.
_PUSH = {
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
    "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
}
_SIMPLE = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_EMPTY = {"EMPTY_LIST": list, "EMPTY_TUPLE": tuple, "EMPTY_DICT": dict}
_NOOP = {"PROTO", "FRAME", "STOP"}
_CONTAINER = {"MARK", "LIST", "TUPLE", "DICT", "TUPLE1", "TUPLE2", "TUPLE3", "APPEND", "APPENDS", "SETITEM",
              "SETITEMS", "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET", "POP"}


class PickleRefused(ValueError):
    """The pickle holds more than plain literals (it would import or call code)."""


class _Mark:
    pass


def looks_pickled(value: Any) -> bool:
    """PyTables' own test: a non-empty byte string ending in ``b"."`` is unpickled on read."""
    return isinstance(value, bytes | np.bytes_) and len(value) > 0 and bytes(value).endswith(b".")


def _pop_to_mark(stack: list[Any]) -> list[Any]:
    items: list[Any] = []
    while stack:
        top = stack.pop()
        if isinstance(top, _Mark):
            return items[::-1]
        items.append(top)
    raise PickleRefused("unbalanced MARK")


def literal(data: bytes) -> Any:
    """The value of a pickle that only builds literals and containers; :class:`PickleRefused` otherwise."""
    stack: list[Any] = []
    memo: dict[int, Any] = {}
    try:
        for op, arg, _ in pickletools.genops(bytes(data)):
            name = op.name
            if name in _PUSH:
                stack.append(arg)
            elif name in _SIMPLE:
                stack.append(_SIMPLE[name])
            elif name in _EMPTY:
                stack.append(_EMPTY[name]())
            elif name in _NOOP:
                continue
            elif name == "MARK":
                stack.append(_Mark())
            elif name in ("LIST", "TUPLE", "DICT"):
                items = _pop_to_mark(stack)
                stack.append(items if name == "LIST" else tuple(items) if name == "TUPLE"
                             else dict(zip(items[::2], items[1::2], strict=True)))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                stack[-n:] = [tuple(stack[-n:])]
            elif name == "APPEND":
                item = stack.pop()
                stack[-1].append(item)
            elif name == "APPENDS":
                items = _pop_to_mark(stack)
                stack[-1].extend(items)
            elif name == "SETITEM":
                value, key = stack.pop(), stack.pop()
                stack[-1][key] = value
            elif name == "SETITEMS":
                items = _pop_to_mark(stack)
                stack[-1].update(zip(items[::2], items[1::2], strict=True))
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg or 0)] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo[int(arg or 0)])
            elif name == "POP":
                stack.pop()
            else:
                raise PickleRefused(f"opcode {name}")
    except PickleRefused:
        raise
    except Exception as exc:  # malformed stream: genops or the stack machine failed
        raise PickleRefused(f"malformed pickle ({type(exc).__name__})") from None
    if len(stack) != 1:
        raise PickleRefused("malformed pickle")
    return stack[0]


def calls_code(data: bytes) -> bool:
    """True if the opcodes that ``pickle.loads`` would execute (up to the end or to the first malformed byte) include
    anything but literals: a text that merely ends in ``"."`` is not code, a call before trailing garbage is."""
    allowed = _PUSH | set(_SIMPLE) | set(_EMPTY) | _NOOP | _CONTAINER
    try:
        for op, _, _ in pickletools.genops(bytes(data)):
            if op.name not in allowed:
                return True
    except Exception:  # the stream stops being a pickle here; pickle.loads would stop here too
        return False
    return False


def code_attributes(f: h5py.File) -> list[str]:
    """``object/attribute`` names of every byte-string attribute that PyTables would unpickle into a code call."""
    found: list[str] = []

    def check(name: str, obj: h5py.HLObject) -> None:
        for key in obj.attrs:
            try:
                value = obj.attrs[key]
            except (OSError, TypeError, ValueError):  # a type h5py cannot read is not one PyTables unpickles either
                continue
            if looks_pickled(value):
                if calls_code(bytes(value)):
                    found.append(f"{name}/{key}" if name else str(key))

    check("", f)
    f.visititems(check)
    return found
