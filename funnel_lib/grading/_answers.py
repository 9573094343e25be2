"""Answers as data: what the tests use, carried from the student's kernel to a clean checking kernel.

The hidden tests' verdict must come from a process the student's code never ran in. So, just
before each test cell runs in the student's (sandboxed) kernel, the worker asks that kernel for the
values of the names the test reads (``execute_request`` with ``user_expressions``: no cell, no
execution count). The values travel as JSON data — never pickles — in a small tagged format:

* ``None``, ``bool``, ``int``, ``float`` (``nan``/``inf`` too), ``str``; lists, tuples, dicts (any
  encodable keys), sets; numpy scalars and numeric arrays; pandas ``Series``, ``DataFrame`` and
  ``Index``; ``datetime`` values and pandas ``Timestamp``;
* funnel_lib objects: its dataclasses field by field (``Step``, ``SimulationResult``, …), classes
  with ``to_dict``/``from_dict`` (``Funnel``), its enums (``Stage``);
* references to library objects the notebook imported (``simulate``, ``Stage``, ``numpy``, …): by
  module and name, checked to be the library's own object, and imported afresh in the checking kernel.

Anything else (a function or class the notebook defines, an open file, …) is *unsupported*: the
test that needs it is judged in the student's kernel, and the report says so.

A lying kernel can only lie about its answers here — which is no more than typing an answer.

>>> decode(encode({"rate": 0.3, "steps": (1, 2), "ok": True}))
{'rate': 0.3, 'steps': (1, 2), 'ok': True}
>>> import math; math.isnan(decode(encode(float("nan"))))
True
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import importlib
import json
import math
from collections.abc import Callable
from typing import Any

from funnel_lib.grading._errors import GradingError

__all__ = ["LIBRARIES", "Unsupported", "decode", "dumps", "encode", "loads", "restore"]

#: Top-level packages whose objects may be carried by reference (imported afresh when decoded).
LIBRARIES = frozenset({
    "funnel_lib", "numpy", "pandas", "math", "statistics", "collections", "itertools", "functools", "random",
    "re", "json", "datetime", "decimal", "fractions", "operator", "string", "typing", "dataclasses", "scipy",
    "matplotlib", "textwrap", "builtins",
})
MAX_DEPTH = 60
MAX_ITEMS = 2_000_000


class Unsupported(GradingError, TypeError):
    """A value that cannot be carried as data (the message names its type)."""


def _qualified(obj: Any) -> tuple[str, str]:
    return getattr(obj, "__module__", "") or "", getattr(obj, "__qualname__", "") or ""


def _library_object(module: str, name: str) -> Any:
    """Import ``module`` and return its attribute path ``name``, only for allowed libraries."""
    if module.split(".")[0] not in LIBRARIES or not name or "<" in name:
        raise Unsupported(f"{module}.{name} is not from an allowed library")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def encode(value: Any, _depth: int = 0) -> Any:
    """The JSON-able form of ``value``; raises :class:`Unsupported` for what cannot be carried as data.

    >>> encode([1, "a", None])
    [1, 'a', None]
    >>> cell = {"__name__": "__main__"}
    >>> exec("def first_stage(names): return None", cell)
    >>> encode(cell["first_stage"])
    Traceback (most recent call last):
    ...
    funnel_lib.grading._answers.Unsupported: a function (first_stage) defined in the notebook
    """
    if _depth > MAX_DEPTH:
        raise Unsupported("a value nested too deeply")
    deeper = _depth + 1
    if value is None or isinstance(value, (bool, str)) or type(value) is int:
        return value
    encoder = _plain_encoder(type(value))
    if encoder is not None:
        return encoder(value, deeper)
    found = _encode_standard_value(value)
    if found is None:
        found = _encode_library_value(value, deeper)
    if found is not None:
        return found
    if isinstance(value, type) or callable(value) or type(value).__name__ == "module":
        return {"$ref": _reference(value)}
    raise Unsupported(f"a {type(value).__module__}.{type(value).__qualname__} object")


def _encode_float(value: float, deeper: int) -> Any:
    return value if math.isfinite(value) else {"$float": repr(value)}


def _encode_list(value: list[Any], deeper: int) -> Any:
    return [encode(v, deeper) for v in value]


def _encode_tuple(value: tuple[Any, ...], deeper: int) -> Any:
    return {"$tuple": [encode(v, deeper) for v in value]}


def _encode_set(value: set[Any] | frozenset[Any], deeper: int) -> Any:
    return {"$" + type(value).__name__: [encode(v, deeper) for v in value]}


def _encode_dict(value: dict[Any, Any], deeper: int) -> Any:
    return {"$dict": [[encode(k, deeper), encode(v, deeper)] for k, v in value.items()]}


def _plain_encoder(kind: type) -> Callable[[Any, int], Any] | None:
    """The encoder of floats and the built-in containers, by exact type (a subclass is not plain data)."""
    if kind is float:
        return _encode_float
    if kind is list:
        return _encode_list
    if kind is tuple:
        return _encode_tuple
    if kind in (set, frozenset):
        return _encode_set
    if kind is dict:
        return _encode_dict
    return None


def _encode_standard_value(value: Any) -> Any:
    """Enums (of an allowed library) and the standard library's dates and times; None for anything else."""
    if isinstance(value, enum.Enum):
        module, name = _qualified(type(value))
        _check_reference(type(value), module, name)
        return {"$enum": [module, name, value.name]}
    if isinstance(value, datetime.datetime) and type(value).__module__ == "datetime":
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date) and type(value) is datetime.date:
        return {"$date": value.isoformat()}
    return None


def _check_reference(value: Any, module: str, name: str) -> None:
    try:
        same = _library_object(module, name) is value
    except Exception as error:  # noqa: BLE001 - anything: not a library object
        raise Unsupported(f"{module}.{name} is not a library object") from error
    if not same:
        raise Unsupported(f"{module}.{name} was replaced in the notebook")


def _reference(value: Any) -> list[str]:
    if type(value).__name__ == "module":
        name = getattr(value, "__name__", "")
        if name.split(".")[0] not in LIBRARIES:
            raise Unsupported(f"the module {name} is not an allowed library")
        try:
            if importlib.import_module(name) is not value:
                raise Unsupported(f"the module {name} was replaced in the notebook")
        except ImportError as error:
            raise Unsupported(f"the module {name} cannot be imported") from error
        return [name, ""]
    module, name = _qualified(value)
    if module in ("__main__", "") or module.split(".")[0] not in LIBRARIES:
        kind = "class" if isinstance(value, type) else "function"
        raise Unsupported(f"a {kind} ({name or type(value).__name__}) defined in the notebook")
    _check_reference(value, module, name)
    return [module, name]


def _encode_library_value(value: Any, deeper: int) -> Any:
    """numpy, pandas and funnel_lib values; None when ``value`` is none of those."""
    encoder = _LIBRARY_ENCODERS.get(type(value).__module__.split(".")[0])
    return None if encoder is None else encoder(value, deeper)


def _encode_numpy(value: Any, deeper: int) -> Any:
    """numpy numeric scalars and arrays; None for other numpy values."""
    import numpy as np

    if isinstance(value, np.generic) and value.dtype.kind in "biufc?":
        item = value.item()
        carried = item if not isinstance(item, complex) else [item.real, item.imag]
        return {"$np": [value.dtype.str, encode(carried, deeper)]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf?":
        if value.size > MAX_ITEMS:
            raise Unsupported("an array too large to carry")
        return {"$ndarray": [value.dtype.str, list(value.shape), encode(value.ravel().tolist(), deeper)]}
    return None


def _encode_pandas(value: Any, deeper: int) -> Any:
    """pandas timestamps, plain indexes, series and data frames; None for other pandas values."""
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return {"$timestamp": value.isoformat()}
    if isinstance(value, pd.Index) and type(value) in (pd.Index, pd.RangeIndex, pd.DatetimeIndex):
        return {"$index": [str(value.dtype), encode(value.name, deeper), encode(value.tolist(), deeper)]}
    if type(value) is pd.Series:
        return {"$series": [str(value.dtype), encode(value.name, deeper), encode(value.tolist(), deeper),
                            encode(value.index, deeper)]}
    if type(value) is pd.DataFrame:
        return _encode_dataframe(value, deeper)
    return None


def _encode_dataframe(value: Any, deeper: int) -> Any:
    """A pandas DataFrame column by column (label, dtype, values)."""
    import pandas as pd

    if value.size > MAX_ITEMS:
        raise Unsupported("a DataFrame too large to carry")
    columns = [[encode(label, deeper), str(value[label].dtype) if not isinstance(value[label], pd.DataFrame)
                else "", encode(value[label].tolist(), deeper)] for label in value.columns]
    if any(dtype == "" for _, dtype, _ in columns):
        raise Unsupported("a DataFrame with repeated column labels")
    return {"$dataframe": [encode(value.index, deeper), encode(value.columns.name, deeper), columns]}


def _encode_funnel_lib(value: Any, deeper: int) -> Any:
    """funnel_lib objects: by ``to_dict`` (with a ``from_dict`` to rebuild them) or dataclass fields; else None."""
    kind = type(value)
    module, name = _qualified(kind)
    _check_reference(kind, module, name)
    if hasattr(kind, "from_dict") and hasattr(value, "to_dict"):
        return {"$todict": [module, name, encode(value.to_dict(), deeper)]}
    if dataclasses.is_dataclass(value):
        fields = {f.name: encode(getattr(value, f.name), deeper) for f in dataclasses.fields(value) if f.init}
        return {"$dataclass": [module, name, fields]}
    return None


#: top-level package of a value's class -> its encoder
_LIBRARY_ENCODERS: dict[str, Callable[[Any, int], Any]] = {
    "numpy": _encode_numpy, "pandas": _encode_pandas, "funnel_lib": _encode_funnel_lib,
}


def decode(data: Any, _depth: int = 0) -> Any:
    """Rebuild a value from :func:`encode`'s form (only the types listed in the module docstring).

    >>> decode({"$tuple": [1, {"$float": "inf"}]})
    (1, inf)
    >>> decode({"$ref": ["os", "system"]})
    Traceback (most recent call last):
    ...
    funnel_lib.grading._answers.Unsupported: os.system is not from an allowed library
    """
    if _depth > MAX_DEPTH:
        raise Unsupported("a value nested too deeply")
    deeper = _depth + 1
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, deeper) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise Unsupported("not an encoded value")
    (tag, body), = data.items()
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise Unsupported(f"unknown tag {tag!r}")
    return decoder(tag, body, deeper)


def _decode_plain(tag: str, body: Any, deeper: int) -> Any:
    """Floats that JSON cannot hold, the built-in containers, dates and times."""
    if tag == "$float":
        return float(body)
    if tag == "$tuple":
        return tuple(decode(v, deeper) for v in body)
    if tag == "$set":
        return {decode(v, deeper) for v in body}
    if tag == "$frozenset":
        return frozenset(decode(v, deeper) for v in body)
    if tag == "$dict":
        return {decode(k, deeper): decode(v, deeper) for k, v in body}
    if tag == "$datetime":
        return datetime.datetime.fromisoformat(body)
    return datetime.date.fromisoformat(body)  # "$date"


def _decode_enum(tag: str, body: Any, deeper: int) -> Any:
    module, name, member = body
    cls = _library_object(module, name)
    if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
        raise Unsupported(f"{module}.{name} is not an enum")
    return cls[member]


def _decode_reference(tag: str, body: Any, deeper: int) -> Any:
    module, name = body
    if not name:
        if module.split(".")[0] not in LIBRARIES:
            raise Unsupported(f"the module {module} is not an allowed library")
        return importlib.import_module(module)
    return _library_object(module, name)


def _decode_numpy(tag: str, body: Any, deeper: int) -> Any:
    import numpy as np

    if tag == "$np":
        dtype, item = np.dtype(body[0]), decode(body[1], deeper)
        return dtype.type(complex(*item) if dtype.kind == "c" else item)
    dtype, shape, values = np.dtype(body[0]), body[1], decode(body[2], deeper)
    return np.array(values, dtype=dtype).reshape(shape)


def _decode_funnel_lib(tag: str, body: Any, deeper: int) -> Any:
    module, name, fields = body
    if module.split(".")[0] != "funnel_lib":
        raise Unsupported(f"{module}.{name} is not a funnel_lib class")
    cls = _library_object(module, name)
    if tag == "$todict":
        return cls.from_dict(decode(fields, deeper))
    if not dataclasses.is_dataclass(cls):
        raise Unsupported(f"{module}.{name} is not a dataclass")
    make: Any = cls  # a dataclass (or, in a tampered payload, one of its instances: calling it fails)
    return make(**{key: decode(value, deeper) for key, value in fields.items()})


def _decode_pandas(tag: str, body: Any, deeper: int) -> Any:
    import pandas as pd
    from pandas.api.types import pandas_dtype

    if tag == "$timestamp":
        return pd.Timestamp(body)
    if tag == "$index":
        dtype, name, values = body
        return pd.Index(decode(values, deeper), dtype=pandas_dtype(dtype), name=decode(name, deeper))
    if tag == "$series":
        dtype, name, values, index = body
        return pd.Series(decode(values, deeper), dtype=pandas_dtype(dtype), name=decode(name, deeper),
                         index=decode(index, deeper))
    index, columns_name, columns = body
    frame = pd.DataFrame({decode(label, deeper): pd.Series(decode(values, deeper), dtype=pandas_dtype(dtype))
                          for label, dtype, values in columns})
    frame.index = decode(index, deeper)
    frame.columns.name = decode(columns_name, deeper)
    return frame


#: tag -> its decoder (called with the tag, the body and the depth of the body)
_DECODERS: dict[str, Callable[[str, Any, int], Any]] = {
    **dict.fromkeys(("$float", "$tuple", "$set", "$frozenset", "$dict", "$datetime", "$date"), _decode_plain),
    "$enum": _decode_enum, "$ref": _decode_reference, "$np": _decode_numpy, "$ndarray": _decode_numpy,
    **dict.fromkeys(("$timestamp", "$index", "$series", "$dataframe"), _decode_pandas),
    "$todict": _decode_funnel_lib, "$dataclass": _decode_funnel_lib,
}


def dumps(namespace: dict[str, Any], names: list[str]) -> str:
    """JSON text of the names (present in ``namespace``) a test reads: values, and what could not be carried.

    >>> cell = {"__name__": "__main__", "rate": 0.3}
    >>> exec("def f(): return 1", cell)
    >>> json.loads(dumps(cell, ["rate", "f", "absent"]))["unsupported"]
    {'f': 'a function (f) defined in the notebook'}
    """
    values: dict[str, Any] = {}
    unsupported: dict[str, str] = {}
    for name in names:
        if name not in namespace:
            continue
        try:
            values[name] = encode(namespace[name])
        except Unsupported as error:
            unsupported[name] = str(error)
        except Exception as error:  # noqa: BLE001 - a value whose methods fail
            unsupported[name] = f"could not be read ({type(error).__name__})"
    return json.dumps({"values": values, "unsupported": unsupported}, allow_nan=False)


def loads(text: str) -> dict[str, Any]:
    """Parse :func:`dumps` output (checked: a dict with ``values`` and ``unsupported``).

    >>> loads('{"values": {"x": 1}, "unsupported": {}}')["values"]
    {'x': 1}
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict) \
            or not isinstance(data.get("unsupported"), dict):
        raise Unsupported("the answers are not in the expected form")
    return data


def restore(namespace: dict[str, Any], text: str) -> list[str]:
    """Put the carried values into ``namespace`` (the checking kernel's globals); return the names set.

    >>> ns = {}
    >>> restore(ns, dumps({"rate": 0.3}, ["rate"])), ns["rate"]
    (['rate'], 0.3)
    """
    data = loads(text)
    done = []
    for name, value in data["values"].items():
        if isinstance(name, str) and name.isidentifier():
            namespace[name] = decode(value)
            done.append(name)
    return done
