"""`aftercare kb check` (and the running bot's reload) refuses a knowledge base that reads fine but would
mislead: restriction words two entries claim, answer days that contradict the entry's resume day, answers
that are still stubs; every problem in one run, entries named by id, `file:line: message`."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.answer import Clinic
from bot.core.consistency import DAY_MENTIONS
from bot.core.loader import load_folder
from bot.core.validate import check_folder
from bot.services.knowledge import Knowledge, suggestions
from tests.conftest import KNOWLEDGE


def _line_of(path: Path, needle: str, after: int = 0) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _problems(kb: Path) -> list[str]:
    loaded, problems = check_folder(kb, routing=False)
    assert loaded is None and problems
    return [str(p) for p in problems]


def _add_entry(path: Path, entry: str) -> None:
    """Insert an entry right after `entries:`."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("entries:\n", "entries:\n" + entry, 1), encoding="utf-8")


SPRAY_TAN = """  - id: spray_tan
    kind: restriction
    title: Spray tan
    examples:
      - when can i get a spray tan
    keywords:
      - spray tan
    answer: >-
      A spray tan can wait until your skin has healed, usually {resume_when}.
    restriction:
      subject: spray tan
      resume_day: 14
"""


def test_restriction_words_claimed_by_two_entries_are_refused(kb: Path) -> None:
    path = kb / "microneedling.yaml"
    _add_entry(path, SPRAY_TAN)
    problems = _problems(kb)
    ours = _line_of(path, "      - spray tan")
    sun_start = _line_of(path, "- id: sun_sunscreen")
    theirs = _line_of(path, "            - spray tan", after=sun_start)
    rest = "too, and a restriction word must belong to one entry (remove it from one, or make it a longer "
    rest += "phrase)"
    assert problems == [
        f"{path}:{ours}: entry 'spray_tan': keyword 'spray tan' is claimed by entry 'sun_sunscreen' "
        f"('spray tan') {rest}",
        f"{path}:{theirs}: entry 'sun_sunscreen': keyword 'spray tan' is claimed by entry 'spray_tan' "
        f"('spray tan') {rest}",
    ]


def test_restriction_words_are_compared_as_the_matcher_reads_them(kb: Path) -> None:
    path = kb / "dermal_filler.yaml"
    text = path.read_text(encoding="utf-8").replace("      - filler travelled\n", "      - travelled\n", 1)
    path.write_text(text, encoding="utf-8")
    problems = _problems(kb)
    assert any(
        "entry 'migration': keyword 'travelled' is claimed by entry 'travel_flying'" in p for p in problems
    )


def test_shared_words_of_entries_without_a_restriction_are_not_refused(kb: Path) -> None:
    # "hurt" is a keyword of both pain_discomfort and procedure_what_is: no restriction's day depends on it.
    loaded, problems = check_folder(kb, routing=False)
    assert loaded is not None and problems == []


@pytest.mark.parametrize(
    ("old", "new", "day"),
    [
        ("train normally again from about {resume_when}", "train normally again from about day 10", 10),
        ("train normally again from about {resume_when}", "train normally again after 5 days", 5),
        ("train normally again from about {resume_when}", "train normally again after a 7-day break", 7),
    ],
)
def test_an_answer_day_that_contradicts_resume_day_is_refused(kb: Path, old: str, new: str, day: int) -> None:
    path = kb / "microneedling.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = _line_of(path, "answer: >-", after=_line_of(path, "- id: exercise_sweating"))
    assert _problems(kb) == [
        f"{path}:{line}: entry 'exercise_sweating': the answer says day {day}, but the entry's resume days "
        "are 3; write {resume_day} or {resume_when} (or their _<rule id> forms) instead of the number"
    ]


def test_a_rule_day_named_in_the_answer_is_one_of_the_entrys_own_days(kb: Path) -> None:
    path = kb / "microneedling.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{resume_when_prescription}", "day 10", 1), encoding="utf-8")
    assert check_folder(kb, routing=False)[1] == []  # the tretinoin rule's day: not a contradiction


def test_the_answer_follows_an_edit_of_resume_day(kb: Path) -> None:
    path = kb / "microneedling.yaml"
    start = _line_of(path, "- id: retinoids")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = _line_of(path, "resume_day: 5", after=start) - 1
    lines[at] = lines[at].replace("resume_day: 5", "resume_day: 7")
    path.write_text("".join(lines), encoding="utf-8")
    assert check_folder(kb)[1] == []  # the shipped answer has no number to go stale
    out = io.StringIO()
    argv = ["ask", "when can i use retinol again", "--day", "1", "--procedure", "microneedling"]
    assert main([*argv, "--knowledge", str(kb)], out=out) == 0
    assert "from about day 7" in out.getvalue() and "day 5" not in out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "Wear SPF 30 or higher every day.",
        "Results build over 2-3 weeks of normal course.",
        "Redness settles within 1 to 2 days.",
        "It lasts 2-3 days, sometimes day 2 to 5.",
        "Avoid it for the first 48 hours.",
        "Call 020 7946 0958 or 111.",
        "Day 0 is the treatment day.",
        "Stop it 3 days before your appointment.",
        "Moisturise every 2 days.",
        "Most people wait about 4 weeks.",
    ],
)
def test_numbers_that_are_not_days_of_the_entry_are_not_read_as_days(text: str) -> None:
    assert [int(m.group("day") or m.group("days")) for m in DAY_MENTIONS.finditer(text)] in ([], [0])


def test_shipped_answers_write_their_own_days_as_placeholders() -> None:
    result = load_folder(KNOWLEDGE)
    assert result.kb is not None
    procedures = [*result.kb.procedures.values(), *result.kb.variants.values()]
    literal = []
    for procedure in procedures:
        for entry in procedure.entries:
            if entry.restriction is None:
                continue
            own = {rule.resume_day for rule in entry.restriction.all_rules}
            said = {int(m.group("day") or m.group("days")) for m in DAY_MENTIONS.finditer(entry.answer)}
            hours = {int(h) // 24 for h in re.findall(r"\b(\d+) hours\b", entry.answer) if int(h) % 24 == 0}
            if (said | hours) & own:
                literal.append((procedure.id, procedure.variant, entry.id, sorted((said | hours) & own)))
    assert literal == []


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        ('"TODO: the answer, in the clinic’s words."', "a placeholder"),
        ("TBD", "a placeholder"),
        ("Lorem ipsum dolor sit amet, consectetur.", "a placeholder"),
        ('"..."', "empty or too short"),
        ("tbc", "empty or too short"),
    ],
)
def test_placeholder_and_todo_answers_are_refused(kb: Path, answer: str, what: str) -> None:
    path = kb / "microneedling.yaml"
    _add_entry(
        path,
        "  - id: gift_cards\n    kind: info\n    title: Gift cards\n"
        "    examples:\n      - do you sell gift cards\n"
        f"    keywords: [gift card]\n    answer: {answer}\n",
    )
    line = _line_of(path, f"answer: {answer}")
    [problem] = _problems(kb)
    assert problem.startswith(f"{path}:{line}: entry 'gift_cards': answer is {what}")


def test_every_problem_is_reported_in_one_run(kb: Path) -> None:
    (kb / "dermal_filler.yaml").write_text("procedure: [unclosed\n", encoding="utf-8")  # unusable file
    path = kb / "microneedling.yaml"
    _add_entry(path, SPRAY_TAN.replace("usually {resume_when}", "usually day 20"))
    text = path.read_text(encoding="utf-8").replace("resume_day: 5", "resume_day: five", 1)  # a wrong type
    path.write_text(text, encoding="utf-8")
    peel = kb / "chemical_peel.yaml"
    peel.write_text(peel.read_text(encoding="utf-8").replace("{clinic_phone}", "TBD", 1), encoding="utf-8")
    out = io.StringIO()
    assert main(["kb", "check", str(kb)], out=out) == 1
    printed = out.getvalue()
    assert re.search(r"dermal_filler\.yaml:\d+: YAML syntax error", printed)
    assert "entries[retinoids].restriction.resume_day:" in printed  # named by id, not position
    assert "chemical_peel.yaml" in printed and "is a placeholder" in printed
    # microneedling failed its shape check: its other problems come once it loads. The peel file's own checks
    # ran though the filler file is broken:
    assert all(re.match(r"^\S+\.yaml:\d+: ", line) for line in printed.splitlines())


def test_the_running_bot_refuses_such_a_knowledge_base_and_keeps_the_last_good_one(kb: Path) -> None:
    knowledge = Knowledge.load(kb, Clinic())
    before = knowledge.engine
    path = kb / "microneedling.yaml"
    _add_entry(path, SPRAY_TAN)
    outcome = knowledge.reload(force=True)
    assert outcome is not None and not outcome.loaded
    assert any("restriction word" in p for p in outcome.problems)
    assert knowledge.engine is before
    text = path.read_text(encoding="utf-8").replace("      - spray tan\n", "      - spray tan booth\n", 1)
    path.write_text(text.replace("usually {resume_when}", "usually day 20"), encoding="utf-8")
    outcome = knowledge.reload()
    assert outcome is not None and not outcome.loaded
    assert any("the answer says day 20" in p for p in outcome.problems)
    path.write_text(text, encoding="utf-8")
    outcome = knowledge.reload()
    assert outcome is not None and outcome.loaded and knowledge.engine is not before


def test_kb_suggest_names_the_file_and_never_pastes_into_warning_signs(kb: Path) -> None:
    # A file whose `warning_signs:` comes before `entries:`: a new entry goes after the last entry line.
    path = kb / "microneedling.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\nwarning_signs:")
    following = re.search(r"\n(?=[a-z_]+:)", text[start + 1 :])
    assert following is not None
    section = text[start : start + 1 + following.start()]
    text = text.replace(section, "", 1)
    at = text.index("\nentries:")
    path.write_text(text[:at] + section + text[at:], encoding="utf-8")
    assert check_folder(kb, routing=False)[1] == []
    rows = [("microneedling", "can my dog lick my face"), ("microneedling", "my dog licks my face")]
    document = next(d for d in suggestions(kb, rows) if "a new entry" in d)
    where = re.search(r"# paste into (\S+) right after line (\d+)", document)
    assert where is not None and where.group(1) == str(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    body = [line + "\n" for line in document.splitlines() if not line.startswith("#")]
    at_line = int(where.group(2))
    path.write_text("".join(lines[:at_line] + body + lines[at_line:]), encoding="utf-8")
    [problem] = _problems(kb)  # only the stub's answer: the entry landed in `entries:`
    assert "answer is a placeholder" in problem


def test_a_keyword_that_reads_as_one_stopword_is_refused(kb: Path) -> None:
    # "hers" is read as the stopword "her": it could never count as evidence for the entry.
    path = kb / "microneedling.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: makeup\n")
    at = text.index("    keywords:\n", start) + len("    keywords:\n")
    path.write_text(text[:at] + "      - hers\n" + text[at:], encoding="utf-8")
    out = io.StringIO()
    assert main(["kb", "check", str(kb)], out=out) == 1
    line = _line_of(path, "      - hers")
    expected = f"microneedling.yaml:{line}: entry 'makeup': keyword 'hers' says nothing once read"
    assert expected in out.getvalue()
