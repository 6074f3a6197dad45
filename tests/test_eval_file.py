"""`aftercare eval FILE`: a question file with a typo is refused with `file:line: message` for every problem,
before anything is scored; the project's own and the shared question sets all read cleanly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.answer import Engine
from bot.services.evaluation import EvalFileError, read_items

ROOT = Path(__file__).resolve().parent.parent
SHARED = [p / "shared" / "spec" for p in ROOT.parents[:3] if (p / "shared" / "spec").is_dir()]


def _eval(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    out = io.StringIO()
    code = main(["eval", str(path), "--procedure", "microneedling"], out=out)
    return code, out.getvalue(), capsys.readouterr().err.splitlines()


def test_an_unknown_key_is_an_error_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "- q: can i use retinol yet\n  topic: retinoids\n  day: 2\n"
        "- q: can i go to the gym\n  tpoic: exercise_sweating\n  alowed: true\n"
    )
    code, out, err = _eval(path, capsys)
    assert code == 2 and out == ""  # nothing was scored
    assert f"{path}:5: item 2: unknown key 'tpoic' (known: " in err[0]
    assert err[1].startswith(f"{path}:6: item 2: unknown key 'alowed'")
    assert len(err) == 2


def test_an_unknown_topic_is_an_error_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "- {q: can i use retinol yet, topic: retinol}\n"
        "- q: do you sell gift cards\n  topic: other\n"  # `other`: no entry should answer
        "- q: can i take ibuprofen before\n  topic: medication\n  also: [numbing_prep]\n"
    )
    code, _, err = _eval(path, capsys)
    assert code == 2
    assert err == [
        f"{path}:1: item 1: unknown topic 'retinol': not an entry id of the procedure (label 'other' when no "
        "entry should answer)",
        f"{path}:6: item 3: unknown topic 'numbing_prep' in 'also': not an entry id of the procedure",
    ]


def test_a_topic_of_another_procedure_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("- {q: how long does lip filler last, topic: longevity}\n")  # a dermal filler entry
    code, _, err = _eval(path, capsys)
    assert code == 2 and err[0].startswith(f"{path}:1: item 1: unknown topic 'longevity'")


def test_a_yaml_syntax_error_has_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("- q: can i use retinol yet\n  topic: retinoids\n- q: [unclosed\n  topic: makeup\n")
    code, _, err = _eval(path, capsys)
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"{path}:") and "YAML syntax error" in err[0]
    assert int(err[0].split(":")[1]) in (3, 4)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("- {q: hello, day: -1}\n", 1, "item 1: 'day' must be a whole number of days, 0 or more"),
        ("- q: hello\n  urgent: maybe\n", 2, "item 1: 'urgent' must be true or false"),
        ("- q: hello\n  also: retinoids\n", 2, "item 1: 'also' must be a list of entry ids"),
        ("- q: hello\n- just text\n", 2, "item 2 is not a mapping with a 'q'"),
        ("- q: hello\n  q: again\n", 2, "duplicate key 'q'"),
    ],
)
def test_wrong_values_are_errors_at_their_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    with pytest.raises(EvalFileError) as raised:
        read_items(content, {"retinoids"})
    assert (line, message) in [(p.line, p.message) for p in raised.value.problems]


def _sets() -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / "tests" / "data").glob("*.yaml")):
        procedure = next((p for p in ("chemical_peel", "dermal_filler") if path.name.startswith(p)), None)
        found.append((path, procedure or "microneedling"))
    for spec in SHARED[:1]:
        for path in sorted(spec.rglob("dev-*.yaml")):
            procedure = path.parent.name if path.parent != spec else "microneedling"
            found.append((path, procedure))
    return found


@pytest.mark.parametrize(("path", "procedure"), _sets(), ids=lambda v: getattr(v, "name", str(v)))
def test_every_question_set_reads_cleanly(engine: Engine, path: Path, procedure: str) -> None:
    topics = {e.id for e in engine.procedure(procedure).entries}
    items = read_items(path.read_text(encoding="utf-8"), topics)
    assert items and all(isinstance(item["q"], str) for item in items)
