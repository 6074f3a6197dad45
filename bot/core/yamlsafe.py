"""Strict YAML loading for files edited by hand: plain data only, with the line of every value.

`yaml.safe_load` semantics, minus the parts that have no business in a clinic's knowledge base and can hurt:
anchors and aliases (the "billion laughs" bomb), explicit tags (`!!python/object`), duplicate keys (silently
dropped by PyYAML), very deep nesting and very large files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_DEPTH = 40

Path_ = tuple[str | int, ...]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(Exception):
    """A file that cannot be read as plain YAML; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class LoadedYaml:
    """Plain Python data plus the 1-based line of every mapping key and sequence item."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    ends: dict[Path_, int] = field(default_factory=dict)
    """The last line of every value with content (blank and comment lines after it are not counted)."""

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1

    def end_of(self, path: Path_) -> int:
        """The last line of the value at `path` (of its nearest ancestor that has one): text pasted right
        after it joins that value, a multi-line answer included."""
        for end in range(len(path), -1, -1):
            line = self.ends.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def load_yaml_text(text: str) -> LoadedYaml:
    """Parse YAML into plain data with line numbers; raise `YamlProblem` for anything unsafe or broken."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlProblem(1, f"file is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        _refuse_unsafe_events(text)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlProblem(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlProblem(1, "nesting is too deep") from None
    loaded = LoadedYaml(data=None)
    if root is not None:
        loaded.data = _Builder(loaded.lines, loaded.ends, text.splitlines()).build(root, (), 0)
    return loaded


def _refuse_unsafe_events(text: str) -> None:
    """Scan parser events (fast, in C when available) for aliases, anchors and explicit tags."""
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlProblem(line, "aliases (*name) are not allowed; write the value out in full")
        anchor = getattr(event, "anchor", None)
        if anchor:
            raise YamlProblem(line, f"anchors (&{anchor}) are not allowed; write the value out in full")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            implicit = getattr(event, "implicit", True)
            explicit = not any(implicit) if isinstance(implicit, tuple) else not implicit
            if explicit:
                raise YamlProblem(line, f"tags ({tag}) are not allowed; use plain values")


class _Builder:
    """Turns composed nodes into plain data, recording the line of every key and item."""

    def __init__(self, lines: dict[Path_, int], ends: dict[Path_, int], text: list[str]) -> None:
        self.lines = lines
        self.ends = ends
        self.text = text
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise YamlProblem(node.start_mark.line + 1, "nesting is too deep")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            value: Any = self._mapping(node, path, depth)
        elif isinstance(node, yaml.SequenceNode):
            value = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines[child] = item.start_mark.line + 1
                value.append(self.build(item, child, depth + 1))
        else:
            value = self.scalar(node)
        self.ends[path] = self._end(node, path)
        return value

    def _end(self, node: yaml.Node, path: Path_) -> int:
        """The last line with content of `node`: its last child's last, or where its text ends."""
        start = node.start_mark.line + 1
        end = start
        if isinstance(node, yaml.MappingNode) and node.value:
            end = max(end, self.ends.get((*path, str(self.scalar(node.value[-1][0]))), start))
        elif isinstance(node, yaml.SequenceNode) and node.value:
            end = max(end, self.ends.get((*path, len(node.value) - 1), start))
        if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
            mark = node.end_mark
            end = max(end, mark.line + (1 if mark.column > 0 else 0))
        while end > start and self._empty(end):
            end -= 1
        return end

    def _empty(self, line: int) -> bool:
        text = self.text[line - 1].strip() if 0 < line <= len(self.text) else ""
        return not text or text.startswith("#")

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or not isinstance(key, str | int | bool):
                raise YamlProblem(line, "mapping keys must be plain words")
            if key in result:
                raise YamlProblem(line, f"duplicate key '{key}'")
            child = (*path, str(key))
            self.lines[child] = line
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def scalar(self, node: yaml.Node) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YamlProblem(node.start_mark.line + 1, f"bad value: {exc}") from None


def strings(node: object, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    """Every text in parsed YAML with the path of keys and indexes that leads to it."""
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in strings(value, (*path, str(key)))]
    if isinstance(node, list):
        return [item for index, value in enumerate(node) for item in strings(value, (*path, index))]
    return []
