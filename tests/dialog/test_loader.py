"""A malformed script is refused with the file, the line and the problem; the CLI says the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from dialog.loader import ScriptError, builtin_script_path, builtin_scripts, load_script

GOOD = """\
name: mini
start: ask
context: [shop]
slots:
  size: {type: party_size, max: 8}
  ok: {type: yes_no}
nodes:
  ask:
    say: "Welcome to {shop}. How many people?"
    collect: size
    next: confirm
  confirm:
    say: "A table for {size}?"
    collect: ok
    next:
      - {when: {slot: ok, eq: true}, goto: done}
      - goto: ask
  done:
    say: "Booked."
    end: true
"""


def _write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> ScriptError:
    path = _write(tmp_path, text)
    with pytest.raises(ScriptError) as info:
        load_script(path)
    return info.value


def test_good_script_loads(tmp_path: Path) -> None:
    script = load_script(_write(tmp_path, GOOD, "good.yaml"))
    assert script.name == "mini"
    assert set(script.nodes) == {"ask", "confirm", "done"}


# (description, text replaced, replacement, line of the problem, words the message must hold)
BROKEN = [
    ("unknown node in next", "next: confirm", "next: confirmm", 11, ["unknown node", "confirmm"]),
    (
        "unknown slot type",
        "size: {type: party_size, max: 8}",
        "size: {type: partysize, max: 8}",
        5,
        ["slots.size.type", "party_size"],
    ),
    (
        "template naming a missing slot",
        '"A table for {size}?"',
        '"A table for {sizes}?"',
        13,
        ["{sizes}", "neither a slot nor a context variable"],
    ),
    (
        "unreachable node",
        "      - goto: ask\n  done:",
        "      - goto: ask\n  orphan:\n    say: hi\n    end: true\n  done:",
        18,
        ["'orphan'", "unreachable"],
    ),
    (
        "unknown action",
        '    say: "Booked."\n    end: true',
        '    say: "Booked."\n    actions: [{name: send_sms}]\n    end: true',
        20,
        ["unknown action", "send_sms"],
    ),
    (
        "unknown key (typo)",
        "    collect: ok\n",
        "    colect: ok\n",
        14,
        ["unknown key 'colect'", "nodes.confirm"],
    ),
    (
        "missing default transition",
        "      - goto: ask\n",
        "      - {when: {slot: ok, eq: false}, goto: ask}\n",
        15,
        ["no default transition"],
    ),
    (
        "unknown category set",
        "  ok: {type: yes_no}",
        "  ok: {type: yes_no}\n  feel: {type: category, categories: moods}",
        7,
        ["unknown category set", "moods"],
    ),
    (
        "collects an unknown slot",
        "    collect: ok\n",
        "    collect: okay\n",
        14,
        ["unknown slot", "okay"],
    ),
    (
        "unknown start node",
        "start: ask",
        "start: begin",
        2,
        ["start node", "begin"],
    ),
    (
        "condition on an unknown slot",
        "{when: {slot: ok, eq: true}, goto: done}",
        "{when: {slot: okk, eq: true}, goto: done}",
        16,
        ["unknown slot", "okk"],
    ),
    (
        "unknown intent",
        "nodes:\n",
        "intents:\n  dance: {goto: ask}\nnodes:\n",
        8,
        ["unknown intent", "dance"],
    ),
    (
        "malformed template",
        '"A table for {size}?"',
        '"A table for {size?"',
        13,
        ["malformed template"],
    ),
    (
        "a node that neither ends nor moves on",
        '    say: "Booked."\n    end: true',
        '    say: "Booked."',
        18,
        ["needs 'next'"],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_script_is_refused_with_file_line_and_problem(
    tmp_path: Path, old: str, new: str, line: int, words: list[str]
) -> None:
    assert old in GOOD
    err = _error(tmp_path, GOOD.replace(old, new, 1))
    message = str(err)
    assert message.startswith(f"{tmp_path / 'broken.yaml'}:{line}: "), message
    assert err.file.endswith("broken.yaml")
    assert err.line == line
    for word in words:
        assert word in message, message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace("    next: confirm\n", "    next: [confirm\n", 1))
    assert "broken.yaml" in str(err)
    assert "not valid YAML" in str(err)
    assert err.line is not None and 11 <= err.line <= 13


@pytest.mark.parametrize("text", ["", "just a string\n", "- a\n- list\n", "name: x\n"])
def test_not_a_script_at_all(tmp_path: Path, text: str) -> None:
    err = _error(tmp_path, text)
    assert "broken.yaml" in str(err)
    assert err.line is not None


def test_missing_file_is_a_script_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read script"):
        load_script(tmp_path / "absent.yaml")


def test_non_utf8_file_is_a_script_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("Booked.", "Réservé.").encode("latin-1"))
    with pytest.raises(ScriptError) as info:
        load_script(path)
    assert "latin1.yaml:19: " in str(info.value)
    assert "UTF-8" in str(info.value)


def test_builtin_scripts_load() -> None:
    assert set(builtin_scripts()) >= {"reservation", "wellness_checkin"}
    for name in builtin_scripts():
        assert load_script(name).name == name


# ---- the CLI --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_check_accepts_builtin_scripts() -> None:
    paths = [str(builtin_script_path(name)) for name in builtin_scripts()]
    result = runner.invoke(app, ["scripts", "check", *paths])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == len(paths)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [case[1:] for case in BROKEN[:4]],
    ids=[case[0] for case in BROKEN[:4]],
)
def test_cli_check_refuses_broken_script(
    tmp_path: Path, old: str, new: str, line: int, words: list[str]
) -> None:
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    result = runner.invoke(app, ["scripts", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line}: " in result.output
    for word in words:
        assert word in result.output


def test_cli_check_mixed_files_fails_but_reports_each(tmp_path: Path) -> None:
    good = _write(tmp_path, GOOD, "good.yaml")
    bad = _write(tmp_path, GOOD.replace("next: confirm", "next: nowhere", 1))
    result = runner.invoke(app, ["scripts", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"ok: {good}" in result.output
    assert f"{bad}:11: " in result.output
