"""`aftercare kb suggest` on a seeded question log prints valid YAML, and `aftercare kb check` accepts the
knowledge base once each snippet is pasted where its comment says."""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.cli import main
from bot.storage import Store, questions

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC)
SEEDED = {
    "when can i dye my hair": 1,
    "Can I dye my hair?": 2,
    "is it ok to dye my hair": 3,
    "what should i put on my face": 4,
    "what should i put on": 5,
    "is it ok to get my eyebrows threaded": 6,
    "can i get my eyebrows threaded": 7,
    "an old question: can i go skiing": 45,
}


def seed(db: Path) -> None:
    store = Store.open(db, create=True)
    try:
        for text, days_ago in SEEDED.items():
            asked = (NOW - timedelta(days=days_ago)).isoformat(timespec="seconds")
            store.call(questions.record, None, asked, "microneedling", 3, None, 0.2, None, text)
        # An answered question keeps no text and is never suggested.
        store.call(questions.record, None, NOW.isoformat(), "microneedling", 3, "retinoids", 0.9, None, None)
    finally:
        store.close()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def paste(folder: Path, document: str) -> None:
    """Insert the snippet's lines after the line its comment names."""
    where = re.search(r"# paste into (\S+) (?:right )?after line (\d+)", document)
    assert where is not None, document
    path = folder / where.group(1)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    body = [line + "\n" for line in document.splitlines() if not line.startswith("#")]
    at = int(where.group(2))
    path.write_text("".join(lines[:at] + body + lines[at:]), encoding="utf-8")


def test_suggestions_are_valid_yaml_that_kb_check_accepts_once_pasted(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    db = tmp_path / "bot.db"
    seed(db)
    code, printed = run("kb", "suggest", "--since", "30", "--db", str(db), "--knowledge", str(folder))
    assert code == 0
    documents = printed.split("\n---\n")
    assert all(yaml.safe_load(d) for d in documents)  # each is YAML with content
    assert len(documents) == 4 and "skiing" not in printed  # older than --since
    new_entry = next(d for d in documents if "new entry" in d)
    assert "asked 3x" in new_entry and "- id: new_" in new_entry
    [stub] = yaml.safe_load(new_entry)
    assert stub["kind"] == "info" and len(stub["examples"]) == 3
    threading = next(d for d in documents if "eyebrows" in d)
    assert "closest entry: shaving_hair_removal" in threading
    assert yaml.safe_load(threading) == [
        "is it ok to get my eyebrows threaded",
        "can i get my eyebrows threaded",
    ]
    # Paste from the bottom of the file up, so the line numbers of the others stay right.
    order = sorted(documents, key=lambda d: -int(re.findall(r"after line (\d+)", d)[0]))
    for document in order:
        paste(folder, document)
    # The new entries' answers are still stubs: refused, each at its line, until the clinic writes them.
    code, checked = run("kb", "check", str(folder))
    assert code == 1
    target = folder / "microneedling.yaml"
    lines = target.read_text(encoding="utf-8").splitlines()
    stubs_at = [n for n, line in enumerate(lines, 1) if "TODO" in line]
    assert len(stubs_at) == sum(1 for d in documents if "new entry" in d)
    refused = checked.splitlines()
    assert [r.split(": entry ")[0] for r in refused] == [f"{target}:{n}" for n in stubs_at], checked
    assert all("answer is a placeholder" in r for r in refused)
    assert any(f"entry '{stub['id']}'" in r for r in refused)
    written = target.read_text(encoding="utf-8").replace(
        "TODO: the answer, in the clinic’s words.", "Please ask the clinic about this before your visit."
    )
    target.write_text(written, encoding="utf-8")
    code, checked = run("kb", "check", str(folder))
    assert code == 0, checked
    files = [p for p in (ROOT / "knowledge").glob("*.yaml") if p.stem not in ("messages", "language")]
    shipped = sum(len(yaml.safe_load(p.read_text())["entries"]) for p in files)
    stubs = sum(1 for d in documents if "new entry" in d)
    assert checked.startswith(f"OK: {len(files)} procedure(s), {shipped + stubs} entries")
    # The knowledge base now answers what it could not before.
    code, answer = run(
        "ask",
        "can i get my eyebrows threaded",
        "--day",
        "3",
        "--json",
        "--knowledge",
        str(folder),
        "--procedure",
        "microneedling",
    )
    assert '"topic": "shaving_hair_removal"' in answer


def test_nothing_to_suggest(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    Store.open(db, create=True).close()
    code, printed = run("kb", "suggest", "--db", str(db))
    assert code == 0 and printed == "# no unanswered questions in the last 30 days\n"
    code, _ = run("kb", "suggest", "--db", str(tmp_path / "missing.db"))
    assert code == 2
