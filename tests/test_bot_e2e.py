"""The bot end to end: the real Application over real HTTP against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.answer import Engine
from bot.core.invite_token import sign
from tests.bot_support import Bot, start_bot, stop_bot
from tests.fakebotapi import FakeBotAPI

logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


def texts(calls: list) -> list[str]:  # type: ignore[type-arg]
    return [c.text or "" for c in calls]


def buttons(call) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    markup = call.reply_markup or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def test_startup_registers_the_command_menu(server: FakeBotAPI, bot: Bot) -> None:
    commands = [c["command"] for c in server.commands()]
    assert {"start", "help", "today", "plan", "mute", "unmute", "forget", "privacy"} <= set(commands)
    assert bot.rows("SELECT value FROM settings WHERE key = 'bot_username'") == [("AftercareTestBot",)]


async def test_enrollment_by_link_greets_by_day(server: FakeBotAPI, bot: Bot) -> None:
    invitation = bot.invite(days_ago=2, name="Ann")
    assert invitation.url == f"https://t.me/AftercareTestBot?start={invitation.payload}"
    server.push_command(101, "/start", args=invitation.payload)
    [greeting] = await bot.replies(101)
    assert "Hello, Ann!" in (greeting.text or "")
    assert "You are on day 2 after your microneedling" in (greeting.text or "")
    assert bot.rows("SELECT chat_id, user_id, name FROM patients") == [(101, 101, "Ann")]
    assert bot.rows("SELECT treated_on, procedure FROM treatments") == [("2026-11-21", "microneedling")]
    [(used_at, patient_id, name)] = bot.rows("SELECT used_at, patient_id, name FROM invites")
    assert used_at is not None and patient_id is not None and name is None


async def test_retinol_not_yet_on_day_2_and_yes_on_day_21(server: FakeBotAPI, bot: Bot) -> None:
    for chat, days in ((111, 2), (112, 21)):
        server.push_command(chat, "/start", args=bot.invite(days_ago=days).payload)
        await bot.replies(chat)
    [early] = await bot.say(111, "can I use retinol yet?")
    [late] = await bot.say(112, "can I use retinol yet?")
    assert (early.text or "").startswith("Not yet: you are on day 2")
    assert "from day 5 (Thursday 26 November)" in (early.text or "")
    assert (late.text or "").startswith("Yes")
    assert "day 21" in (late.text or "")
    typing = [c for c in server.calls("sendChatAction") if c.chat_id in (111, 112)]
    assert {c.chat_id for c in typing} == {111, 112} and all(c.params["action"] == "typing" for c in typing)
    # The log keeps the topic, never the text of an answered question.
    assert bot.rows("SELECT topic, text FROM question_log ORDER BY id") == [("retinoids", None)] * 2


async def test_two_questions_get_both_answers(bot: Bot) -> None:
    bot.server.push_command(115, "/start", args=bot.invite(days_ago=1).payload)
    await bot.replies(115)
    [reply] = await bot.say(115, "can I wear makeup and can I go to the gym?")
    answer = bot.services.deps.engine.answer(
        "can I wear makeup and can I go to the gym?",
        "microneedling",
        1,
        bot.clock.today() - timedelta(days=1),
    )
    assert len(answer.topics) == 2
    assert reply.text == "\n\n".join(answer.sections)


SUGGESTION_CANDIDATES = ("what should i put on", "cream", "my face", "what about products on my face")


async def test_did_you_mean_buttons_answer_when_pressed(server: FakeBotAPI, bot: Bot) -> None:
    engine = bot.services.deps.engine
    question = next(
        q for q in SUGGESTION_CANDIDATES if engine.answer(q, "microneedling", 3).suggestions
    )  # StopIteration (a failure) if the matcher no longer abstains on any of them
    server.push_command(121, "/start", args=bot.invite(days_ago=3).payload)
    await bot.replies(121)
    [prompt] = await bot.say(121, question)
    offered = buttons(prompt)
    assert offered and all(data.startswith("s:") for _, data in offered)
    title, data = offered[0]
    entry_id = data.removeprefix("s:")
    server.push_callback(121, data)
    [answer] = (await bot.replies(121, 3))[2:]
    expected = engine.procedure("microneedling").entry(entry_id)
    assert expected is not None and expected.title == title
    assert expected.answer.split()[0] in (answer.text or "")
    assert await server.wait_for_async(lambda c: c.method == "answerCallbackQuery" and c.ok)
    # The unanswered question's text is kept (for the clinic to improve answers); the picked one is not.
    assert bot.rows("SELECT topic, text FROM question_log ORDER BY id") == [
        (None, question),
        (entry_id, None),
    ]


async def test_warning_sign_gets_the_safety_reply_first(server: FakeBotAPI, bot: Bot) -> None:
    server.push_command(131, "/start", args=bot.invite(days_ago=3).payload)
    await bot.replies(131)
    replies = await bot.say(131, "I have pus and a fever, and can I wear makeup?", expect=2)
    first = replies[0].text or ""
    assert "+44 20 7946 0000" in first  # the clinic's number, from the same-day tier reply
    assert "makeup" not in first.lower()
    [(topic, urgency, text)] = bot.rows("SELECT topic, urgency, text FROM question_log")
    assert urgency == "same_day" and text is None and topic is not None


async def test_emergency_reply_without_enrollment(bot: Bot) -> None:
    replies = await bot.say(135, "my throat is swelling and I can't breathe", expect=2)
    assert "999" in (replies[0].text or "")
    assert "/start" in (replies[1].text or "")
    assert bot.rows("SELECT COUNT(*) FROM question_log") == [(0,)]  # nothing stored for a stranger


async def test_manual_start_flow_with_buttons(server: FakeBotAPI, bot: Bot) -> None:
    [ask] = await bot.say(141, "/start")
    assert buttons(ask) == [
        ("Chemical peel", "p:chemical_peel"),
        ("Dermal filler", "p:dermal_filler"),
        ("Microneedling", "p:microneedling"),
    ]
    mark = server.mark()
    server.push_callback(141, "p:microneedling")
    edit = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "When did you have your microneedling?" in (edit.text or "")
    assert [d for _, d in buttons(edit)] == ["d:microneedling:0", "d:microneedling:1", "d:microneedling:2"]
    mark = server.mark()
    server.push_callback(141, "d:microneedling:1")
    done = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "You are on day 1 after your microneedling" in (done.text or "")
    assert bot.rows("SELECT treated_on FROM treatments") == [("2026-11-22",)]


async def test_manual_start_flow_with_a_typed_date(server: FakeBotAPI, bot: Bot) -> None:
    await bot.say(142, "/start")
    mark = server.mark()
    server.push_callback(142, "p:microneedling")
    await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    [future] = await bot.say(142, "2027-01-05")
    assert "still to come" in (future.text or "")
    [old] = await bot.say(142, "01/02/2025")
    assert "more than a year ago" in (old.text or "")
    [unreadable] = await bot.say(142, "last tuesday")
    assert "couldn't read that date" in (unreadable.text or "")
    assert bot.rows("SELECT COUNT(*) FROM patients") == [(0,)]
    [greeting] = await bot.say(142, "20 November")
    assert "You are on day 3 after your microneedling" in (greeting.text or "")
    assert bot.rows("SELECT treated_on FROM treatments") == [("2026-11-20",)]
    [answer] = await bot.say(142, "can I use retinol yet?")
    assert (answer.text or "").startswith("Not yet: you are on day 3")


async def test_manual_flow_asks_for_the_time_zone_when_the_clinic_has_several(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    bot = await start_bot(
        server, engine, tmp_path / "tz.db", extra_timezones=("America/New_York",), timezone="UTC"
    )
    try:
        await bot.say(143, "/start")
        for data in ("p:microneedling", "d:microneedling:0"):
            mark = server.mark()
            server.push_callback(143, data)
            edit = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
        assert [d for _, d in buttons(edit)] == ["z:0:microneedling:r0", "z:1:microneedling:r0"]
        mark = server.mark()
        server.push_callback(143, "z:1:microneedling:r0")
        done = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
        assert "Today is the day of your microneedling" in (done.text or "")
        assert bot.rows("SELECT timezone FROM patients") == [("America/New_York",)]
    finally:
        await stop_bot(bot)
    assert bot.errors == []


@pytest.mark.parametrize("kind", ["tampered", "expired", "reused", "foreign", "garbage"])
async def test_bad_links_are_refused_kindly_and_change_nothing(
    server: FakeBotAPI, bot: Bot, kind: str
) -> None:
    chat = 150 + ["tampered", "expired", "reused", "foreign", "garbage"].index(kind)
    invitation = bot.invite(days_ago=2)
    payload = invitation.payload
    if kind == "tampered":
        payload = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    elif kind == "expired":
        bot.clock.advance(days=15)
    elif kind == "reused":
        server.push_command(160, "/start", args=payload)
        await bot.replies(160)
    elif kind == "foreign":
        payload = sign(
            invitation.invite_id, int((bot.clock() + timedelta(days=1)).timestamp()), b"other clinic"
        )
    else:
        payload = "hello-there_123"
    before = (
        bot.rows("SELECT * FROM patients"),
        bot.rows("SELECT * FROM invites"),
        bot.rows("SELECT * FROM treatments"),
    )
    [reply] = await bot.say(chat, f"/start {payload}")
    assert "I can't use this link" in (reply.text or "")
    after = (
        bot.rows("SELECT * FROM patients"),
        bot.rows("SELECT * FROM invites"),
        bot.rows("SELECT * FROM treatments"),
    )
    assert after == before
    assert all(row[1] != chat for row in after[0])


async def test_the_owner_may_open_their_link_again(server: FakeBotAPI, bot: Bot) -> None:
    payload = bot.invite(days_ago=4).payload
    for n in (1, 2):
        server.push_command(165, "/start", args=payload)
        [*_, reply] = await bot.replies(165, n)
        assert "day 4" in (reply.text or "")
    assert bot.rows("SELECT COUNT(*) FROM treatments") == [(1,)]


async def test_today_and_plan(server: FakeBotAPI, bot: Bot) -> None:
    server.push_command(171, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(171)
    [today] = await bot.say(171, "/today")
    text = today.text or ""
    assert text.startswith("You are on day 2 after your microneedling.")
    assert "Still on hold:" in text and "retinol: from day 5 (Thursday 26 November)" in text
    assert "Fine again now:" in text  # makeup and the like are back by day 2
    [plan] = await bot.say(171, "/plan")
    lines = (plan.text or "").splitlines()
    assert lines[0].startswith("Your microneedling recovery, day by day")
    assert any(line.startswith("• day 5 (Thursday 26 November):") and "retinol" in line for line in lines)
    assert lines[-1] == "You are on day 2 now."


async def test_help_privacy_mute_unmute(server: FakeBotAPI, bot: Bot) -> None:
    [not_enrolled] = await bot.say(181, "/mute")
    assert "/start" in (not_enrolled.text or "")
    server.push_command(181, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(181, 2)
    [help_text] = await bot.say(181, "/help")
    assert "/today" in (help_text.text or "") and "+44 20 7946 0000" in (help_text.text or "")
    [privacy] = await bot.say(181, "/privacy")
    assert "30 days" in (privacy.text or "") and "/forget" in (privacy.text or "")
    assert "180 days after your treatment" in (privacy.text or "")
    await bot.say(181, "/mute")
    assert bot.rows("SELECT muted FROM patients WHERE chat_id = 181") == [(1,)]
    [unmuted] = await bot.say(181, "/unmute")
    assert "back on" in (unmuted.text or "")
    assert bot.rows("SELECT muted FROM patients WHERE chat_id = 181") == [(0,)]


async def test_forget_leaves_no_row_naming_the_patient(server: FakeBotAPI, bot: Bot) -> None:
    chat = 191
    server.push_command(chat, "/start", args=bot.invite(days_ago=2, name="Zoe").payload)
    await bot.replies(chat)
    await bot.say(chat, "can I use retinol yet?")
    await bot.say(chat, "what should i put on")
    await bot.say(chat, "/mute")
    [(patient_id,)] = bot.rows("SELECT id FROM patients WHERE chat_id = ?", chat)
    [confirm] = await bot.say(chat, "/forget")
    assert [d for _, d in buttons(confirm)] == ["f:yes", "f:no"]
    assert bot.rows("SELECT COUNT(*) FROM patients") == [(1,)]  # nothing deleted before the confirmation
    mark = server.mark()
    server.push_callback(chat, "f:yes")
    done = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "I deleted" in (done.text or "")
    await bot.settled()  # the confirmation itself has left the outbox
    assert "your profile" in (done.text or "") and "the log of your questions (2)" in (done.text or "")
    for (table,) in bot.rows("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in bot.rows(f"SELECT * FROM [{table}]"):
            assert chat not in row and str(chat) not in row and "Zoe" not in row, (table, row)
        columns = [c[1] for c in bot.rows(f"PRAGMA table_info([{table}])")]
        if "patient_id" in columns:
            assert bot.rows(f"SELECT COUNT(*) FROM [{table}] WHERE patient_id = ?", patient_id) == [(0,)]
    [again] = await bot.say(chat, "/today")
    assert "/start" in (again.text or "")


async def test_forget_can_be_cancelled(server: FakeBotAPI, bot: Bot) -> None:
    server.push_command(192, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(192)
    await bot.say(192, "/forget")
    mark = server.mark()
    server.push_callback(192, "f:no")
    done = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "nothing was deleted" in (done.text or "")
    assert bot.rows("SELECT COUNT(*) FROM patients") == [(1,)]


async def test_non_text_and_edited_messages_get_a_short_reply(server: FakeBotAPI, bot: Bot) -> None:
    server.push_sticker(201)
    [sticker] = await bot.replies(201)
    assert "I can only read text messages" in (sticker.text or "")
    server.push_photo(201, caption="is this normal?")
    [_, photo] = await bot.replies(201, 2)
    assert "I can't look at photos" in (photo.text or "")
    server.push_voice(201)
    server.push_location(201)
    [*_, voice, location] = await bot.replies(201, 4)
    assert "only read text" in (voice.text or "") and "only read text" in (location.text or "")
    server.push_edited_text(201, 1, "edited question")
    [*_, edited] = await bot.replies(201, 5)
    assert "new message" in (edited.text or "")
    [unknown] = await bot.say(201, "/frobnicate")
    assert "/today" in (unknown.text or "")


async def test_groups_are_ignored(server: FakeBotAPI, bot: Bot) -> None:
    server.push_text(-100777, "can I use retinol yet?", user_id=9)
    server.push_command(-100777, "/start", user_id=9)
    server.push_sticker(-100777, user_id=9)
    server.push_text(205, "hello")  # a private message after them, to know they were processed
    await bot.replies(205)
    await bot.quiet(0.1)
    assert server.sent_messages(-100777) == []


async def test_unknown_buttons_are_answered_not_crashed(server: FakeBotAPI, bot: Bot) -> None:
    mark = server.mark()
    server.push_callback(211, "zz:nothing")
    server.push_callback(211, "s:no_such_entry")
    server.push_callback(211, "d:microneedling:99")
    answered = []
    for _ in range(3):
        call = await server.wait_for_async(
            lambda c: c.method == "answerCallbackQuery" and c.ok and c not in answered, since=mark
        )
        answered.append(call)
    await bot.quiet(0.2)
    assert bot.rows("SELECT COUNT(*) FROM patients") == [(0,)]


async def test_a_handler_error_gets_the_fallback_and_logs_no_text_or_token(
    server: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.services.conversation, "receive", broken)
    caplog.set_level(logging.DEBUG)
    [reply] = await bot.say(221, "my secret question about retinol")
    assert (reply.text or "").startswith("Sorry, something went wrong on our side")
    assert "Glow Clinic" in (reply.text or "")
    for _ in range(100):  # the recording error handler runs after the one that sent the fallback
        if bot.errors:
            break
        await bot.quiet(0.01)
    assert len(bot.errors) == 1 and str(bot.errors[0]) == "boom"
    bot.errors.clear()
    assert "RuntimeError" in caplog.text
    assert not [
        r for r in caplog.records if r.levelno >= logging.INFO and "secret question" in r.getMessage()
    ]
    assert server.token.split(":")[1] not in caplog.text  # not even at DEBUG
    # A URL with the token, as httpx or a traceback would show it, is masked before any handler sees it.
    logging.getLogger("test").warning("failed: %s", f"{server.base_url}{server.token}/getUpdates")
    assert "/bot<redacted>/getUpdates" in caplog.records[-1].getMessage()
    assert server.token.split(":")[1] not in caplog.text


async def test_blocking_the_bot_marks_the_patient_unreachable(server: FakeBotAPI, bot: Bot) -> None:
    server.push_command(231, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(231)
    server.push_my_chat_member(231, "kicked")
    server.push_text(232, "hello")
    await bot.replies(232)
    await bot.quiet(0.1)
    assert bot.rows("SELECT unreachable FROM patients WHERE chat_id = 231") == [(1,)]
    server.push_my_chat_member(231, "member")
    await bot.quiet(0.3)
    assert bot.rows("SELECT unreachable FROM patients WHERE chat_id = 231") == [(0,)]


def _raw_text_update(update_id: int, chat_id: int, text: str) -> dict:  # type: ignore[type-arg]
    user = {"id": chat_id, "is_bot": False, "first_name": "Pat"}
    chat = {"id": chat_id, "type": "private", "first_name": "Pat"}
    message = {"message_id": update_id, "date": 1795400000, "chat": chat, "from": user, "text": text}
    return {"update_id": update_id, "message": message}


async def test_a_restart_does_not_answer_an_update_twice(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    update = _raw_text_update(900001, 241, "is peeling normal?")
    first = await start_bot(server, engine, db)
    try:
        server.push_update(update)
        await first.replies(241, 1)
    finally:
        await stop_bot(first)
    # Telegram delivers the same update again (say the offset was never confirmed): a new process skips it.
    second = await start_bot(server, engine, db)
    try:
        server.push_update(update)
        server.push_update(_raw_text_update(900002, 241, "is itching normal?"))
        await second.replies(241, 2)
        await second.quiet(0.2)
        assert len(server.sent_messages(241)) == 2
        assert second.rows("SELECT update_id FROM processed_updates ORDER BY update_id")[-2:] == [
            (900001,),
            (900002,),
        ]
    finally:
        await stop_bot(second)
    assert first.errors == [] and second.errors == []


async def test_telegram_errors_with_real_status_codes_never_lose_the_patient(
    server: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    server.push_command(251, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(251)
    # 429: the reply waits for retry_after and goes out.
    server.fail_next("sendMessage", 429, retry_after=1, chat_id=251)
    [late] = await bot.say(251, "can I use retinol yet?")
    assert (late.text or "").startswith("Not yet")
    failed = [c for c in server.calls("sendMessage") if c.chat_id == 251 and c.status == 429]
    assert len(failed) == 1 and late.time - failed[0].time >= 0.9
    # 502: nothing was delivered, so the reply itself is sent again (not a fallback, not silence).
    server.fail_next("sendMessage", 502, chat_id=251)
    [answer] = await bot.say(251, "is peeling normal?")
    assert "flaking" in (answer.text or "").lower()
    lost = [c for c in server.calls("sendMessage") if c.chat_id == 251 and c.status == 502]
    assert len(lost) == 1 and lost[0].params["text"] == answer.text
    # 403: the patient blocked the bot; they are marked unreachable, nothing else breaks.
    server.block(251)
    server.push_text(251, "hello?")
    server.push_text(252, "hello")
    await bot.replies(252)
    await bot.settled()  # the reply to 251 waited its turn (one message a second per chat), then met the 403
    assert bot.rows("SELECT unreachable FROM patients WHERE chat_id = 251") == [(1,)]
    assert bot.errors == []  # a refused send is the sender's outcome, not a handler's error
    server.unblock(251)


ODD_INPUTS = (
    "<b>bold?</b> & <script>",
    "\u200b\u200b\u200b",
    "🙂🙂🙂",
    "a" * 4096,
    "can i\x00 use retinol",
    "/start " + "A" * 64,
    "ｃａｎ ｉ ｗｅａｒ ｍａｋｅｕｐ",
    "?" * 50,
    "مرحبا هل يمكنني وضع المكياج",
    "1",
)


async def test_odd_input_always_gets_a_reply_and_never_an_error(server: FakeBotAPI, bot: Bot) -> None:
    server.push_command(261, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(261)
    for n, text in enumerate(ODD_INPUTS, start=2):
        server.push_text(261, text)
        replies = await bot.replies(261, n)
        assert (replies[-1].text or "").strip()
    assert all(c.ok for c in server.calls("sendMessage") if c.chat_id == 261)
    assert bot.rows("SELECT COUNT(*) FROM patients WHERE chat_id = 261") == [(1,)]


async def test_a_bare_date_from_someone_not_enrolled_sets_them_up(
    server: FakeBotAPI, single_procedure: Path, tmp_path: Path
) -> None:
    # In a clinic with one procedure, a date typed before set-up was asked for is the treatment date.
    from bot.services.knowledge import load_engine

    bot = await start_bot(
        server, load_engine(single_procedure), tmp_path / "one.db", knowledge_dir=single_procedure
    )
    try:
        await _bare_dates(bot)
    finally:
        await stop_bot(bot)
    assert bot.errors == []


async def test_with_several_procedures_a_bare_date_starts_the_set_up(bot: Bot) -> None:
    [ask] = await bot.say(273, "21/11/2026")
    assert [d for _, d in buttons(ask)] == ["p:chemical_peel", "p:dermal_filler", "p:microneedling"]
    assert bot.rows("SELECT COUNT(*) FROM patients") == [(0,)]


async def _bare_dates(bot: Bot) -> None:
    [greeting] = await bot.say(271, "21/11/2026")
    assert "You are on day 2 after your microneedling" in (greeting.text or "")
    [future] = await bot.say(272, "30/11/2026")
    assert "still to come" in (future.text or "")
    # Once enrolled, a date is just a message like any other.
    [answer] = await bot.say(271, "22/11/2026")
    assert "You are on day" not in (answer.text or "")
    assert bot.rows("SELECT COUNT(*) FROM treatments") == [(1,)]
