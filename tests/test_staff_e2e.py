"""The clinic's side end to end: the real Application (all feature modules) over HTTP against the fake Bot
API, a staff group, a controlled clock. Alerts, their acknowledgement and repeat, staff-only commands, the
human handoff for two patients at once, and a knowledge-base edit that is refused."""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.services import Services
from bot.services.conversation import MessageKind, Received
from bot.services.handoffs import Incoming
from bot.services.knowledge import Knowledge, load_engine
from bot.storage import Store
from tests.bot_support import CLINIC, Bot, FakeClock, make_config, start_bot, stop_bot
from tests.fakebotapi import Call, FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
STAFF_CHAT = -100500
STAFF = 900  # Sam, on the staff list
OTHER_MEMBER = 901  # in the staff group, not on the list
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    return folder


async def _start(server: FakeBotAPI, tmp_path: Path, knowledge: Path, clock: FakeClock) -> Bot:
    return await start_bot(
        server,
        load_engine(knowledge, CLINIC),
        tmp_path / "bot.db",
        clock,
        staff_chat_id=STAFF_CHAT,
        staff_ids=frozenset({STAFF}),
        knowledge_dir=knowledge,
        clinic_hours_text="Mon-Fri 09:00-18:00",
    )


@pytest_asyncio.fixture
async def bot(server: FakeBotAPI, tmp_path: Path, knowledge: Path) -> AsyncIterator[Bot]:
    running = await _start(server, tmp_path, knowledge, FakeClock(MONDAY_NOON))
    try:
        yield running
    finally:
        await stop_bot(running)
    assert running.errors == []


def buttons(call: Call) -> dict[str, str]:
    markup = call.reply_markup or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def staff_messages(bot: Bot) -> list[Call]:
    return bot.server.sent_messages(STAFF_CHAT)


async def enroll(bot: Bot, chat: int, name: str | None, days_ago: int = 3) -> None:
    before = len(bot.server.sent_messages(chat))
    bot.server.push_command(chat, "/start", args=bot.invite(days_ago=days_ago, name=name).payload)
    await bot.replies(chat, before + 1)


async def staff_count(bot: Bot, count: int, timeout: float = 5.0) -> list[Call]:
    return await bot.server.wait_for_messages_async(STAFF_CHAT, count, timeout)


async def dispatch(bot: Bot) -> None:
    """One dispatcher pass now (what the 30-second wake-up does)."""
    await bot.dispatch()


async def raise_alert(bot: Bot, chat: int, words: str = "my throat is closing up") -> Call:
    before = len(staff_messages(bot))
    replies = await bot.say(chat, words)
    assert replies[0].text and "999" in replies[0].text  # the tier's safety reply comes first
    [alert] = (await staff_count(bot, before + 1))[before:]
    return alert


def forged(server: FakeBotAPI, chat: int, data: str, user: int, message_id: int | None = None) -> int:
    return server.push_callback(chat, data, message_id=message_id, user_id=user, first_name="Eve")


# -- alerts ----------------------------------------------------------------------------------------------


async def test_a_warning_sign_gives_the_patient_the_reply_and_staff_one_alert(bot: Bot) -> None:
    await enroll(bot, 401, "Ann")
    alert = await raise_alert(bot, 401)
    text = alert.text or ""
    assert "EMERGENCY" in text and "Ann" in text and "microneedling, day 3" in text
    assert 'They wrote: "my throat is closing up"' in text
    assert "No check-in answers yet." in text
    assert list(buttons(alert)) == ["I'll handle it", "Open chat"]
    # A second message while the alert is open raises no second alert.
    await bot.say(401, "my throat is closing up still")
    await dispatch(bot)
    await bot.quiet(0.2)
    assert len(staff_messages(bot)) == 1
    assert bot.rows("SELECT state FROM outbox WHERE kind = 'alert' ORDER BY id") == [("sent",), ("pending",)]
    # The words stay stored only in the pending repeat; the posted message's copy is dropped.
    payloads = [p for (p,) in bot.rows("SELECT payload FROM outbox WHERE kind = 'alert' ORDER BY id")]
    assert payloads[0] is None and "my throat is closing up" in payloads[1]
    assert "words" not in [c[1] for c in bot.rows("PRAGMA table_info(alerts)")]


async def test_acknowledging_stops_the_repeat_and_drops_the_words(bot: Bot) -> None:
    await enroll(bot, 402, None)
    alert = await raise_alert(bot, 402, "there is pus and it is getting worse")
    assert "Patient #1" in (alert.text or "") and "SAME DAY" in (alert.text or "")
    mark = bot.server.mark()
    bot.server.push_callback(
        STAFF_CHAT,
        buttons(alert)["I'll handle it"],
        message_id=alert.message_id,
        user_id=STAFF,
        first_name="Sam",
    )
    edited = await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "Sam is handling this" in (edited.text or "") and "pus" not in (edited.text or "")
    assert list(buttons(edited)) == ["Open chat"]
    assert bot.rows("SELECT acknowledged_by FROM alerts") == [(STAFF,)]
    assert bot.rows("SELECT payload FROM outbox WHERE kind = 'alert'") == [(None,), (None,)]
    bot.clock.advance(minutes=16)
    await dispatch(bot)
    await bot.quiet(0.2)
    assert len(staff_messages(bot)) == 1
    assert ("skipped", "acknowledged") in bot.rows(
        "SELECT state, skip_reason FROM outbox WHERE kind = 'alert'"
    )


async def test_an_alert_nobody_takes_is_posted_again_once(bot: Bot) -> None:
    await enroll(bot, 403, "Bea")
    await raise_alert(bot, 403)
    bot.clock.advance(minutes=14)
    await dispatch(bot)
    await bot.quiet(0.2)
    assert len(staff_messages(bot)) == 1
    bot.clock.advance(minutes=2)
    await dispatch(bot)
    [_, repeat] = await staff_count(bot, 2)
    assert (repeat.text or "").startswith("🔁 REPEAT") and "Bea" in (repeat.text or "")
    assert list(buttons(repeat)) == ["I'll handle it", "Open chat"]
    bot.clock.advance(minutes=60)
    await dispatch(bot)
    await bot.quiet(0.2)
    assert len(staff_messages(bot)) == 2


async def test_a_checkin_escalation_becomes_an_alert_at_once(bot: Bot) -> None:
    await enroll(bot, 404, "Cy", days_ago=0)
    bot.clock.advance(hours=22, minutes=1)  # the day-1 check-in is due tomorrow at 10:00
    await dispatch(bot)
    [checkin] = [c for c in bot.server.sent_messages(404) if "ci:" in str(c.reply_markup)]
    bot.server.push_callback(404, buttons(checkin)["Something's wrong"], message_id=checkin.message_id)
    [alert] = await staff_count(bot, 1)  # with the reply, not after a later look at the database
    assert "From a check-in" in (alert.text or "") and "Cy" in (alert.text or "")
    bot.server.push_callback(404, buttons(checkin)["Something's wrong"], message_id=checkin.message_id)
    await bot.settled()
    await bot.quiet(0.1)
    assert len(staff_messages(bot)) == 1  # once per check-in and tier
    assert bot.rows("SELECT source, tier FROM alerts") == [("checkin", "same_day")]


async def test_out_of_hours_the_reply_says_the_clinic_is_closed(
    server: FakeBotAPI, tmp_path: Path, knowledge: Path
) -> None:
    saturday_night = FakeClock(datetime(2026, 11, 28, 22, 0, tzinfo=UTC))
    bot = await _start(server, tmp_path, knowledge, saturday_night)
    try:
        await enroll(bot, 405, "Di")
        safety, closed, *_ = await bot.say(405, "there is pus and it is getting worse", expect=2)
        assert (safety.text or "").startswith("Please contact Glow Clinic today")
        assert "Glow Clinic is closed right now (opening hours: Mon-Fri 09:00-18:00)" in (closed.text or "")
        assert "999" in (closed.text or "")
        await staff_count(bot, 1)
    finally:
        await stop_bot(bot)
    assert bot.errors == []


# -- who may do what ------------------------------------------------------------------------------------


async def test_strangers_get_the_patient_reply_and_change_nothing(bot: Bot) -> None:
    await enroll(bot, 406, "Eve")
    alert = await raise_alert(bot, 406)
    data = buttons(alert)["I'll handle it"]
    [stats] = await bot.say(406, "/stats")
    [unknown] = await bot.say(406, "/frobnicate")
    assert stats.text == unknown.text  # the ordinary reply to an unknown command: no hint
    [enroll_reply] = await bot.say(406, "/enroll 2026-11-20 Zed")
    assert enroll_reply.text == unknown.text
    assert bot.rows("SELECT COUNT(*) FROM invites WHERE name = 'Zed'") == [(0,)]
    # A forged "I'll handle it" from the patient's own chat and from a group member not on the list.
    forged(bot.server, 406, data, user=406)
    forged(bot.server, STAFF_CHAT, data, user=OTHER_MEMBER, message_id=alert.message_id)
    bot.server.push_text(STAFF_CHAT, "/stats", user_id=OTHER_MEMBER)
    await bot.quiet(0.5)
    assert bot.rows("SELECT acknowledged_at FROM alerts") == [(None,)]
    assert [c for c in bot.server.calls("editMessageText") if c.chat_id == STAFF_CHAT] == []
    assert len(staff_messages(bot)) == 1
    answers = [c for c in bot.server.calls("answerCallbackQuery")]
    assert len(answers) == 2 and all("no longer active" in (c.params.get("text") or "") for c in answers)


async def test_people_not_enrolled_cannot_flood_the_staff_chat(bot: Bot) -> None:
    strangers = range(460, 470)
    for chat in strangers:  # ten people who never enrolled, each with a warning sign
        [reply] = await bot.say(chat, "my throat is closing up")
        assert "999" in reply.text  # everyone gets the safety reply
    await bot.say(460, "my throat is closing up and i can't breathe")  # the same person again
    await bot.settled()
    staff = staff_messages(bot)
    alerts = [m for m in staff if "Warning sign" in m.text]
    assert len(alerts) == 3  # three alerts an hour from people not enrolled, then a count
    assert bot.rows("SELECT COUNT(*) FROM alerts") == [(3,)]
    [flood] = [m for m in staff if m not in alerts]
    assert "not enrolled" in flood.text and "/alerts" in flood.text
    bot.server.push_text(STAFF_CHAT, "/alerts", user_id=STAFF)
    await staff_count(bot, len(staff) + 1)
    await bot.settled()
    listing = "\n".join(m.text for m in staff_messages(bot)[len(staff) :])
    assert "7 more warning-sign messages from people not enrolled since 12:00" in listing
    # An hour later the limit starts again.
    bot.clock.advance(minutes=60)
    await bot.say(470, "my throat is closing up")
    await bot.settled()
    assert bot.rows("SELECT COUNT(*) FROM alerts") == [(4,)]


async def test_someone_not_enrolled_cannot_open_a_handoff(bot: Bot) -> None:
    [reply] = await bot.say(471, "/human")
    assert "once you are set up" in reply.text and CLINIC.phone in reply.text
    await bot.settled()
    assert staff_messages(bot) == []
    assert bot.rows("SELECT COUNT(*) FROM handoffs") == [(0,)]
    await enroll(bot, 472, "Ivy")
    [opened] = await bot.say(472, "/human")
    assert "once you are set up" not in opened.text
    assert len(await staff_count(bot, 1)) == 1


async def test_chatid_in_a_group_tells_its_id_for_the_settings(bot: Bot) -> None:
    other_group = -100777
    bot.server.push_text(other_group, "/chatid", user_id=OTHER_MEMBER)
    [told] = await bot.server.wait_for_messages_async(other_group, 1)
    assert "AFTERCARE_STAFF_CHAT_ID=-100777" in told.text
    bot.server.push_text(STAFF_CHAT, "/chatid", user_id=STAFF)
    [already] = await staff_count(bot, 1)
    assert "staff chat already" in already.text and str(STAFF_CHAT) in already.text
    [private] = await bot.say(480, "/chatid")  # in a private chat it is just an unknown command
    assert "AFTERCARE_STAFF_CHAT_ID" not in private.text


async def test_staff_commands(bot: Bot) -> None:
    await enroll(bot, 407, "Flo", days_ago=2)
    for question in ("can i dye my hair", "Can I dye my hair?", "when can i dye my hair", "can i fly"):
        await bot.say(407, question)
    bot.server.push_command(STAFF_CHAT, "/enroll", args="2026-11-21 Gus", user_id=STAFF)
    [choice] = await staff_count(bot, 1)  # the clinic has several procedures: which one?
    assert list(buttons(choice)) == ["Chemical peel", "Dermal filler", "Microneedling"]
    mark = bot.server.mark()
    data = buttons(choice)["Microneedling"]
    bot.server.push_callback(STAFF_CHAT, data, message_id=choice.message_id, user_id=STAFF, first_name="Sam")
    link = [await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)]
    photo = await bot.server.wait_for_async(lambda c: c.method == "sendPhoto" and c.ok)
    assert "https://t.me/AftercareTestBot?start=" in (link[0].text or "") and "Gus" in (link[0].text or "")
    assert photo.chat_id == STAFF_CHAT and photo.files["photo"].data.startswith(b"\x89PNG")
    assert bot.rows("SELECT name, treated_on FROM invites WHERE name = 'Gus'") == [("Gus", "2026-11-21")]
    bot.server.push_command(STAFF_CHAT, "/patients", user_id=STAFF)
    [*_, patients] = await staff_count(bot, 3)
    assert "Active patients (1)" in (patients.text or "") and "Flo (#1): microneedling, day 2" in (
        patients.text or ""
    )
    bot.server.push_command(STAFF_CHAT, "/unanswered", user_id=STAFF)
    [*_, unanswered] = await staff_count(bot, 4)
    assert re.search(r'• 3×: "[^"]*dye my hair', unanswered.text or "") and "fly" not in (
        unanswered.text or ""
    )
    bot.server.push_command(STAFF_CHAT, "/alerts", user_id=STAFF)
    [*_, none] = await staff_count(bot, 5)
    assert none.text == "No open alerts."
    bot.server.push_command(STAFF_CHAT, "/stats", user_id=STAFF)
    [*_, stats] = await staff_count(bot, 6)
    assert "Last 7 days: 1 enrolled" in (stats.text or "") and "3 not answered" in (stats.text or "")
    # The staff chat's own command menu lists them; the patients' menu does not.
    scope = {"type": "chat", "chat_id": STAFF_CHAT}
    for _ in range(400):
        if bot.server.commands(scope):
            break
        await bot.quiet(0.02)
    assert [c["command"] for c in bot.server.commands(scope)] == [
        "enroll",
        "patients",
        "alerts",
        "unanswered",
        "stats",
        "done",
    ]
    assert "stats" not in [c["command"] for c in bot.server.commands()]
    # A staff member may also use the commands in a private chat with the bot.
    [private] = await bot.say(STAFF, "/alerts")
    assert private.text == "No open alerts."


async def test_alerts_lists_every_open_alert_with_the_name_on_its_buttons(bot: Bot) -> None:
    await enroll(bot, 421, "Ann")
    await enroll(bot, 422, None)  # no name: the alias
    for chat in (421, 422, 423):  # 423 never enrolled
        await raise_alert(bot, chat)
    [listed] = await bot.say(STAFF, "/alerts")
    assert "Open alerts (3):" in (listed.text or "")
    labels = buttons(listed)
    assert list(labels) == [
        "I'll handle Ann",
        "Open chat: Ann",
        "I'll handle Patient #2",
        "Open chat: Patient #2",
        "I'll handle A person who has not enrolled",
        "Open chat: A person who has not enrolled",
    ]
    ids = bot.rows("SELECT id FROM alerts ORDER BY id")
    assert [labels[f"I'll handle {n}"] for n in ("Ann", "Patient #2")] == [f"al:h:{i}" for (i,) in ids[:2]]


async def test_a_relayed_message_is_laid_out_by_the_knowledge_base(
    server: FakeBotAPI, tmp_path: Path, knowledge: Path
) -> None:
    messages = knowledge / "messages.yaml"
    text = messages.read_text(encoding="utf-8")
    relayed = '"💬 {name} ({where}):\\n{text}"'
    assert relayed in text
    messages.write_text(text.replace(relayed, '"{name} wrote: {text}"'), encoding="utf-8")
    running = await _start(server, tmp_path, knowledge, FakeClock(MONDAY_NOON))
    try:
        await enroll(running, 431, "Jo")
        await running.say(431, "/human")
        await staff_count(running, 1)
        running.server.push_text(431, "can I swim?")
        [*_, relayed] = await staff_count(running, 2)
        assert relayed.text == "Jo wrote: can I swim?"
    finally:
        await stop_bot(running)
    assert running.errors == []


# -- handoff --------------------------------------------------------------------------------------------


async def test_a_reply_to_a_patient_who_blocked_the_bot_is_reported_to_staff(bot: Bot) -> None:
    await enroll(bot, 415, "Kit")
    await bot.say(415, "/human")
    bot.server.push_text(415, "are you there?")
    [_, relayed] = await staff_count(bot, 2)
    bot.server.block(415)
    bot.server.push_text(STAFF_CHAT, "Yes, call us", user_id=STAFF, reply_to_message_id=relayed.message_id)
    [*_, note] = await staff_count(bot, 3)
    assert note.text == "I could not deliver that to Kit (they may have blocked the bot)."
    assert bot.rows("SELECT unreachable FROM patients WHERE chat_id = 415") == [(1,)]


async def test_handoff_round_trip_for_two_patients_with_a_photo(bot: Bot) -> None:
    await enroll(bot, 411, "Hal")
    await enroll(bot, 412, "Ida")
    [opened_a] = await bot.say(411, "/human")
    [opened_b] = await bot.say(412, "/human")
    assert "asked the team at Glow Clinic" in (opened_a.text or "") and opened_b.text == opened_a.text
    headers = await staff_count(bot, 2)
    assert "Chat with Hal is open" in (headers[0].text or "") and "Chat with Ida is open" in (
        headers[1].text or ""
    )
    before_a = len(bot.server.sent_messages(411))
    bot.server.push_text(411, "can I use retinol yet?")
    bot.server.push_photo(412, caption="is this normal?")
    relayed = (await staff_count(bot, 4))[2:]
    from_a = next(c for c in relayed if c.method == "sendMessage")
    from_b = next(c for c in relayed if c.method == "copyMessage")
    assert (from_a.text or "") == "💬 Hal (microneedling, day 3):\ncan I use retinol yet?"
    assert (from_b.text or "").startswith("💬 Ida (microneedling, day 3):") and "is this normal?" in (
        from_b.text or ""
    )
    assert len(bot.server.sent_messages(411)) == before_a  # the bot does not answer during a handoff
    bot.server.push_text(
        STAFF_CHAT, "Not yet, wait until Friday", user_id=STAFF, reply_to_message_id=from_a.message_id
    )
    bot.server.push_text(
        STAFF_CHAT, "Yes, that is normal", user_id=STAFF, reply_to_message_id=from_b.message_id
    )
    [to_a] = (await bot.replies(411, before_a + 1))[before_a:]
    to_b = (await bot.replies(412, 3))[-1]
    assert to_a.text == "Glow Clinic: Not yet, wait until Friday"
    assert to_b.text == "Glow Clinic: Yes, that is normal"
    # Only staff on the list are relayed.
    bot.server.push_text(STAFF_CHAT, "lol", user_id=OTHER_MEMBER, reply_to_message_id=from_a.message_id)
    # The patient closes theirs; staff close the other one by replying /done.
    [closed_a] = await bot.say(411, "/done")
    assert "aftercare assistant, again" in (closed_a.text or "")
    [*_, note] = await staff_count(bot, 5)
    assert note.text == "💬 Hal closed the chat; the bot answers them again."
    [answer] = await bot.say(411, "can I use retinol yet?")
    assert (answer.text or "").startswith("Not yet")
    bot.server.push_command(STAFF_CHAT, "/done", user_id=STAFF)  # not a reply: how to use it
    [*_, usage] = await staff_count(bot, 6)
    assert "Reply /done" in (usage.text or "")
    bot.server.push_text(STAFF_CHAT, "/done", user_id=STAFF, reply_to_message_id=from_b.message_id)
    [*_, closed_b] = await staff_count(bot, 7)
    assert closed_b.text == "💬 Chat with Ida closed; the bot answers them again."
    [*_, told_b] = await bot.replies(412, 4)
    assert "has closed this chat" in (told_b.text or "")
    assert all("lol" not in (c.text or "") for c in bot.server.sent_messages(411))
    assert bot.rows("SELECT COUNT(*) FROM handoffs WHERE closed_at IS NULL") == [(0,)]


async def test_open_chat_on_an_alert_starts_a_handoff(bot: Bot) -> None:
    await enroll(bot, 413, "Jo")
    alert = await raise_alert(bot, 413)
    before = len(bot.server.sent_messages(413))
    bot.server.push_callback(
        STAFF_CHAT, buttons(alert)["Open chat"], message_id=alert.message_id, user_id=STAFF, first_name="Sam"
    )
    [joined] = (await bot.replies(413, before + 1))[before:]
    assert "has joined this chat" in (joined.text or "")
    [_, opened] = await staff_count(bot, 2)
    assert "Chat with Jo is open" in (opened.text or "")
    [(acknowledged_by,)] = bot.rows("SELECT acknowledged_by FROM alerts")
    assert acknowledged_by == STAFF
    bot.server.push_text(STAFF_CHAT, "Calling you now", user_id=STAFF, reply_to_message_id=opened.message_id)
    [*_, delivered] = await bot.replies(413, before + 2)
    assert delivered.text == "Glow Clinic: Calling you now"


async def test_forget_removes_alerts_and_handoffs(bot: Bot) -> None:
    await enroll(bot, 414, "Kim")
    await raise_alert(bot, 414, "my throat is closing up, secret words")
    await bot.say(414, "/human")
    bot.server.push_text(414, "more secret words")
    await staff_count(bot, 3)
    await bot.say(414, "/forget")
    mark = bot.server.mark()
    bot.server.push_callback(414, "f:yes")
    done = await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "alerts sent to the clinic about you (1)" in (done.text or "")
    await bot.settled()  # the confirmation itself has left the outbox
    for (table,) in bot.rows("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in bot.rows(f"SELECT * FROM [{table}]"):
            flat = " ".join(str(v) for v in row)
            assert 414 not in row and "Kim" not in flat and "secret" not in flat, (table, row)
    # The handoff is over too: the bot answers again.
    [answer] = await bot.say(414, "can I use retinol yet?")
    assert "/start" in (answer.text or "")


# -- knowledge reload -----------------------------------------------------------------------------------


async def test_a_broken_knowledge_edit_keeps_the_old_one_and_tells_staff(bot: Bot, knowledge: Path) -> None:
    await enroll(bot, 421, "Lu")
    reloader = bot.built
    path = knowledge / "microneedling.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("entries:\n", "entries:\n  - id: Broken Entry\n", 1), encoding="utf-8")
    result = await reloader.reload()
    assert result is not None and not result.loaded
    [report] = await staff_count(bot, 1)
    assert "refused" in (report.text or "") and "microneedling.yaml:" in (report.text or "")
    assert await reloader.reload() is None  # the same broken files are reported once
    [answer] = await bot.say(421, "can I use retinol yet?")
    assert (answer.text or "").startswith("Not yet")
    # A valid edit is used at once, by the answers and by the renderer's texts.
    messages = knowledge / "messages.yaml"
    messages.write_text(
        messages.read_text(encoding="utf-8").replace("I can only read text messages.", "Text only, please."),
        encoding="utf-8",
    )
    path.write_text(good.replace("Retinoids can", "RELOADED: Retinoids can", 1), encoding="utf-8")
    result = await reloader.reload()
    assert result is not None and result.loaded
    [answer] = await bot.say(421, "can I use retinol yet?")
    assert "RELOADED" in (answer.text or "")
    bot.server.push_sticker(421)
    [*_, sticker] = await bot.replies(421, len(bot.server.sent_messages(421)) + 1)
    assert (sticker.text or "").startswith("Text only, please.")
    assert len(staff_messages(bot)) == 1


async def test_a_question_the_bot_cannot_answer_offers_a_person(bot: Bot) -> None:
    await enroll(bot, 415, "Max")
    [unknown] = await bot.say(415, "can i dye my hair")
    assert "I don't know the answer" in (unknown.text or "")
    assert buttons(unknown) == {"Talk to a person": "hp:open"}
    [human] = await bot.say(415, "i want to talk to a person")
    assert "+44 20 7946 0000" in (human.text or "") and list(buttons(human)) == ["Talk to a person"]
    bot.server.push_callback(415, "hp:open", message_id=unknown.message_id)
    [opened] = (await bot.replies(415, 4))[3:]
    assert "asked the team at Glow Clinic" in (opened.text or "")
    [header] = await staff_count(bot, 1)
    assert "Chat with Max is open (microneedling, day 3)" in (header.text or "")
    # A warning sign during the handoff still gets the safety reply, and staff see the message and an alert.
    [safety] = await bot.say(415, "my throat is closing up")
    assert (safety.text or "").startswith("Call 999 now")
    found = await staff_count(bot, 3)
    assert any("my throat is closing up" in (c.text or "") and "💬 Max" in (c.text or "") for c in found)
    assert any("EMERGENCY" in (c.text or "") for c in found)


async def test_a_checkin_answer_out_of_hours_alerts_staff_and_says_the_clinic_is_closed(
    server: FakeBotAPI, tmp_path: Path, knowledge: Path
) -> None:
    saturday = FakeClock(datetime(2026, 11, 28, 9, 58, tzinfo=UTC))
    bot = await _start(server, tmp_path, knowledge, saturday)
    try:
        await enroll(bot, 431, "Ned")  # treated on Wednesday: the day-3 check-in is due Saturday 10:00
        bot.clock.advance(minutes=3)
        await dispatch(bot)
        [checkin] = [c for c in bot.server.sent_messages(431) if "ci:" in str(c.reply_markup)]
        sent = len(bot.server.sent_messages(431))
        bot.server.push_callback(431, buttons(checkin)["Something's wrong"], message_id=checkin.message_id)
        [emergency_question] = (await bot.replies(431, sent + 1))[sent:]
        bot.server.push_callback(431, buttons(emergency_question)["No"])
        [same_day_question] = (await bot.replies(431, sent + 2))[sent + 1 :]
        bot.server.push_callback(431, buttons(same_day_question)["Yes"])
        [reply] = (await bot.replies(431, sent + 3))[sent + 2 :]
        assert (reply.text or "").startswith("Please contact Glow Clinic today")
        assert "Glow Clinic is closed right now (opening hours: Mon-Fri 09:00-18:00)" in (reply.text or "")
        [alert] = await staff_count(bot, 1)
        text = alert.text or ""
        assert "SAME DAY" in text and "Ned" in text and "From a check-in" in text
        assert "Recent check-in answers: day 3: Something's wrong" in text
        assert bot.rows("SELECT COUNT(*) FROM alerts") == [(1,)]  # the "yes" at the same tier adds none
    finally:
        await stop_bot(bot)
    assert bot.errors == []


async def test_sighup_reloads_at_once(bot: Bot) -> None:
    before = bot.services.deps.engine
    os.kill(os.getpid(), signal.SIGHUP)  # files unchanged: only a forced reload swaps the engine
    for _ in range(150):
        if bot.services.deps.engine is not before:
            break
        await bot.quiet(0.02)
    assert bot.services.deps.engine is not before
    assert bot.services.deps.engine.kb.procedures.keys() == before.kb.procedures.keys()


async def test_an_alert_queued_while_the_bot_is_down_is_sent_when_it_starts(
    server: FakeBotAPI, tmp_path: Path, knowledge: Path
) -> None:
    clock = FakeClock(MONDAY_NOON)
    first = await _start(server, tmp_path, knowledge, clock)
    await enroll(first, 441, "Oli")
    await stop_bot(first)
    # Raised through the services alone (as a crash between the reply and the send would leave it).
    config = make_config(server, tmp_path / "bot.db", staff_chat_id=STAFF_CHAT)
    store = Store.open(tmp_path / "bot.db")
    services = Services.create(store, Knowledge.load(knowledge, CLINIC), config, b"secret", clock)
    incoming = Incoming(441, 441, "Oli", "my throat is closing up")
    outcome = await services.conversation.receive(Received(987654, incoming, MessageKind.TEXT))
    assert len(outcome.alerts) == 1
    store.close()
    assert server.sent_messages(STAFF_CHAT) == []
    second = await _start(server, tmp_path, knowledge, clock)
    try:
        [alert] = await staff_count(second, 1, timeout=8.0)  # the 5-second look at due alerts
        assert "Oli" in (alert.text or "") and "EMERGENCY" in (alert.text or "")
    finally:
        await stop_bot(second)
    assert second.errors == []


async def test_someone_not_enrolled_gets_an_alert_and_forget_removes_it(bot: Bot) -> None:
    alert = await raise_alert(bot, 451, "my throat is closing up, private words")
    assert "A person who has not enrolled" in (alert.text or "")
    assert "Not enrolled: procedure and day unknown" in (alert.text or "")
    assert bot.rows("SELECT COUNT(*) FROM alerts WHERE chat_id = 451 AND patient_id IS NULL") == [(1,)]
    await bot.say(451, "/forget")
    mark = bot.server.mark()
    bot.server.push_callback(451, "f:yes")
    done = await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "alerts sent to the clinic about you (1)" in (done.text or "")
    assert bot.rows("SELECT COUNT(*) FROM alerts") == [(0,)]
    assert bot.rows("SELECT COUNT(*) FROM outbox WHERE kind = 'alert'") == [(0,)]


# -- a patient treated again -----------------------------------------------------------------------------


async def test_staff_add_a_second_treatment_to_patient_n_in_one_conversation(bot: Bot) -> None:
    await enroll(bot, 461, "Pia", days_ago=6)  # microneedling on Tuesday the 17th: its day 7 is tomorrow
    [(number,)] = bot.rows("SELECT id FROM patients WHERE chat_id = 461")
    [before] = await bot.say(461, "/today")
    told = len(bot.server.sent_messages(461))
    bot.server.push_command(STAFF_CHAT, "/patients", user_id=STAFF)
    [listing] = await staff_count(bot, 1)
    assert f"Pia (#{number}): microneedling, day 6" in (listing.text or "")
    bot.server.push_command(STAFF_CHAT, "/enroll", args=f"2026-11-23 #{number}", user_id=STAFF)
    [_, choice] = await staff_count(bot, 2)
    assert choice.text == f"Which treatment are you adding for patient #{number}?"
    assert list(buttons(choice)) == ["Chemical peel", "Dermal filler", "Microneedling"]
    mark = bot.server.mark()
    data = buttons(choice)["Dermal filler"]
    bot.server.push_callback(STAFF_CHAT, data, message_id=choice.message_id, user_id=STAFF, first_name="Sam")
    kinds = await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    mark = bot.server.mark()
    data = buttons(kinds)["Lip filler"]
    bot.server.push_callback(STAFF_CHAT, data, message_id=choice.message_id, user_id=STAFF, first_name="Sam")
    done = await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert done.text == (
        f"✅ Added dermal filler (Lip filler) of 2026-11-23 for patient #{number}; "
        "they are told in their chat."
    )
    assert not buttons(done) and len(staff_messages(bot)) == 2  # the confirmation replaced the buttons
    [added] = (await bot.replies(461, told + 1))[told:]
    assert "Glow Clinic added your dermal filler of 2026-11-23" in (added.text or "")
    # One conversation: no second link or patient, and /today is about both treatments.
    assert bot.rows("SELECT COUNT(*) FROM patients") == [(1,)]
    assert bot.rows("SELECT procedure, variant FROM treatments ORDER BY id") == [
        ("microneedling", None),
        ("dermal_filler", "lips"),
    ]
    [after] = await bot.say(461, "/today")
    assert (before.text or "").startswith("You are on day 6 after your microneedling.")
    assert (after.text or "").startswith("Today is the day of your dermal filler.")
    # The microneedling's longer wait still holds: its day 28 is the filler's day 22.
    assert "peels, lasers, facials and IPL: from day 28 (Tuesday 15 December)" in (before.text or "")
    assert "from day 22 (Tuesday 15 December) (longer for you" in (after.text or "")
    # Check-ins: one a day. Tomorrow is the microneedling's day 7 and the filler's day 1: the filler's goes.
    by_day: dict[str, list[str]] = {}
    seen = len(bot.server.sent_messages(461))
    for days in range(23):
        bot.clock.set(datetime(2026, 11, 23, 10 if days else 15, 1, tzinfo=UTC) + timedelta(days=days))
        await dispatch(bot)
        await bot.settled()
        new = bot.server.sent_messages(461)[seen:]
        seen += len(new)
        checkins = [c.text or "" for c in new if "ci:" in str(c.reply_markup)]
        if checkins:
            by_day[bot.clock.today().isoformat()] = checkins
    assert {day: len(sent) for day, sent in by_day.items()} == {
        "2026-11-23": 1,  # the filler's evening check-in
        "2026-11-24": 1,  # the filler's day 1, in place of the microneedling's day 7
        "2026-11-26": 1,
        "2026-12-07": 1,  # the filler's day 14
        "2026-12-15": 1,  # the microneedling's day 28: both treatments keep their check-ins
    }
    assert "lip filler" in by_day["2026-11-24"][0] and "microneedling" in by_day["2026-12-15"][0]
    assert bot.rows(
        "SELECT t.procedure, o.step_day, o.state, o.skip_reason FROM outbox o JOIN treatments t"
        " ON t.id = o.treatment_id WHERE o.kind = 'checkin' AND o.due_at LIKE '2026-11-24%'"
        " ORDER BY o.id"
    ) == [("microneedling", 7, "skipped", "superseded"), ("dermal_filler", 1, "sent", None)]


async def test_patients_by_name_finds_someone_treated_before_the_last_30_days(bot: Bot) -> None:
    # Staff re-treating a patient from months ago need their number: /patients NAME finds anyone by name.
    await enroll(bot, 463, "Rosa", days_ago=60)
    await enroll(bot, 464, "Tom", days_ago=2)
    [(number,)] = bot.rows("SELECT id FROM patients WHERE chat_id = 463")
    bot.server.push_command(STAFF_CHAT, "/patients", user_id=STAFF)
    [recent] = await staff_count(bot, 1)
    assert "Tom (#" in (recent.text or "") and "Rosa" not in (recent.text or "")
    bot.server.push_command(STAFF_CHAT, "/patients", args="ros", user_id=STAFF)
    [_, named] = await staff_count(bot, 2)
    assert named.text == (
        f'Patients named "ros" (1), any treatment date:\n• Rosa (#{number}): microneedling, day 60. '
        "Last check-in: none yet"
    )
    bot.server.push_command(STAFF_CHAT, "/patients", args="50%_", user_id=STAFF)  # LIKE's own characters
    [*_, nobody] = await staff_count(bot, 3)
    assert nobody.text == 'No patient named "50%_".'


async def test_adding_a_treatment_refuses_unknown_patients_and_bad_dates_kindly(bot: Bot) -> None:
    await enroll(bot, 462, "Ria")
    [(number,)] = bot.rows("SELECT id FROM patients WHERE chat_id = 462")
    told = len(bot.server.sent_messages(462))
    attempts = {
        "2026-11-23 #99": "There is no patient #99. /patients shows each patient's number.",
        f"2026-11-24 #{number}": "I can't use that date: it must be today or up to a year back",  # tomorrow
        f"2025-11-01 #{number}": "I can't use that date",  # more than a year ago
        f"23-11-2026 #{number}": "Write /enroll YYYY-MM-DD",
        f"2026-11-23 #{number} Ria": "Write /enroll YYYY-MM-DD",
    }
    for count, (args, expected) in enumerate(attempts.items(), start=1):
        bot.server.push_command(STAFF_CHAT, "/enroll", args=args, user_id=STAFF)
        reply = (await staff_count(bot, count))[-1]
        assert (reply.text or "").startswith(expected) and not buttons(reply)
    # A forged choice (no such one) and a real one pressed by someone not on the staff list change nothing.
    bot.server.push_command(STAFF_CHAT, "/enroll", args=f"2026-11-23 #{number}", user_id=STAFF)
    choice = (await staff_count(bot, len(attempts) + 1))[-1]
    mark = bot.server.mark()
    forged(bot.server, STAFF_CHAT, "en:999:microneedling", STAFF, choice.message_id)
    stale = await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert stale.text == "That button is no longer active. Please ask me again."
    forged(bot.server, STAFF_CHAT, buttons(choice)["Microneedling"], OTHER_MEMBER, choice.message_id)
    await bot.settled()
    assert bot.rows("SELECT COUNT(*) FROM treatments") == [(1,)]
    assert len(bot.server.sent_messages(462)) == told
