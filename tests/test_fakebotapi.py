"""Tests of the fake Bot API server, driving a real python-telegram-bot Application over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebotapi import BOT_ID, FakeBotAPI, callback_query_id

logging.getLogger("httpx").setLevel(logging.WARNING)


class Harness:
    """A running PTB Application wired to the fake, with recorded errors and raw updates."""

    def __init__(self, app: Application, errors: list[BaseException], updates: list[Update]):
        self.app = app
        self.errors = errors
        self.updates = updates


def build_app(server: FakeBotAPI, **request_kwargs: float) -> Application:
    builder = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )
    if request_kwargs:
        builder = builder.request(HTTPXRequest(**request_kwargs))
    return builder.build()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"start args={context.args}")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("noted")
    await query.edit_message_text(f"you chose {query.data}")


@pytest_asyncio.fixture
async def harness(server: FakeBotAPI) -> AsyncIterator[Harness]:
    app = build_app(server)
    errors: list[BaseException] = []
    updates: list[Update] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        updates.append(update)

    app.add_handler(TypeHandler(Update, record), group=-1)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_error_handler(on_error)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield Harness(app, errors, updates)
        finally:
            await app.updater.stop()
            await app.stop()


@pytest_asyncio.fixture
async def bot(server: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


# --- end to end through a polling Application -------------------------------------------------


async def test_echo_round_trip(server: FakeBotAPI, harness: Harness) -> None:
    server.push_text(42, "hello there", username="pat")
    [reply] = await server.wait_for_messages_async(42, 1)
    assert reply.method == "sendMessage"
    assert reply.chat_id == 42
    assert reply.text == "hello there"
    assert reply.result["from"]["id"] == BOT_ID
    assert [c.method for c in server.requests[:3]] == ["getMe", "deleteWebhook", "getUpdates"]
    assert harness.updates[0].effective_user is not None
    assert harness.updates[0].effective_user.username == "pat"
    assert harness.errors == []


async def test_numeric_text_stays_a_string(server: FakeBotAPI, harness: Harness) -> None:
    server.push_text(7, "12345")
    [reply] = await server.wait_for_messages_async(7, 1)
    assert reply.params["text"] == "12345"
    assert reply.params["chat_id"] == 7
    assert reply.raw["chat_id"] == "7"
    assert harness.errors == []


async def test_command_with_deep_link_args(server: FakeBotAPI, harness: Harness) -> None:
    server.push_command(42, "/start", args="clinic_7")
    [reply] = await server.wait_for_messages_async(42, 1)
    assert reply.text == "start args=['clinic_7']"
    assert harness.errors == []


async def test_callback_query_is_answered_and_message_edited(server: FakeBotAPI, harness: Harness) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await harness.app.bot.send_message(42, "Pick one", reply_markup=keyboard)
    assert sent.reply_markup == keyboard  # echoed back and de_json'ed by PTB
    call = server.sent_messages(42)[0]
    assert call.reply_markup == {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}

    update_id = server.push_callback(42, "yes")
    answer = await server.wait_for_async(lambda c: c.method == "answerCallbackQuery" and c.ok)
    assert answer.params == {"callback_query_id": callback_query_id(update_id), "text": "noted"}
    edit = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok)
    assert edit.params["message_id"] == sent.message_id
    stored = server.message(42, sent.message_id)
    assert stored is not None
    assert stored["text"] == "you chose yes"
    assert "reply_markup" not in stored  # editing without reply_markup drops the keyboard
    assert harness.errors == []


async def test_handler_error_reaches_error_handler(server: FakeBotAPI, harness: Harness) -> None:
    server.block(42)
    mark = server.mark()
    server.push_text(42, "anyone there?")
    failed = await server.wait_for_async(lambda c: c.method == "sendMessage", since=mark)
    assert failed.status == 403
    for _ in range(200):
        if harness.errors:
            break
        await asyncio.sleep(0.01)
    assert len(harness.errors) == 1
    assert isinstance(harness.errors[0], Forbidden)
    assert server.sent_messages(42) == []


async def test_every_pushed_update_kind_deserializes(server: FakeBotAPI, harness: Harness) -> None:
    server.push_sticker(42)
    server.push_photo(42, caption="my skin today")
    server.push_voice(42, duration=4)
    server.push_location(42, 48.85, 2.35)
    server.push_document(42, "report.pdf")
    server.push_edited_text(42, 1, "edited")
    server.push_my_chat_member(42, "kicked")
    server.push_text(-100123, "hi group", user_id=9)
    for _ in range(300):
        if len(harness.updates) >= 8:
            break
        await asyncio.sleep(0.01)
    sticker, photo, voice, location, document, edited, member, group = harness.updates[:8]
    assert sticker.message is not None and sticker.message.sticker is not None
    assert photo.message is not None and photo.message.caption == "my skin today"
    assert photo.message.photo[-1].width == 1280
    assert voice.message is not None and voice.message.voice is not None
    assert voice.message.voice.mime_type == "audio/ogg"
    assert location.message is not None and location.message.location is not None
    assert location.message.location.latitude == 48.85
    assert document.message is not None and document.message.document is not None
    assert document.message.document.file_name == "report.pdf"
    assert edited.edited_message is not None and edited.edited_message.text == "edited"
    assert member.my_chat_member is not None
    assert member.my_chat_member.new_chat_member.status == "kicked"
    assert group.effective_chat is not None and group.effective_chat.type == "supergroup"
    # The group text was echoed; nothing else replied, nothing failed.
    [echoed] = await server.wait_for_messages_async(-100123, 1)
    assert echoed.text == "hi group"
    assert harness.errors == []


async def test_updater_stop_is_quick_while_long_polling(server: FakeBotAPI) -> None:
    app = build_app(server)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=30)
        await app.start()
        await server.wait_for_async(lambda c: c.method == "getUpdates" and c.params.get("timeout") == 30)
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
        assert time.monotonic() - started < 2
    # The last getUpdates(timeout=0) confirmed nothing and ended the abandoned long poll.
    assert server.calls("getUpdates")[-1].params["timeout"] == 0


# --- direct Bot calls: errors and wire format -------------------------------------------------


async def test_forbidden(server: FakeBotAPI, bot: Bot) -> None:
    server.fail_next("sendMessage", 403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "hi")
    await bot.send_message(42, "hi again")  # count=1: the next call succeeds
    assert [c.status for c in server.calls("sendMessage")] == [403, 200]
    assert server.calls("sendMessage")[0].injected


async def test_retry_after(server: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    server.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(42, "hi")
    assert info.value.retry_after == dtm.timedelta(seconds=7)


async def test_bad_request_injected_and_natural(server: FakeBotAPI, bot: Bot) -> None:
    server.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=99)
    await bot.send_message(42, "other chats are unaffected")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(99, "hi")
    msg = await bot.send_message(42, "same")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("same", chat_id=42, message_id=msg.message_id)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(42, "<b>unclosed", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="reserved"):
        await bot.send_message(42, "Done.", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
        await bot.send_message(42, "too much data", reply_markup=markup)
    html_msg = await bot.send_message(42, "<b>bold</b> &amp; plain", parse_mode=ParseMode.HTML)
    assert html_msg.text == "bold & plain"


async def test_server_errors_are_network_errors(server: FakeBotAPI, bot: Bot) -> None:
    server.fail_next("sendMessage", 502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(42, "hi")


async def test_wrong_token_is_invalid_token(server: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123:wrong", base_url=server.base_url):
            pass  # initialize() calls getMe, which fails
    assert server.requests[-1].method == "getMe"
    assert server.requests[-1].status == 401


async def test_unknown_method_is_404(server: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):  # do_api_request turns the 404 into this
        await bot.do_api_request("noSuchMethod")
    assert server.requests[-1].error == "Not Found: method not found"


async def test_photo_upload_is_multipart_and_downloadable(server: FakeBotAPI, bot: Bot) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    msg = await bot.send_photo(42, photo=data, caption="before")
    call = server.calls("sendPhoto")[0]
    assert call.files["photo"].data == data
    assert len(call.params["photo"].data) > 0
    assert call.params["caption"] == "before"
    assert call.params["chat_id"] == 42
    assert msg.caption == "before" and len(msg.photo) == 3
    file = await bot.get_file(msg.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == data

    doc = await bot.send_document(42, document=b"a,b\n1,2\n", filename="r.csv")
    assert doc.document is not None and doc.document.file_name == "r.csv"


async def test_copy_forward_delete(server: FakeBotAPI, bot: Bot) -> None:
    server.push_text(42, "original")
    copied = await bot.copy_message(chat_id=-1001, from_chat_id=42, message_id=1)
    forwarded = await bot.forward_message(chat_id=-1001, from_chat_id=42, message_id=1)
    assert forwarded.text == "original" and forwarded.forward_origin is not None
    assert server.message(-1001, copied.message_id)["text"] == "original"  # type: ignore[index]
    assert await bot.delete_message(-1001, copied.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(-1001, copied.message_id)
    assert [c.text for c in server.sent_messages(-1001)] == [None, None]  # no text params


async def test_commands_and_chat(server: FakeBotAPI, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Begin"), ("help", "Get help")])
    commands = await bot.get_my_commands()
    assert [c.command for c in commands] == ["start", "help"]
    assert server.commands()[1] == {"command": "help", "description": "Get help"}
    await bot.send_chat_action(42, "typing")
    chat = await bot.get_chat(42)
    assert chat.type == "private"
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_get_updates_offset_semantics(server: FakeBotAPI, bot: Bot) -> None:
    first = server.push_text(42, "one")
    server.push_text(42, "two")
    server.push_text(42, "three")
    assert [u.update_id for u in await bot.get_updates(offset=0)] == [first, first + 1, first + 2]
    remaining = await bot.get_updates(offset=first + 2)
    assert [u.message.text for u in remaining if u.message] == ["three"]
    assert server.pending_updates == 1
    started = time.monotonic()
    task = asyncio.create_task(bot.get_updates(offset=first + 3, timeout=5))
    await server.wait_for_async(lambda c: c.method == "getUpdates" and c.params.get("timeout") == 5)
    server.push_text(42, "wake up")
    woke = await task
    assert [u.message.text for u in woke if u.message] == ["wake up"]
    assert time.monotonic() - started < 2


async def test_delay_times_out_after_delivery(server: FakeBotAPI) -> None:
    server.delay("sendMessage", 0.5, count=1)
    async with Bot(server.token, base_url=server.base_url, request=HTTPXRequest(read_timeout=0.1)) as slow:
        with pytest.raises(TimedOut):
            await slow.send_message(42, "maybe delivered")
        assert [c.text for c in server.sent_messages(42)] == ["maybe delivered"]
        await slow.send_message(42, "second")  # the delay applied once only
    assert server.sent_messages(42)[0].delayed == 0.5


async def test_enforce_limits(server: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    server.enforce_limits(overall_per_second=3, per_chat_per_second=1)
    await bot.send_message(1, "a")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(1, "b")
    assert info.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(2, "c")
    await bot.send_message(3, "d")
    with pytest.raises(RetryAfter):
        await bot.send_message(4, "e")  # 4th send within a second overall
    assert server.too_many_requests == 2
    assert len(server.sent_messages()) == 3


async def test_fail_rate_is_reproducible() -> None:
    outcomes = []
    for _ in range(2):
        with FakeBotAPI() as srv:
            srv.fail_rate("sendMessage", 500, fraction=0.5, seed=3)
            async with Bot(srv.token, base_url=srv.base_url) as b:
                for i in range(12):
                    with contextlib.suppress(NetworkError):
                        await b.send_message(5, str(i))
            outcomes.append([c.status for c in srv.calls("sendMessage")])
    assert outcomes[0] == outcomes[1]
    assert {200, 500} <= set(outcomes[0])


async def test_server_stop_during_long_poll_is_quick(server: FakeBotAPI, bot: Bot) -> None:
    task = asyncio.create_task(bot.get_updates(timeout=30))
    await server.wait_for_async(lambda c: c.method == "getUpdates" and c.status == 0)
    started = time.monotonic()
    await asyncio.to_thread(server.stop)
    assert time.monotonic() - started < 1
    # The connection may be cut before the empty answer is written: NetworkError is fine too.
    with contextlib.suppress(NetworkError):
        assert await asyncio.wait_for(task, 2) == ()


async def test_wait_for_helpers(server: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(42, "x")
    with pytest.raises(TimeoutError, match=r"sendMessage status=200 chat_id=42 text='x'"):
        await server.wait_for_async(lambda c: c.method == "sendPhoto", timeout=0.05)
    with pytest.raises(RuntimeError, match="wait_for_async"):
        server.wait_for(lambda c: True)
    found = await asyncio.to_thread(server.wait_for, lambda c: c.method == "sendMessage", 1.0)
    assert found.text == "x"


def test_json_body_and_get_query() -> None:
    with FakeBotAPI() as srv:
        body = json.dumps({"chat_id": 5, "text": "42", "reply_markup": {"inline_keyboard": []}})
        request = urllib.request.Request(
            f"{srv.base_url}{srv.token}/sendMessage",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.loads(response.read())
        assert answer["ok"] and answer["result"]["text"] == "42"
        assert srv.calls("sendMessage")[0].params["chat_id"] == 5
        with urllib.request.urlopen(f"{srv.base_url}{srv.token}/getMe", timeout=5) as response:
            assert json.loads(response.read())["result"]["username"] == "AftercareTestBot"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{srv.base_url}bad/getMe", timeout=5)
        info.value.close()
        assert info.value.code == 404
