"""`aftercare kb check`: every kind of bad file is reported as `file:line: message`, never a traceback."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from bot.cli import main
from bot.core.loader import load_folder
from bot.core.validate import check_folder
from tests.conftest import KNOWLEDGE

PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+\.ya?ml):(?P<line>\d+): (?P<message>.+)$")


def _procedure(kb: Path) -> Path:
    return kb / "microneedling.yaml"


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _problems(kb: Path) -> list[str]:
    loaded, problems = check_folder(kb)
    assert loaded is None
    assert problems
    return [str(p) for p in problems]


def test_the_shipped_knowledge_base_is_clean() -> None:
    loaded, problems = check_folder(KNOWLEDGE)
    assert problems == []
    assert loaded is not None


def test_syntax_error_names_file_and_line(kb: Path) -> None:
    path = _procedure(kb)
    text = path.read_text(encoding="utf-8").splitlines()
    text.insert(9, "\tbroken: tab indentation")
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    (problem,) = _problems(kb)
    match = PROBLEM_LINE.match(problem)
    assert match and match["file"].endswith("microneedling.yaml")
    assert int(match["line"]) == 10
    assert "syntax" in match["message"]


def test_alias_bomb_is_refused_quickly(kb: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for index in range(1, 12):
        prev = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(
            f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
    (kb / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    assert load_folder(kb).kb is None  # reading is quick (the other files' checks then run as usual)
    assert time.monotonic() - started < 1.0
    problems = _problems(kb)
    assert any(
        p.endswith("bomb.yaml:1: anchors (&a) are not allowed; write the value out in full") for p in problems
    )


def test_python_tag_is_refused(kb: Path) -> None:
    (kb / "evil.yaml").write_text('procedure: !!python/object/apply:os.system ["touch /tmp/pwned"]\n')
    problems = _problems(kb)
    assert any("evil.yaml:1: tags" in p for p in problems)
    assert not Path("/tmp/pwned").exists()


def test_wrong_type_names_the_field_and_its_line(kb: Path) -> None:
    path = _procedure(kb)
    text = path.read_text(encoding="utf-8")
    line = _line_of(path, "resume_day: 5")
    path.write_text(text.replace("resume_day: 5", "resume_day: five", 1), encoding="utf-8")
    problems = _problems(kb)
    assert any(
        p.startswith(f"{path}:{line}: entries[retinoids].restriction.resume_day:") for p in problems
    ), problems


def test_unknown_key_is_reported_not_ignored(kb: Path) -> None:
    path = _procedure(kb)
    line = _line_of(path, "examples:")
    path.write_text(path.read_text(encoding="utf-8").replace("examples:", "exmaples:", 1), encoding="utf-8")
    problems = _problems(kb)
    assert f"{path}:{line}: entries[retinoids].exmaples: unknown key (check the spelling)" in problems
    assert any("entries[retinoids].examples: required key is missing" in p for p in problems)


def test_duplicate_entry_id(kb: Path) -> None:
    path = _procedure(kb)
    line = _line_of(path, "- id: vitamin_c")
    path.write_text(path.read_text(encoding="utf-8").replace("- id: vitamin_c", "- id: retinoids", 1))
    problems = _problems(kb)
    assert any(p.startswith(f"{path}:{line}: duplicate entry id 'retinoids'") for p in problems), problems


def test_missing_canonical_topic(kb: Path) -> None:
    path = _procedure(kb)
    path.write_text(path.read_text(encoding="utf-8").replace("- id: vitamin_c", "- id: vitamin_c_serum", 1))
    problems = _problems(kb)
    assert any(
        re.search(r"microneedling\.yaml:\d+: missing entry for topic 'vitamin_c'$", p) for p in problems
    )


def test_empty_file(kb: Path) -> None:
    (kb / "empty.yaml").write_text("")
    assert f"{kb / 'empty.yaml'}:1: file is empty" in _problems(kb)


def test_file_over_one_megabyte(kb: Path) -> None:
    (kb / "huge.yaml").write_text("# " + "x" * 1_100_000 + "\n")
    assert any("huge.yaml:1: file is larger than 1 MB" in p for p in _problems(kb))


def test_duplicate_key_within_a_mapping(kb: Path) -> None:
    (kb / "dup.yaml").write_text("procedure: 1\nprocedure: 2\n")
    assert f"{kb / 'dup.yaml'}:2: duplicate key 'procedure'" in _problems(kb)


def test_example_routed_to_another_entry(kb: Path) -> None:
    path = _procedure(kb)
    text = path.read_text(encoding="utf-8")
    anchor = "    examples:\n"
    position = text.index(anchor) + len(anchor)
    path.write_text(text[:position] + "      - can i go to the gym and do a workout\n" + text[position:])
    line = text[:position].count("\n") + 1
    problems = _problems(kb)
    assert f"{path}:{line}: example of 'retinoids' is matched to 'exercise_sweating' instead" in problems


def test_unknown_placeholder(kb: Path) -> None:
    path = kb / "messages.yaml"
    line = _line_of(path, "empty:")
    text = path.read_text(encoding="utf-8").splitlines()
    text[line - 1] = '  empty: "Hello {patient_name}"'
    path.write_text("\n".join(text) + "\n")
    assert f"{path}:{line}: unknown placeholder {{patient_name}}" in _problems(kb)


def test_not_utf8(kb: Path) -> None:
    (kb / "latin.yaml").write_bytes(b"procedure:\n  id: caf\xe9\n")
    assert f"{kb / 'latin.yaml'}:2: not UTF-8 text" in _problems(kb)


def test_cli_exit_codes_and_one_problem_per_line(kb: Path) -> None:
    out = io.StringIO()
    assert main(["kb", "check", str(KNOWLEDGE)], out=out) == 0
    assert out.getvalue().startswith("OK:")
    (kb / "empty.yaml").write_text("")
    (kb / "evil.yaml").write_text("a: !!python/name:os.system x\n")
    out = io.StringIO()
    assert main(["kb", "check", str(kb)], out=out) == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert all(PROBLEM_LINE.match(line) for line in lines), lines


def test_cli_on_a_missing_folder(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["kb", "check", str(tmp_path / "nope")], out=out) == 1
    assert "not a folder" in out.getvalue()


def test_a_missing_bot_text_is_reported(kb: Path) -> None:
    path = kb / "messages.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    line = lines.index("  help: >-") + 1
    lines[line - 1] = "  hlep: >-"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = _problems(kb)
    assert any(re.search(r"messages\.yaml:\d+: bot\.help: required text is missing$", p) for p in problems)


def test_a_misspelt_warning_question_tier_is_reported(kb: Path) -> None:
    path = kb / "messages.yaml"
    line = _line_of(path, "- tier: same_day")
    path.write_text(path.read_text(encoding="utf-8").replace("- tier: same_day", "- tier: sameday", 1))
    expected = f"{path}:{line}: checkins.warning_questions[1]: needs exactly 'tier'"
    assert any(p.startswith(expected) for p in _problems(kb))


def test_the_required_texts_list_matches_the_shipped_file() -> None:
    import yaml

    from bot.core.message_keys import REQUIRED_MESSAGES

    data = yaml.safe_load((KNOWLEDGE / "messages.yaml").read_text(encoding="utf-8"))
    for key in REQUIRED_MESSAGES:
        node = data
        for part in key.split("."):
            node = node[part]
        assert node, key


def test_ids_that_would_not_fit_in_a_telegram_button_are_refused(kb: Path) -> None:
    path = _procedure(kb)
    line = _line_of(path, "id: all_good")
    text = path.read_text(encoding="utf-8").replace("id: all_good", "id: everything_is_absolutely_fine", 1)
    path.write_text(text, encoding="utf-8")
    problems = _problems(kb)
    assert any(
        p.startswith(
            f"{path}:{line}: checkins.options[everything_is_absolutely_fine].id: String should have at most"
        )
        for p in problems
    )


def test_kinds_of_a_procedure_named_in_one_word_are_reported(kb: Path) -> None:
    # Kinds name a kind before the last word of a name of several words ("a TCA peel"): here they do nothing.
    path = _procedure(kb)
    path.write_text(path.read_text(encoding="utf-8").replace("  aliases:", "  kinds: [pen]\n  aliases:", 1))
    line = _line_of(path, "kinds: [pen]")
    problems = _problems(kb)
    assert f"{path}:{line}: procedure kinds: have no effect, the name 'microneedling' is one word" in problems
