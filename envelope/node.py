"""A thin view of an lxml element for the reader: children by local name, paths and lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lxml import etree

from envelope.errors import Problem
from envelope.file_bytes import FileBytes
from envelope.paths import NS

__all__ = ["Context", "Node"]

T = TypeVar("T")
_XML_WHITESPACE = " \t\r\n"


class Context:
    """What one parse collects besides values: the line of every element read, and problems."""

    __slots__ = ("_seen", "lines", "problems", "raw")

    def __init__(self, raw: bytes | FileBytes) -> None:
        self.raw = raw
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, str]] = set()

    def report(self, code: str, path: str, message: str) -> None:
        if (code, path) not in self._seen:
            self._seen.add((code, path))
            self.problems.append(Problem(code, path, self.lines.get(path), message))


class Node:
    """An element at a path. Children in the edXML namespace (or none) are keyed by local
    name, others by their full ``{namespace}name``; comments and PIs are skipped."""

    __slots__ = ("_children", "context", "element", "path")

    def __init__(self, element: etree._Element, path: str, context: Context) -> None:
        self.element = element
        self.path = path
        self.context = context
        self._children: dict[str, list[etree._Element]] | None = None
        line: int | None = getattr(element, "sourceline", None)  # stubs mistype it
        if line is not None:
            context.lines[path] = line

    def _by_name(self) -> dict[str, list[etree._Element]]:
        if self._children is None:
            children: dict[str, list[etree._Element]] = {}
            for child in self.element:
                tag = child.tag
                if not isinstance(tag, str):
                    continue
                if tag[:1] == "{":
                    namespace, _, local = tag[1:].partition("}")
                    key = local if namespace == NS else tag
                else:
                    key = tag
                children.setdefault(key, []).append(child)
            self._children = children
        return self._children

    def has(self, name: str) -> bool:
        return name in self._by_name()

    def one(self, name: str) -> Node | None:
        found = self._by_name().get(name)
        if not found:
            return None
        node = Node(found[0], f"{self.path}/{name}", self.context)
        if len(found) > 1:
            node.report(
                "envelope.repeated_element",
                f"{name} appears {len(found)} times where one is expected",
            )
        return node

    def block(self, name: str) -> Node | None:
        """The child ``name``, or None when it is missing or empty (``<ResponseFor/>``).

        Empty elements count as absent, so only a second non-empty one is a repetition.
        """
        found = self._by_name().get(name)
        if not found:
            return None
        path = f"{self.path}/{name}"
        if len(found) == 1:
            node = Node(found[0], path, self.context)
            return None if node.is_empty() else node
        filled = [
            node for element in found if not (node := Node(element, path, self.context)).is_empty()
        ]
        if not filled:
            return None
        if len(filled) > 1:
            filled[1].report(
                "envelope.repeated_element",
                f"{name} appears {len(filled)} times where one is expected",
            )
        Node(filled[0].element, path, self.context)  # the line recorded is the one read
        return filled[0]

    def blocks(self, name: str) -> list[Node]:
        """Every non-empty child ``name``, as ``name[1]``, ``name[2]``... by position."""
        nodes = (
            Node(element, f"{self.path}/{name}[{index}]", self.context)
            for index, element in enumerate(self._by_name().get(name, ()), start=1)
        )
        return [node for node in nodes if not node.is_empty()]

    def element_named(self, name: str) -> etree._Element | None:
        """The first child element ``name`` (a local name, or ``{namespace}name``)."""
        found = self._by_name().get(name)
        return found[0] if found else None

    def is_empty(self) -> bool:
        """No child elements and no text but whitespace. A block with children is never
        empty, so its text (which may hold a 100 MB attachment) is never gathered here."""
        element = self.element
        if any(isinstance(child.tag, str) for child in element):
            return False
        return self.text() is None

    def text(self) -> str | None:
        """The text, whitespace around it removed; None when there is none."""
        element = self.element
        raw = (
            element.text
            if len(element) == 0
            else etree.tostring(element, method="text", encoding="unicode", with_tail=False)
        )
        value = (raw or "").strip(_XML_WHITESPACE)
        return value or None

    def text_of(self, name: str) -> str | None:
        found = self._by_name().get(name)
        if not found:
            return None
        element = found[0]
        if len(found) == 1 and not len(element):  # one plain leaf: the common case, kept fast
            value = (element.text or "").strip(_XML_WHITESPACE)
            line: int | None = getattr(element, "sourceline", None)
            if line is not None:
                self.context.lines[f"{self.path}/{name}"] = line
            return value or None
        node = self.block(name)
        return None if node is None else node.text()

    def texts_of(self, name: str) -> tuple[str, ...]:
        return tuple(text for node in self.blocks(name) if (text := node.text()) is not None)

    def date_of(self, name: str, reader: Callable[[str], T]) -> T | None:
        node = self.block(name)
        text = None if node is None else node.text()
        if node is None or text is None:
            return None
        try:
            return reader(text)
        except ValueError:
            node.report("envelope.invalid_date", f"{name} {text!r} is not a date or timestamp")
            return None

    def int_text(self, code: str) -> int | None:
        text = self.text()
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            name = self.path.rpartition("/")[2]
            self.report(code, f"{name} {text!r} is not a number")
            return None

    def report(self, code: str, message: str) -> None:
        self.context.report(code, self.path, message)
