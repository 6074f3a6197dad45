"""The `aftercare` command: exit codes, the `ask --json` contract, `eval` reports and the chat console."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ASK_FIELDS = {
    "question",
    "day",
    "topic",
    "topics",
    "confidence",
    "urgency",
    "red_flag",
    "allowed_now",
    "allowed_from_day",
    "suggestions",
    "hand_over",
    "answer",
}


def _run(argv: list[str]) -> tuple[int, str]:
    """The command with `--procedure microneedling` (the shipped knowledge base has several)."""
    if argv[:1] in (["ask"], ["eval"]) and "--procedure" not in argv:
        argv = [*argv, "--procedure", "microneedling"]
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


def test_ask_json_has_every_field() -> None:
    code, output = _run(["ask", "can I use retinol yet?", "--day", "2", "--json"])
    assert code == 0
    data = json.loads(output)
    assert set(data) == ASK_FIELDS
    assert data["topic"] == "retinoids"
    assert data["topics"] == ["retinoids"]
    assert data["allowed_now"] is False and data["allowed_from_day"] == 5
    assert data["urgency"] is None and data["red_flag"] is False
    assert 0.0 <= data["confidence"] <= 1.0
    assert data["answer"].startswith("Not yet")


def test_ask_json_for_a_warning_sign() -> None:
    code, output = _run(["ask", "my throat is closing", "--day", "0", "--json"])
    data = json.loads(output)
    assert code == 0
    assert data["urgency"] == "emergency" and data["red_flag"] is True


def test_ask_json_when_abstaining() -> None:
    data = json.loads(_run(["ask", "can my dog eat grapes", "--json"])[1])
    assert data["topic"] is None and data["topics"] == []
    assert data["allowed_now"] is None and data["allowed_from_day"] is None
    assert isinstance(data["suggestions"], list)


def test_ask_plain_text() -> None:
    code, output = _run(["ask", "can i wear makeup", "--day", "5"])
    assert code == 0
    assert output.startswith("Yes")


def test_ask_with_treatment_date_in_the_future_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run(["ask", "retinol?", "--treated-on", "2999-01-01"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "future" in err


@pytest.mark.parametrize("argv", [["ask", "x", "--day", "-1"], ["ask", "x", "--day", "soon"], ["nonsense"]])
def test_bad_arguments_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert "aftercare" in capsys.readouterr().err


def test_unknown_procedure(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run(["ask", "x", "--procedure", "facelift"])
    assert code == 2
    assert "unknown procedure 'facelift'" in capsys.readouterr().err


def test_broken_knowledge_base_exits_1_with_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "messages.yaml").write_text("restriction: [\n")
    code, _ = _run(["ask", "x", "--knowledge", str(tmp_path)])
    assert code == 1
    assert "messages.yaml:" in capsys.readouterr().err


def test_eval_report_and_predictions(tmp_path: Path) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- {q: can i use retinol yet, topic: retinoids, day: 2, allowed: false}\n"
        "- {q: when can i go to the gym, topic: exercise_sweating, day: 5, allowed: true}\n"
        "- {q: do you sell gift cards, topic: other}\n"
        "- {q: there is pus in the holes, day: 3, urgent: true}\n"
        "- {q: my throat is closing, day: 0, urgent: true, emergency: true}\n"
        "- {q: no fever and no pus, day: 3, urgent: false}\n"
        "- {q: can i use retinol, topic: makeup, source: deliberately wrong label}\n"
    )
    predictions = tmp_path / "out.jsonl"
    code, report = _run(["eval", str(questions), "--predictions", str(predictions)])
    assert code == 0
    assert "topic accuracy: 75.0% (3/4)" in report
    assert "confidently wrong: 25.0% (1/4)" in report
    assert "warning-sign recall: 100.0% (2/2)" in report
    assert "emergency tier: 1/1" in report
    assert "false alarms: 0/1" in report
    assert "day verdicts right: 2/2" in report
    assert "makeup: retinoids x1" in report
    lines = predictions.read_text().splitlines()
    assert len(lines) == 7
    assert json.loads(lines[0])["question"] == "can i use retinol yet"
    assert all(set(json.loads(line)) == ASK_FIELDS for line in lines)
    assert _run(["eval", str(questions), "--gate"])[0] == 1


def test_eval_refuses_an_unwritable_predictions_path_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text("- {q: can i use retinol yet, topic: retinoids, day: 2}\n")
    target = tmp_path / "no" / "such" / "folder" / "out.jsonl"
    code, out = _run(["eval", str(questions), "--predictions", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and out == ""  # nothing was scored
    assert err.count("\n") == 1 and f"cannot write {target}" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("just text", "must be a YAML list"),
        ("- {topic: x}", "item 1 has no text 'q'"),
        ("- [", ": YAML syntax error"),
    ],
)
def test_eval_bad_file(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(content)
    assert _run(["eval", str(path)])[0] == 2
    assert message in capsys.readouterr().err


def test_chat_answers_each_line_and_exits_on_end_of_input() -> None:
    stdin = io.StringIO("can i use retinol yet\n\nhello\n")
    out = io.StringIO()
    from bot.cli import build_parser, cmd_chat

    args = build_parser().parse_args(["chat", "--day", "2", "--procedure", "microneedling"])
    assert cmd_chat(args, out, stdin=stdin) == 0
    text = out.getvalue()
    assert "Not yet" in text
    assert text.rstrip().splitlines()[-1]  # a goodbye line after Ctrl-D


def test_chat_picks_a_suggestion_by_number() -> None:
    from bot.cli import build_parser, cmd_chat

    args = build_parser().parse_args(["chat", "--day", "2", "--procedure", "microneedling"])
    out = io.StringIO()
    cmd_chat(args, out, stdin=io.StringIO("what about my skin\n1\n"))
    first, _, second = out.getvalue().partition("\n\n")
    assert "1." in first
    assert second.strip()


def test_console_script_runs_in_a_subprocess() -> None:
    command = ["ask", "is peeling normal", "--day", "3", "--json", "--procedure", "microneedling"]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["topic"] == "peeling_dryness_flaking"


def test_chat_is_the_default_without_a_token_and_asks_for_the_treatment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\n3\ncan i use retinol yet\n"))
    out = io.StringIO()
    assert main([], out=out) == 0
    text = out.getvalue()
    assert "1. Chemical peel" in text and "3. Microneedling" in text  # several procedures: which one?
    assert "retinol" in text.lower() and "microneedling" in text.lower()


def test_ask_needs_the_procedure_when_there_are_several(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "can i use retinol yet"], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--procedure" in err and "chemical_peel" in err and "microneedling" in err


def test_eval_gate_on_a_warning_sign_only_file(tmp_path: Path) -> None:
    path = tmp_path / "signs.yaml"
    path.write_text("- {q: there is pus, day: 3, urgent: true}\n- {q: a little dry, day: 3, urgent: false}\n")
    code, report = _run(["eval", str(path), "--gate"])
    assert code == 0, report
    path.write_text("- {q: a little dry, day: 3, urgent: true}\n")
    assert _run(["eval", str(path), "--gate"])[0] == 1


def test_the_gate_takes_a_higher_bar(tmp_path: Path) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "".join(f"- {{q: can i use retinol yet, topic: retinoids, day: {d}}}\n" for d in range(1, 20))
        + "- {q: do you sell gift cards, topic: retinoids}\n"  # 95% right, 5% confidently wrong
    )
    assert _run(["eval", str(questions), "--gate"])[0] == 1  # one confidently wrong answer of 20 is 5%
    assert _run(["eval", str(questions), "--gate", "--max-wrong", "5"])[0] == 0
    code, report = _run(["eval", str(questions), "--gate", "--max-wrong", "5", "--min-right", "97"])
    assert code == 1 and "needs >= 97% right, <= 5% confidently wrong" in report
