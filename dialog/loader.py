"""Load and validate a dialog script, with errors that point at the file and the line.

A script is refused at start-up rather than failing in the middle of somebody's call: every node
a transition names must exist, every slot a node collects must be declared, every template must
name something that will have a value, and every node must be reachable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dialog.nlu.categories import ALL as CATEGORY_SETS
from dialog.script import Condition, Node, Script
from dialog.templates import placeholders, root

SCRIPTS_DIR = Path(__file__).parent / "scripts"

# Variables the engine itself provides to every script.
ENGINE_VARS = frozenset({"result", "memory", "now", "today", "correction"})


class ScriptError(ValueError):
    """A script problem, located: ``file:line: message``."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class _Located:
    """Line numbers of every mapping key and sequence item, by path from the document root."""

    lines: dict[tuple[str | int, ...], int]

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def _index(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, str(key.value))
            lines[sub] = key.start_mark.line + 1
            _index(value, sub, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines)


def builtin_script_path(name: str) -> Path:
    return SCRIPTS_DIR / f"{name}.yaml"


def builtin_scripts() -> list[str]:
    return sorted(p.stem for p in SCRIPTS_DIR.glob("*.yaml"))


def load_script(source: str | Path) -> Script:
    """Load a script by built-in name (``reservation``) or by file path."""
    path = Path(source)
    if not path.suffix and not path.exists():
        path = builtin_script_path(str(source))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(str(path), None, f"cannot read script: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ScriptError(str(path), line, "not UTF-8 text; save the script as UTF-8") from exc
    return parse_script(text, str(path))


def parse_script(text: str, file: str = "<script>") -> Script:
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ScriptError(file, line, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict) or tree is None:
        raise ScriptError(file, 1, "a script is a mapping with 'name', 'start' and 'nodes'")
    lines: dict[tuple[str | int, ...], int] = {}
    _index(tree, (), lines)
    located = _Located(lines)
    try:
        script = Script.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        message = _explain(err["type"], loc, err["msg"])
        loc = _narrow(loc, message, data)
        raise ScriptError(file, located.line_of(loc), message) from exc
    for path, message in _problems(script):
        raise ScriptError(file, located.line_of(path), message)
    return script


def _explain(kind: str, loc: tuple[str | int, ...], msg: str) -> str:
    """A pydantic error as a script author reads it: where, then what is wrong."""
    if kind == "extra_forbidden" and loc:
        parent = ".".join(str(p) for p in loc[:-1]) or "the script"
        return f"unknown key {loc[-1]!r} in {parent} (a typo?)"
    where = ".".join(str(p) for p in loc) or "script"
    return f"{where}: {msg.removeprefix('Value error, ')}"


def _narrow(loc: tuple[str | int, ...], message: str, data: Any) -> tuple[str | int, ...]:
    """Point at the offending key when a mapping-wide check names it ("unknown intent 'x'")."""
    current = data
    for part in loc:
        if not isinstance(current, dict | list):
            return loc
        try:
            current = current[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return loc
    if isinstance(current, dict):
        for key in current:
            if f"{str(key)!r}" in message:
                return (*loc, str(key))
    return loc


def _conditions(cond: Condition) -> Iterator[Condition]:
    yield cond
    for sub in (cond.all or []) + (cond.any or []):
        yield from _conditions(sub)


def _node_targets(node: Node) -> Iterator[tuple[str, str]]:
    for i, t in enumerate(node.next):
        yield f"next.{i}", t.goto
    for attr in ("on_fail", "on_silence", "after_correction"):
        target = getattr(node, attr)
        if target:
            yield attr, target


def _problems(script: Script) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Cross-reference checks, in document order, as (path, message)."""
    nodes, slots = script.nodes, script.slots
    known_vars = set(script.context) | ENGINE_VARS
    if script.start not in nodes:
        yield ("start",), f"start node {script.start!r} is not defined"

    def check_condition(
        cond: Condition, path: tuple[str | int, ...]
    ) -> Iterator[tuple[tuple[str | int, ...], str]]:
        for c in _conditions(cond):
            if c.slot is not None and c.slot not in slots:
                yield path, f"condition names unknown slot {c.slot!r}"
            if c.var is not None and root(c.var) not in known_vars:
                yield path, f"condition names unknown variable {c.var!r} (declare it in 'context')"

    def check_template(
        text: str, path: tuple[str | int, ...]
    ) -> Iterator[tuple[tuple[str | int, ...], str]]:
        try:
            names = placeholders(text)
        except ValueError as exc:
            yield path, f"malformed template: {exc}"
            return
        for name in names:
            if name not in slots and root(name) not in known_vars:
                yield (
                    path,
                    f"template names {{{name}}}, which is neither a slot nor a context variable",
                )

    for name, slot in slots.items():
        if isinstance(slot.categories, str) and slot.categories not in CATEGORY_SETS:
            known = ", ".join(sorted(CATEGORY_SETS))
            yield (
                ("slots", name, "categories"),
                f"unknown category set {slot.categories!r}; known: {known}",
            )
        for i, rule in enumerate(slot.alerts):
            yield from check_condition(rule.when, ("slots", name, "alerts", i))
        if slot.max_var and slot.max_var not in known_vars:
            yield ("slots", name, "max_var"), f"max_var {slot.max_var!r} is not a context variable"

    for intent, handler in script.intents.items():
        if handler.goto and handler.goto not in nodes:
            yield (
                ("intents", intent, "goto"),
                f"intent {intent!r} goes to unknown node {handler.goto!r}",
            )
        for i, text in enumerate(handler.say):
            yield from check_template(text, ("intents", intent, "say", i))

    for name, node in nodes.items():
        base: tuple[str | int, ...] = ("nodes", name)
        if node.collect and node.collect not in slots:
            yield (*base, "collect"), f"node {name!r} collects unknown slot {node.collect!r}"
        for i, slot_name in enumerate(node.corrects):
            if slot_name not in slots:
                yield (*base, "corrects", i), f"node {name!r} corrects unknown slot {slot_name!r}"
        for attr, target in _node_targets(node):
            if target not in nodes:
                yield (*base, *attr.split(".")), f"node {name!r} goes to unknown node {target!r}"
        for i, t in enumerate(node.next):
            if t.when is not None:
                yield from check_condition(t.when, (*base, "next", i))
        for field in ("say", "nomatch", "noinput"):
            for i, text in enumerate(getattr(node, field)):
                yield from check_template(text, (*base, field, i))
        for i, action in enumerate(node.actions):
            for key, value in action.args.items():
                if isinstance(value, str):
                    yield from check_template(value, (*base, "actions", i, "args", key))
        if node.next and node.next[-1].when is not None:
            yield (
                (*base, "next"),
                f"node {name!r} has no default transition (last 'next' needs no 'when')",
            )

    reachable = _reachable(script)
    for name in nodes:
        if name not in reachable:
            yield ("nodes", name), f"node {name!r} is unreachable from {script.start!r}"


def _reachable(script: Script) -> set[str]:
    seen: set[str] = set()
    todo = [script.start] + [h.goto for h in script.intents.values() if h.goto]
    while todo:
        name = todo.pop()
        if name in seen or name not in script.nodes:
            continue
        seen.add(name)
        todo.extend(target for _, target in _node_targets(script.nodes[name]))
    return seen


def script_summary(script: Script) -> dict[str, Any]:
    return {"name": script.name, "nodes": len(script.nodes), "slots": len(script.slots)}
