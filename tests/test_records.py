"""A Record behaves as the typing.NamedTuple written with the same class body, and is made
without compiling its annotations."""

from __future__ import annotations

import pickle
import types
import typing
from typing import NamedTuple

import pytest

from mailtui.records import Record


class Typed(NamedTuple):
    """A point."""

    x: int
    label: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def doubled(self) -> int:
        return self.x * 2

    def named(self, name: str) -> Typed:
        return self._replace(label=name)


class Plain(Record):
    """A point."""

    x: int
    label: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def doubled(self) -> int:
        return self.x * 2

    def named(self, name: str) -> Plain:
        return self._replace(label=name)


def test_a_record_behaves_as_the_namedtuple_with_the_same_body():
    for kind in (Typed, Plain):
        made = kind(3, tags=("a",))
        assert made == (3, None, ("a",)) and isinstance(made, tuple)
        assert kind._fields == ("x", "label", "tags")
        assert kind._field_defaults == {"label": None, "tags": ()}
        assert made.doubled == 6 and made.named("n") == (3, "n", ("a",))
        assert kind.__doc__ == "A point." and kind.__module__ == __name__
        assert pickle.loads(pickle.dumps(made)) == made
        with pytest.raises(TypeError):
            kind()
        with pytest.raises(AttributeError):
            made.x = 4  # type: ignore[misc]
    assert repr(Plain(1)) == repr(Typed(1)).replace("Typed", "Plain")
    assert Plain.__annotations__ == {"x": "int", "label": "str | None", "tags": "tuple[str, ...]"}


def test_a_field_without_a_default_after_one_with_a_default_is_refused():
    with pytest.raises(TypeError, match="without a default follows"):

        class Broken(Record):  # type: ignore[misc]
            x: int = 0
            y: int


def test_annotations_are_not_compiled(monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an annotation was compiled")

    monkeypatch.setattr(typing, "ForwardRef", refuse)

    class Fresh(Record):
        name: str
        size: int | None = None

    assert Fresh("a") == ("a", None)


@pytest.mark.parametrize(
    "name", ["_replace", "_make", "_asdict", "_fields", "__new__", "__slots__"]
)
def test_the_tuple_machinery_cannot_be_replaced(name: str):
    """typing.NamedTuple refuses these in a class body; a Record replaced them without a word
    (a `_replace` of its own broke every `record._replace(...)` that relies on the real one)."""
    body = {"__module__": __name__, "__annotations__": {"x": "int"}, name: ()}
    for base in (NamedTuple, Record):
        with pytest.raises(AttributeError, match=name):
            types.new_class("Broken", (base,), exec_body=lambda namespace: namespace.update(body))
