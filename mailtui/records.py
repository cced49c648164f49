"""Records: typing.NamedTuple's class syntax, made the cheap way.

typing.NamedTuple compiles every field's annotation (a string, under `from __future__ import
annotations`) into a ForwardRef when the class is made: the records on the path of `mailtui
send` cost about 4 ms of each start. A Record is the same collections.namedtuple, made from the
same class body (fields from the annotations, defaults from their values, methods, properties
and docstring set on it as typing does), with the annotations kept as written. Type checkers
see typing.NamedTuple. tests/test_records.py holds the two to the same behaviour.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    _NOT_COPIED = frozenset({"__module__", "__annotations__"})
    # What typing.NamedTuple refuses to let a class body replace: the tuple machinery itself.
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults"}
        | {"_make", "_replace", "_asdict", "_source"}
    )

    class _RecordType(type):
        def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]):  # noqa: N804
            if not bases:  # Record itself
                return super().__new__(mcs, name, bases, namespace)
            annotations = namespace.get("__annotations__", {})
            fields = list(annotations)
            defaults = [namespace[field] for field in fields if field in namespace]
            if any(field not in namespace for field in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            record = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError(f"{name}: a record cannot replace its {key}")
                if key not in _NOT_COPIED and key not in annotations:
                    setattr(record, key, value)
            record.__annotations__ = annotations
            return record

    class Record(metaclass=_RecordType):
        """Base of every record: `class Point(Record): x: int; y: int = 0`."""
