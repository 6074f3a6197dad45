"""The language of patients' messages is data (`knowledge/language.yaml`): checked by `kb check` like the
other files, and everything that reads messages follows it, for any procedure named only in YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.answer import Engine
from bot.core.model import Tier
from bot.core.validate import check_folder


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _problems(kb: Path) -> list[str]:
    loaded, problems = check_folder(kb)
    assert loaded is None
    return [str(p) for p in problems]


def test_an_unknown_key_is_reported_with_its_line(kb: Path) -> None:
    path = kb / "language.yaml"
    text = path.read_text(encoding="utf-8").replace("  negations:", "  negatoins:", 1)
    path.write_text(text, encoding="utf-8")
    line = _line_of(path, "negatoins:")
    problems = _problems(kb)
    assert f"{path}:{line}: words.negatoins: unknown key (check the spelling)" in problems


def test_a_wrong_type_is_reported_with_its_line(kb: Path) -> None:
    path = kb / "language.yaml"
    text = path.read_text(encoding="utf-8").replace("  shortest: 3", "  shortest: three", 1)
    path.write_text(text, encoding="utf-8")
    line = _line_of(path, "shortest: three")
    assert any(p.startswith(f"{path}:{line}: stemming.shortest") for p in _problems(kb))


def test_an_unquoted_yes_or_no_is_not_silently_a_boolean(kb: Path) -> None:
    path = kb / "language.yaml"
    text = path.read_text(encoding="utf-8").replace('negations: ["no", not,', "negations: [no, not,", 1)
    path.write_text(text, encoding="utf-8")
    assert any("words.negations[0]" in p for p in _problems(kb))


def test_a_missing_language_file_is_reported(kb: Path) -> None:
    (kb / "language.yaml").unlink()
    assert any("language.yaml:0: missing" in p for p in _problems(kb))


def test_a_misspelt_placeholder_is_reported(kb: Path) -> None:
    path = kb / "language.yaml"
    text = path.read_text(encoding="utf-8").replace('"does {procedure} cause"', '"does {procedur} cause"', 1)
    path.write_text(text, encoding="utf-8")
    line = _line_of(path, "{procedur}")
    assert f"{path}:{line}: unknown placeholder {{procedur}}" in _problems(kb)


@pytest.fixture
def renamed(kb: Path) -> Engine:
    """The shipped procedure under another name that no code knows: only YAML names it."""
    path = kb / "microneedling.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["procedure"].update(id="glow_roll", name="glow rolling", title="Glow rolling", aliases=["glowroll"])
    for entry in data["entries"]:
        entry["examples"] = [e.replace("microneedling", "glow rolling") for e in entry["examples"]]
        entry["keywords"] = [k.replace("microneedling", "glow rolling") for k in entry.get("keywords", [])]
    path.unlink()
    (kb / "glow_roll.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded, problems = check_folder(kb, routing=False)
    assert loaded is not None, problems
    return Engine(loaded)


def test_procedure_cues_follow_the_names_in_yaml(renamed: Engine) -> None:
    p = "glow_roll"
    # "does {procedure} cause": a question about a sign, not a report of one
    assert not renamed.answer("does glow rolling cause cold sores", p, day=2).red_flag
    assert renamed.answer("i have a cold sore on my lip", p, day=2).urgency is Tier.SAME_DAY
    # "before {procedure}": the preparation answer
    before = renamed.answer("can i drink alcohol the night before glowroll", p, day=None)
    assert "numbing_preparation" in before.topics and before.allowed_now is None
    # the language file's other lists hold for it too
    assert renamed.answer("i want to end my life", p).urgency is Tier.CRISIS
    assert renamed.answer("when can i wear makeup", p, day=1).topic == "makeup"
