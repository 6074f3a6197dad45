"""A small fake Telegram Bot API server for tests and benchmarks.

It runs a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (free port) in a background thread,
independent of any asyncio loop, decodes PTB's wire format (form-urlencoded with JSON-encoded
non-string values, multipart uploads, JSON bodies) and answers like Telegram, including the real
HTTP status of errors (PTB maps errors from the status). Point PTB at it with::

    with FakeBotAPI() as server:
        app = (Application.builder().token(server.token).base_url(server.base_url)
               .base_file_url(server.base_file_url).build())
        server.push_text(42, "hello")
        [reply] = await server.wait_for_messages_async(42, 1)   # inside async tests
        assert reply.text == "hello"

Every request is recorded in ``server.requests`` (read it through ``calls()``/``sent_messages()``);
updates are injected with ``push_*``; failures (``fail_next``, ``fail_rate``, ``block``), slow
answers (``delay``) and Telegram's flood limits (``enforce_limits``) can be simulated. The sync
``wait_for*`` helpers refuse to run on the event loop's thread (they would deadlock PTB): use the
``*_async`` variants there. Nothing here ever contacts api.telegram.org.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import random
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "BOT_ID",
    "DEFAULT_TOKEN",
    "SEND_METHODS",
    "ApiError",
    "Call",
    "FakeBotAPI",
    "UploadedFile",
    "callback_query_id",
    "check_formatting",
    "decode_value",
    "parse_multipart",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BOT_ID = 1000001
DEFAULT_TOKEN = f"{BOT_ID}:AAFakeTokenForTestsOnly_0123456789abcdef"

#: Methods that create a message in a chat: they count for ``sent_messages`` and ``enforce_limits``.
SEND_METHODS = _words(
    "sendMessage sendPhoto sendDocument sendVoice sendAudio sendVideo sendAnimation sendSticker "
    "copyMessage forwardMessage"
)

#: Parameters whose form value is always kept as the raw string (never JSON-decoded).
STRING_FIELDS = _words(
    "text caption callback_query_id url description short_description name title query "
    "inline_message_id parse_mode file_id language_code emoji action business_connection_id "
    "message_effect_id custom_title question address first_name last_name vcard phone_number "
    "secret_token ip_address web_app_query_id sticker photo document voice audio video "
    "animation thumbnail file_name"
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

# Update types Telegram delivers when allowed_updates is empty / never set.
_UPDATE_TYPES = _words(
    "message edited_message channel_post edited_channel_post business_connection "
    "business_message edited_business_message deleted_business_messages message_reaction "
    "message_reaction_count inline_query chosen_inline_result callback_query shipping_query "
    "pre_checkout_query purchased_paid_media poll poll_answer my_chat_member chat_member "
    "chat_join_request chat_boost removed_chat_boost"
)
_DEFAULT_ALLOWED = _UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}

_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "animation",
    "sticker",
    "location",
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def callback_query_id(update_id: int) -> str:
    """The callback query id that ``push_callback`` uses for the update ``update_id``."""
    return f"cq{update_id}"


class ApiError(Exception):
    """A Telegram-shaped error answer: HTTP status, description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(eq=False)
class Call:
    """One recorded request. ``time`` is ``time.monotonic()`` at arrival; ``status`` is 0 while
    the answer is pending, then the HTTP status sent (200 on success)."""

    method: str
    params: dict[str, Any]
    time: float
    raw: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int = 0
    result: Any = None
    error: str | None = None
    injected: bool = False
    delayed: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the request was answered with HTTP 200."""
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        """The decoded ``chat_id`` parameter (int for numeric ids), or None."""
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """The ``text`` parameter, else the ``caption`` parameter, as sent."""
        value = self.params.get("text")
        return value if value is not None else self.params.get("caption")

    @property
    def reply_markup(self) -> Any:
        """The decoded ``reply_markup`` parameter (a dict), or None."""
        return self.params.get("reply_markup")

    @property
    def message_id(self) -> int | None:
        """The message_id of the answer (sent/edited/copied message), or None."""
        if isinstance(self.result, dict):
            return self.result.get("message_id")
        return None

    def summary(self) -> str:
        """A one-line description for error messages."""
        parts = [self.method, f"status={self.status}"]
        if "chat_id" in self.params:
            parts.append(f"chat_id={self.chat_id!r}")
        if self.text is not None:
            text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
            parts.append(f"text={text!r}")
        if self.error:
            parts.append(f"error={self.error!r}")
        return " ".join(parts)


@dataclass
class _FailRule:
    methods: frozenset[str] | None  # lower-case names; None = every method
    status: int
    description: str
    retry_after: int | None
    remaining: int | None  # None = unlimited
    chat_id: Any = None
    fraction: float = 1.0
    rng: random.Random | None = None

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.methods is not None and method.lower() not in self.methods:
            return False
        if self.chat_id is not None and chat_id != self.chat_id:
            return False
        return self.remaining is None or self.remaining > 0


@dataclass
class _Limits:
    overall_per_second: int | None
    per_chat_per_second: int | None
    per_group_per_minute: int | None
    sends: deque[tuple[float, Any]] = field(default_factory=deque)


# ---------------------------------------------------------------------------------------------
# Wire-format helpers


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def decode_value(name: str, value: str) -> Any:
    """Decode one form value the way PTB encoded it: known string fields stay raw; otherwise a
    JSON object/array/number/bool is decoded and anything else stays the raw string."""
    if name in STRING_FIELDS:
        return value
    try:
        decoded = json.loads(value, parse_constant=_reject_constant)
    except ValueError:
        return value
    if isinstance(decoded, dict | list | int | float):  # bool is an int
        return decoded
    return value


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into plain string fields and file parts."""
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    for part in (b"\r\n" + body).split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, val = line.partition(":")
            headers[key.strip().lower()] = val.strip()
        disposition = headers.get("content-disposition", "")
        name_m = re.search(r'(?<![\w*])name="((?:[^"\\]|\\.)*)"', disposition)
        file_m = re.search(r'filename="((?:[^"\\]|\\.)*)"', disposition)
        if not name_m:
            continue
        name = name_m.group(1)
        if file_m is not None or "content-type" in headers:
            files[name] = UploadedFile(
                field=name,
                filename=file_m.group(1) if file_m else None,
                content_type=headers.get("content-type"),
                data=content,
            )
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


class _HTMLCheck(HTMLParser):
    ALLOWED = _words("b strong i em u ins s strike del span tg-spoiler a tg-emoji code pre blockquote")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.plain: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.error = self.error or f'Unsupported start tag "{tag}"'

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)


_MDV2_ALWAYS_ESCAPE = frozenset(".!#+-={}")


def check_formatting(text: str, parse_mode: str | None) -> str:
    """Approximate Telegram's entity parsing: raise ApiError 400 "can't parse entities" for
    invalid HTML / unescaped MarkdownV2 characters; return the plain text Telegram would keep."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        parser = _HTMLCheck()
        parser.feed(text)
        parser.close()
        if parser.error is None and parser.stack:
            parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
        if parser.error:
            raise ApiError(400, f"Bad Request: can't parse entities: {parser.error}")
        return "".join(parser.plain)
    if mode == "markdownv2":
        in_code = in_url = False
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == "`":
                in_code = not in_code
            elif in_code:
                pass
            elif in_url:
                if ch == ")":
                    in_url = False
            elif ch == "(" and i > 0 and text[i - 1] == "]":
                in_url = True
            elif ch in _MDV2_ALWAYS_ESCAPE:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Character '{ch}' is reserved and must "
                    "be escaped with the preceding '\\'",
                )
            i += 1
        return re.sub(r"\\(.)", r"\1", text)
    return text


# ---------------------------------------------------------------------------------------------
# HTTP plumbing


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeBotAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-request (a bot killed by a crash test) is no error of the fake; the
        default would print a traceback for each of its connections."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    timeout = 120  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def do_POST(self) -> None:
        """Answer a Bot API request (POST or GET)."""
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        status, payload, content_type = self.server.fake._handle(self.path, self.headers, body)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the client gave up (e.g. PTB's read timeout during a delay)
            self.close_connection = True

    do_GET = do_POST

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


# ---------------------------------------------------------------------------------------------
# The fake server


class FakeBotAPI:
    """Fake Telegram Bot API server (see the module docstring).

    ``strict`` makes answerCallbackQuery reject unknown or already answered query ids, like
    Telegram. Chats are created on first use (sending to an unknown chat id works).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "AftercareTestBot",
        bot_first_name: str = "Aftercare Test Bot",
        *,
        strict: bool = True,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = BOT_ID
        self.strict = strict
        self.bot_user: dict[str, Any] = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.requests: list[Call] = []
        self.internal_errors: list[str] = []
        self.too_many_requests = 0
        self.webhook_url = ""

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stop_event = threading.Event()
        self._stopping = False
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self.port = 0

        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed = set(_DEFAULT_ALLOWED)
        self._poll_generation = 0
        self._chats: dict[Any, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[Any, Any], dict[str, Any]] = {}
        self._next_message_id: dict[Any, int] = {}
        self._callbacks: dict[str, bool] = {}  # id -> answered
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_unique_id, data)
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._blocked: set[Any] = set()
        self._fail_rules: list[_FailRule] = []
        self._delays: dict[str, list[Any]] = {}  # lower method -> [seconds, remaining|None]
        self._limits: _Limits | None = None
        self._methods: dict[str, tuple[str, Callable[[dict[str, Any], Call], Any]]] = {}
        for attr in dir(type(self)):
            if attr.startswith("_api_"):
                name = attr[len("_api_") :]
                self._methods[name.lower()] = (name, getattr(self, attr))

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` (PTB appends the token and /method)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self, port: int = 0) -> FakeBotAPI:
        """Bind `port` (default: a free one) on 127.0.0.1 and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self._stopping = False
        self._stop_event.clear()
        httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeBotAPI:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes pending long polls and delays, closes keep-alive connections."""
        httpd = self._httpd
        if httpd is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._stop_event.set()
        httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # -- inspection ---------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """All recorded requests, or those of ``method`` (case-insensitive)."""
        with self._lock:
            if method is None:
                return list(self.requests)
            low = method.lower()
            return [c for c in self.requests if c.method.lower() == low]

    def sent_messages(self, chat_id: Any = None) -> list[Call]:
        """Successful send calls (sendMessage, sendPhoto, copyMessage, ...), optionally for one
        chat. Use ``call.chat_id``, ``call.text`` (text or caption), ``call.reply_markup``."""
        with self._lock:
            return [c for c in self.requests if self._is_sent(c, chat_id)]

    def _is_sent(self, call: Call, chat_id: Any) -> bool:
        if call.method not in SEND_METHODS or not call.ok:
            return False
        return chat_id is None or call.chat_id == chat_id

    def message(self, chat_id: Any, message_id: int) -> dict[str, Any] | None:
        """The current state (after edits) of a stored message, or None if unknown/deleted."""
        with self._lock:
            msg = self._messages.get((chat_id, message_id))
            return copy.deepcopy(msg) if msg else None

    def chat_history(self, chat_id: Any) -> list[dict[str, Any]]:
        """Current state of all messages (from users and from the bot) in a chat, oldest first."""
        with self._lock:
            msgs = [m for (c, _), m in self._messages.items() if c == chat_id]
            return copy.deepcopy(sorted(msgs, key=lambda m: m["message_id"]))

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        """The command list currently set for ``scope`` / ``language_code``."""
        with self._lock:
            return copy.deepcopy(self._commands.get((_scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> int:
        """Number of queued, not yet confirmed updates."""
        with self._lock:
            return len(self._updates)

    def pending_update_ids(self) -> list[int]:
        """The ids of the queued, not yet confirmed updates (Telegram would deliver them again)."""
        with self._lock:
            return [int(u["update_id"]) for u in self._updates]

    def mark(self) -> int:
        """Index to pass as ``since`` to ``wait_for`` to ignore earlier requests."""
        with self._lock:
            return len(self.requests)

    def reset_requests(self) -> None:
        """Forget the recorded requests (state such as messages is kept)."""
        with self._cond:
            self.requests.clear()

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 5.0, since: int = 0) -> Call:
        """Block until a recorded call (index >= ``since``) satisfies ``predicate``; return it.
        Do not call this from the thread running PTB's event loop: use ``wait_for_async``."""
        _refuse_in_event_loop("wait_for", "wait_for_async")
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.requests[since:]:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._timeout_message("a matching request", timeout))
                self._cond.wait(remaining)

    def wait_for_messages(self, chat_id: Any, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least ``count`` messages were sent to ``chat_id``; return them all."""
        _refuse_in_event_loop("wait_for_messages", "wait_for_messages_async")
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                sent = [c for c in self.requests if self._is_sent(c, chat_id)]
                if len(sent) >= count:
                    return sent
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        self._timeout_message(f"{count} message(s) to chat {chat_id!r}", timeout)
                    )
                self._cond.wait(remaining)

    async def wait_for_async(
        self, predicate: Callable[[Call], bool], timeout: float = 5.0, since: int = 0
    ) -> Call:
        """Async ``wait_for``: polls without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for call in self.requests[since:]:
                    if predicate(call):
                        return call
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message("a matching request", timeout))
            await asyncio.sleep(0.005)

    async def wait_for_messages_async(self, chat_id: Any, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Async ``wait_for_messages``: polls without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while True:
            sent = self.sent_messages(chat_id)
            if len(sent) >= count:
                return sent
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(f"{count} message(s) to chat {chat_id!r}", timeout))
            await asyncio.sleep(0.005)

    def _timeout_message(self, what: str, timeout: float) -> str:
        with self._lock:
            calls = [c for c in self.requests if c.method.lower() != "getupdates"]
            polls = len(self.requests) - len(calls)
            lines = [c.summary() for c in calls[-30:]]
        skipped = f" (last 30 of {len(calls)})" if len(calls) > 30 else ""
        body = "\n  ".join(lines) if lines else "(none)"
        return (
            f"timed out after {timeout}s waiting for {what}; received {len(calls)} request(s) "
            f"besides {polls} getUpdates{skipped}:\n  {body}"
        )

    # -- configuration of failures ------------------------------------------------------------

    def fail_next(
        self,
        method: str | Iterable[str],
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
        chat_id: Any = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` ("*" = any; optionally only for
        ``chat_id``) with a Telegram error of HTTP ``status``. A 429 defaults to retry_after=1."""
        with self._lock:
            self._fail_rules.append(_make_rule(method, status, description, retry_after, count, chat_id))

    def fail_rate(
        self,
        method: str | Iterable[str],
        status: int,
        fraction: float,
        seed: int = 0,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: Any = None,
    ) -> None:
        """Fail a random ``fraction`` of the calls of ``method`` (reproducible with ``seed``)."""
        with self._lock:
            rule = _make_rule(method, status, description, retry_after, None, chat_id)
            rule.fraction = fraction
            rule.rng = random.Random(seed)
            self._fail_rules.append(rule)

    def clear_failures(self) -> None:
        """Remove every fail_next/fail_rate rule."""
        with self._lock:
            self._fail_rules.clear()

    def delay(self, method: str, seconds: float, count: int | None = None) -> None:
        """Sleep ``seconds`` before answering ``method`` (the next ``count`` calls, or all).
        The effect (message delivered) happens before the sleep, as with a real timeout."""
        with self._lock:
            if seconds <= 0:
                self._delays.pop(method.lower(), None)
            else:
                self._delays[method.lower()] = [seconds, count]

    def clear_delays(self) -> None:
        """Remove every delay."""
        with self._lock:
            self._delays.clear()

    def enforce_limits(
        self,
        overall_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        per_group_per_minute: int | None = None,
    ) -> None:
        """Answer 429 (retry_after=1) to sends beyond these rates, counting them in
        ``too_many_requests``. Only accepted sends count toward the windows."""
        with self._lock:
            self._limits = _Limits(overall_per_second, per_chat_per_second, per_group_per_minute)

    def disable_limits(self) -> None:
        """Stop enforcing rate limits."""
        with self._lock:
            self._limits = None

    def block(self, chat_id: Any, notify: bool = False, user_id: int | None = None) -> None:
        """The user blocks the bot: every send to ``chat_id`` gets 403 "bot was blocked by the
        user". With ``notify`` a ``my_chat_member`` (kicked) update is queued too."""
        with self._lock:
            self._blocked.add(chat_id)
        if notify:
            self.push_my_chat_member(chat_id, "kicked", user_id=user_id)

    def unblock(self, chat_id: Any) -> None:
        """Undo ``block``."""
        with self._lock:
            self._blocked.discard(chat_id)

    # -- update injection ---------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw Update dict (``update_id`` is assigned if missing); return its id."""
        with self._cond:
            update = copy.deepcopy(update)
            if "update_id" in update:
                self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
            else:
                update["update_id"] = self._next_update_id
                self._next_update_id += 1
            self._updates.append(update)
            self._cond.notify_all()
            return int(update["update_id"])

    def push_text(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
        chat_type: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        """Queue a text message from a user; a leading /command gets its bot_command entity,
        like Telegram clients do. ``chat_type`` defaults to private/supergroup by id sign."""
        if entities is None:
            match = re.match(r"/[A-Za-z0-9_]{1,32}(?:@\w+)?", text)
            entities = [{"type": "bot_command", "offset": 0, "length": len(match.group(0))}] if match else []
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return self._push_message(
            chat_id, user_id, first_name, username, chat_type, content, reply_to_message_id
        )

    def push_command(
        self,
        chat_id: int,
        command: str,
        args: str = "",
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
        chat_type: str | None = None,
    ) -> int:
        """Queue ``/command args`` with a bot_command entity (offset 0, length of the command)."""
        command = command if command.startswith("/") else "/" + command
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        return self.push_text(chat_id, text, user_id, first_name, username, chat_type, entities=[entity])

    def push_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int | None = None,
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
    ) -> int:
        """Queue a callback_query pressed on the bot's message ``message_id`` (default: the
        bot's latest message in the chat; a stub message is created if there is none). The
        query id is ``callback_query_id(update_id)``."""
        with self._cond:
            user = self._user(chat_id, user_id, first_name, username)
            chat = self._chat(chat_id)
            msg = None
            if message_id is None:
                own = [
                    m
                    for (c, _), m in self._messages.items()
                    if c == chat_id and m.get("from", {}).get("id") == BOT_ID
                ]
                msg = max(own, key=lambda m: m["message_id"]) if own else None
            else:
                msg = self._messages.get((chat_id, message_id))
            if msg is None:
                msg = self._store_message(chat_id, {"from": self._bot_from(), "text": "stub"}, message_id)
            update_id = self._next_update_id
            cq_id = callback_query_id(update_id)
            self._callbacks[cq_id] = False
            return self.push_update(
                {
                    "update_id": update_id,
                    "callback_query": {
                        "id": cq_id,
                        "from": user,
                        "message": copy.deepcopy(msg),
                        "chat_instance": f"ci{chat['id']}",
                        "data": data,
                    },
                }
            )

    def push_edited_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
    ) -> int:
        """Queue an ``edited_message``: the user changed message ``message_id`` to ``text``."""
        with self._cond:
            user = self._user(chat_id, user_id, first_name, username)
            msg = self._messages.get((chat_id, message_id))
            if msg is None:
                msg = self._store_message(chat_id, {"from": user, "text": text}, message_id)
            msg["text"] = text
            msg.pop("entities", None)
            msg["edit_date"] = int(time.time())
            return self.push_update({"edited_message": copy.deepcopy(msg)})

    def push_sticker(
        self,
        chat_id: int,
        emoji: str = "\N{THUMBS UP SIGN}",
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
    ) -> int:
        """Queue a (regular, static) sticker message."""
        file_id, unique = self._register_file(b"RIFF-fake-webp-sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": 22,
        }
        return self._push_message(chat_id, user_id, first_name, username, None, {"sticker": sticker})

    def push_photo(
        self,
        chat_id: int,
        caption: str | None = None,
        data: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        width: int = 1280,
        height: int = 960,
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
    ) -> int:
        """Queue a photo message (three PhotoSizes, the largest has ``data`` for getFile)."""
        content: dict[str, Any] = {"photo": self._photo_sizes(data, width, height)}
        if caption is not None:
            content["caption"] = caption
        return self._push_message(chat_id, user_id, first_name, username, None, content)

    def push_voice(
        self,
        chat_id: int,
        duration: int = 3,
        data: bytes = b"OggS-fake-voice",
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
    ) -> int:
        """Queue a voice message (audio/ogg)."""
        file_id, unique = self._register_file(data)
        voice = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self._push_message(chat_id, user_id, first_name, username, None, {"voice": voice})

    def push_document(
        self,
        chat_id: int,
        file_name: str = "file.pdf",
        data: bytes = b"%PDF-1.4 fake",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
    ) -> int:
        """Queue a document message."""
        file_id, unique = self._register_file(data)
        content: dict[str, Any] = {
            "document": {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": len(data),
            }
        }
        if caption is not None:
            content["caption"] = caption
        return self._push_message(chat_id, user_id, first_name, username, None, content)

    def push_location(
        self,
        chat_id: int,
        latitude: float = 51.5074,
        longitude: float = -0.1278,
        user_id: int | None = None,
        first_name: str = "Pat",
        username: str | None = None,
    ) -> int:
        """Queue a location message."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._push_message(chat_id, user_id, first_name, username, None, {"location": location})

    def push_my_chat_member(self, chat_id: int, status: str = "kicked", user_id: int | None = None) -> int:
        """Queue a ``my_chat_member`` update: the bot's status in the chat changed (``kicked``
        = the user blocked the bot, ``member`` = unblocked)."""
        with self._cond:
            user = self._user(chat_id, user_id, "Pat", None)
            old_status = "member" if status == "kicked" else "kicked"
            members = {}
            for key, st in (("old_chat_member", old_status), ("new_chat_member", status)):
                member: dict[str, Any] = {"status": st, "user": self._bot_from()}
                if st == "kicked":
                    member["until_date"] = 0
                members[key] = member
            return self.push_update(
                {
                    "my_chat_member": {
                        "chat": copy.deepcopy(self._chat(chat_id)),
                        "from": user,
                        "date": int(time.time()),
                        **members,
                    }
                }
            )

    def _push_message(
        self,
        chat_id: int,
        user_id: int | None,
        first_name: str,
        username: str | None,
        chat_type: str | None,
        content: dict[str, Any],
        reply_to_message_id: int | None = None,
    ) -> int:
        with self._cond:
            if chat_type is not None:
                self._chat(chat_id, chat_type)
            user = self._user(chat_id, user_id, first_name, username)
            content = {"from": user, **content}
            if reply_to_message_id is not None:
                replied = self._messages.get((chat_id, reply_to_message_id))
                if replied is not None:
                    content["reply_to_message"] = _without_reply(replied)
            msg = self._store_message(chat_id, content)
            return self.push_update({"message": copy.deepcopy(msg)})

    # -- state helpers (call with the lock held) ----------------------------------------------

    def _user(
        self, chat_id: Any, user_id: int | None, first_name: str, username: str | None
    ) -> dict[str, Any]:
        if user_id is None:
            user_id = chat_id if isinstance(chat_id, int) and chat_id > 0 else 5550001
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en",
        }
        if username:
            user["username"] = username
        self._users[user_id] = user
        chat = self._chat(chat_id)
        if chat["type"] == "private" and chat["id"] == user_id:
            chat["first_name"] = first_name
            if username:
                chat["username"] = username
        return dict(user)

    def _bot_from(self) -> dict[str, Any]:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    def _chat(self, chat_id: Any, chat_type: str | None = None) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None or (chat_type is not None and chat["type"] != chat_type):
            if chat_type is None:
                chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                user = self._users.get(chat_id) if isinstance(chat_id, int) else None
                chat["first_name"] = user["first_name"] if user else "Pat"
            else:
                chat["title"] = f"Test {chat_type} {chat_id}"
            self._chats[chat_id] = chat
        return chat

    def _resolve_chat_id(self, value: Any) -> Any:
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(value, bool):
            raise ApiError(400, "Bad Request: chat not found")
        if isinstance(value, int):
            return value
        text = str(value)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if text.startswith("@"):
            for cid, chat in self._chats.items():
                if chat.get("username", "").lower() == text[1:].lower():
                    return cid
            cid = -1001000000000 - len(self._chats)
            self._chats[cid] = {"id": cid, "type": "channel", "title": text, "username": text[1:]}
            return cid
        raise ApiError(400, "Bad Request: chat not found")

    def _store_message(
        self, chat_id: Any, content: dict[str, Any], message_id: int | None = None
    ) -> dict[str, Any]:
        chat = self._chat(chat_id)
        if message_id is None:
            message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)
        msg = {"message_id": message_id, "date": int(time.time()), "chat": dict(chat), **content}
        self._messages[(chat_id, message_id)] = msg
        return msg

    def _register_file(self, data: bytes) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id, unique = f"AgACAgFakeFile{n:06d}", f"AQADFake{n:06d}"
        with self._lock:
            self._files[file_id] = (unique, data)
        return file_id, unique

    def _photo_sizes(self, data: bytes, width: int, height: int) -> list[dict[str, Any]]:
        sizes = []
        for scale in (90, 320, None):
            if scale is None:
                w, h, blob = width, height, data
            else:
                factor = scale / max(width, height)
                w, h = max(1, round(width * factor)), max(1, round(height * factor))
                blob = data[: max(1, len(data) // 4)]
            file_id, unique = self._register_file(blob)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique,
                    "width": w,
                    "height": h,
                    "file_size": len(blob),
                }
            )
        return sizes

    # -- request handling ---------------------------------------------------------------------

    def _handle(self, path: str, headers: Any, body: bytes) -> tuple[int, bytes, str]:
        url = urlsplit(path)
        url_path = unquote(url.path)  # PTB percent-encodes the token's ":" in file URLs
        file_match = re.fullmatch(r"/file/bot([^/]+)/(.+)", url_path)
        if file_match:
            return self._download(file_match.group(1), file_match.group(2))
        match = re.fullmatch(r"/bot([^/]*)/([^/]+)", url_path)
        call = Call(method=match.group(2) if match else url_path, params={}, time=time.monotonic())
        try:
            self._parse_params(call, url.query, headers.get("Content-Type", ""), body)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._finish(call, ApiError(400, f"Bad Request: can't parse request: {exc}"))
        if not match:
            return self._finish(call, ApiError(404, "Not Found"))
        token = match.group(1)
        if token != self.token:
            if re.fullmatch(r"\d+:[\w-]+", token):
                return self._finish(call, ApiError(401, "Unauthorized"))
            return self._finish(call, ApiError(404, "Not Found"))
        entry = self._methods.get(call.method.lower())
        if entry is None:
            return self._finish(call, ApiError(404, "Not Found: method not found"))
        call.method, handler = entry
        delay = 0.0
        with self._cond:
            self.requests.append(call)
            self._cond.notify_all()
            try:
                self._check_injected(call)
                result = handler(call.params, call)
            except ApiError as exc:
                return self._finish(call, exc)
            except Exception as exc:  # a bug in the fake: report it loudly, answer 500
                msg = f"{call.method}: {exc!r}"
                self.internal_errors.append(msg)
                return self._finish(call, ApiError(500, f"Internal Server Error: fake: {msg}"))
            rule = self._delays.get(call.method.lower())
            if rule is not None:
                delay = rule[0]
                if rule[1] is not None:
                    rule[1] -= 1
                    if rule[1] <= 0:
                        del self._delays[call.method.lower()]
            call.delayed = delay
            answer = self._finish(call, result)
        if delay:
            self._stop_event.wait(delay)
        return answer

    def _finish(self, call: Call, outcome: Any) -> tuple[int, bytes, str]:
        """Record the outcome on ``call`` and build the HTTP answer."""
        with self._cond:
            if call not in self.requests:
                self.requests.append(call)
            if isinstance(outcome, ApiError):
                call.status = outcome.status
                call.error = outcome.description
                payload: dict[str, Any] = {
                    "ok": False,
                    "error_code": outcome.status,
                    "description": outcome.description,
                }
                if outcome.parameters:
                    payload["parameters"] = outcome.parameters
            else:
                call.status = 200
                call.result = outcome
                payload = {"ok": True, "result": outcome}
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self._cond.notify_all()
        return call.status, body, "application/json"

    def _parse_params(self, call: Call, query: str, content_type: str, body: bytes) -> None:
        raw: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
        typed: dict[str, Any] = {}
        ctype = content_type.split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        elif ctype == "multipart/form-data":
            m = re.search(r'boundary="?([^";]+)"?', content_type)
            if not m:
                raise ValueError("multipart without boundary")
            fields, files = parse_multipart(body, m.group(1))
            raw.update(fields)
            call.files = files
        elif ctype == "application/json" and body.strip():
            obj = json.loads(body)
            if not isinstance(obj, dict):
                raise ValueError("JSON body is not an object")
            typed = obj
            for key, value in obj.items():
                raw[key] = value if isinstance(value, str) else json.dumps(value)
        call.raw = raw
        call.params = {k: decode_value(k, v) for k, v in raw.items()}
        call.params.update(typed)
        call.params.update(call.files)
        chat_id = call.params.get("chat_id")
        if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
            call.params["chat_id"] = int(call.params["chat_id"])

    def _check_injected(self, call: Call) -> None:
        chat_id = call.params.get("chat_id")
        for rule in self._fail_rules:
            if not rule.matches(call.method, chat_id):
                continue
            if rule.rng is not None and rule.rng.random() >= rule.fraction:
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            self._fail_rules = [r for r in self._fail_rules if r.remaining != 0]
            call.injected = True
            params = {"retry_after": rule.retry_after} if rule.retry_after else None
            raise ApiError(rule.status, rule.description, params)
        if call.method in SEND_METHODS and chat_id in self._blocked:
            call.injected = True
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if call.method in SEND_METHODS and self._limits is not None:
            self._check_limits(call, chat_id)

    def _check_limits(self, call: Call, chat_id: Any) -> None:
        limits = self._limits
        assert limits is not None
        now = time.monotonic()
        while limits.sends and limits.sends[0][0] <= now - 60:
            limits.sends.popleft()
        recent = [(t, c) for t, c in limits.sends if t > now - 1]
        over = (limits.overall_per_second is not None and len(recent) >= limits.overall_per_second) or (
            limits.per_chat_per_second is not None
            and sum(1 for _, c in recent if c == chat_id) >= limits.per_chat_per_second
        )
        if not over and limits.per_group_per_minute is not None and isinstance(chat_id, int) and chat_id < 0:
            over = sum(1 for _, c in limits.sends if c == chat_id) >= limits.per_group_per_minute
        if over:
            self.too_many_requests += 1
            call.injected = True
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        limits.sends.append((now, chat_id))

    def _download(self, token: str, file_path: str) -> tuple[int, bytes, str]:
        with self._lock:
            if token != self.token:
                return (
                    401,
                    b'{"ok":false,"error_code":401,"description":"Unauthorized"}',
                    ("application/json"),
                )
            for unique, data in self._files.values():
                if file_path == f"files/{unique}":
                    return 200, data, "application/octet-stream"
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', "application/json"

    # -- outgoing message helpers -------------------------------------------------------------

    def _markup_for_message(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None  # reply keyboards are not echoed in the Message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                "InlineKeyboardButtons must be an array of arrays",
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"(https?|tg)://\S+", str(url)):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        return copy.deepcopy(markup)

    def _content_text(self, params: dict[str, Any], key: str, limit: int) -> dict[str, Any]:
        value = params.get(key)
        if value is None:
            return {}
        text = check_formatting(str(value), params.get("parse_mode"))
        if len(text) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        return {key: text} if text else {}

    def _send(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._resolve_chat_id(params.get("chat_id"))
        content = {"from": self._bot_from(), **content}
        markup = self._markup_for_message(params)
        if markup is not None:
            content["reply_markup"] = markup
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        if reply_id:
            replied = self._messages.get((chat_id, reply_id))
            if replied is not None:
                content["reply_to_message"] = _without_reply(replied)
            elif not (
                (isinstance(reply, dict) and reply.get("allow_sending_without_reply"))
                or params.get("allow_sending_without_reply")
            ):
                raise ApiError(400, "Bad Request: message to be replied not found")
        return copy.deepcopy(self._store_message(chat_id, content))

    def _media(self, params: dict[str, Any], call: Call, kind: str) -> dict[str, Any]:
        value = params.get(kind)
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if isinstance(value, UploadedFile):
            data, filename, mime = value.data, value.filename, value.content_type
            if not data:
                raise ApiError(400, f"Bad Request: file must be non-empty ({kind})")
        else:
            known = self._files.get(str(value))
            data = known[1] if known else str(value).encode("utf-8")
            filename, mime = None, None
        if kind == "photo":
            return {"photo": self._photo_sizes(data, 1280, 960)}
        file_id, unique = self._register_file(data)
        obj: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique, "file_size": len(data)}
        if kind in ("voice", "audio", "video", "animation"):
            obj["duration"] = int(params.get("duration") or 1)
        if kind in ("video", "animation", "sticker"):
            obj.update(width=int(params.get("width") or 512), height=int(params.get("height") or 512))
        if kind == "sticker":
            obj.update(type="regular", is_animated=False, is_video=False)
        if kind in ("document", "audio", "video", "animation") and filename:
            obj["file_name"] = filename
        if kind == "voice":
            obj["mime_type"] = "audio/ogg"
        elif mime and kind != "sticker":
            obj["mime_type"] = mime
        return {kind: obj}

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if params.get("inline_message_id"):
            return None
        chat_id = self._resolve_chat_id(params.get("chat_id"))
        msg = self._messages.get((chat_id, params.get("message_id")))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg.get("from", {}).get("id") != BOT_ID:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: dict[str, Any], changes: dict[str, Any], markup: Any) -> Any:
        new = {**msg, **changes}
        if markup is None:
            new.pop("reply_markup", None)
        else:
            new["reply_markup"] = markup
        if all(new.get(k) == msg.get(k) for k in ("text", "caption", "reply_markup")):
            raise ApiError(400, _NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        msg.clear()
        msg.update(new)
        return copy.deepcopy(msg)

    # -- Bot API methods (``_api_<methodName>``) ----------------------------------------------

    def _api_getMe(self, p: dict[str, Any], call: Call) -> Any:
        return dict(self.bot_user)

    def _api_logOut(self, p: dict[str, Any], call: Call) -> Any:
        return True

    def _api_close(self, p: dict[str, Any], call: Call) -> Any:
        return True

    def _api_deleteWebhook(self, p: dict[str, Any], call: Call) -> Any:
        self.webhook_url = ""
        if p.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    def _api_setWebhook(self, p: dict[str, Any], call: Call) -> Any:
        self.webhook_url = str(p.get("url") or "")
        if p.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    def _api_getWebhookInfo(self, p: dict[str, Any], call: Call) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _api_getUpdates(self, p: dict[str, Any], call: Call) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset") or 0)
        limit = max(1, min(100, int(p.get("limit") or 100)))
        timeout = float(p.get("timeout") or 0)
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = set(allowed) if allowed else set(_DEFAULT_ALLOWED)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
            self._updates = [u for u in self._updates if self._allowed.intersection(u)]
            remaining = deadline - time.monotonic()
            if self._updates or self._stopping or remaining <= 0:
                return copy.deepcopy(self._updates[:limit])
            self._cond.wait(remaining)

    def _api_sendMessage(self, p: dict[str, Any], call: Call) -> Any:
        content = self._content_text(p, "text", 4096)
        if not content.get("text", "").strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._send(p, content)

    def _api_sendPhoto(self, p: dict[str, Any], call: Call) -> Any:
        return self._send(p, {**self._media(p, call, "photo"), **self._content_text(p, "caption", 1024)})

    def _api_sendDocument(self, p: dict[str, Any], call: Call) -> Any:
        return self._send(p, {**self._media(p, call, "document"), **self._content_text(p, "caption", 1024)})

    def _api_sendVoice(self, p: dict[str, Any], call: Call) -> Any:
        return self._send(p, {**self._media(p, call, "voice"), **self._content_text(p, "caption", 1024)})

    def _api_sendAudio(self, p: dict[str, Any], call: Call) -> Any:
        return self._send(p, {**self._media(p, call, "audio"), **self._content_text(p, "caption", 1024)})

    def _api_sendVideo(self, p: dict[str, Any], call: Call) -> Any:
        return self._send(p, {**self._media(p, call, "video"), **self._content_text(p, "caption", 1024)})

    def _api_sendAnimation(self, p: dict[str, Any], call: Call) -> Any:
        return self._send(p, {**self._media(p, call, "animation"), **self._content_text(p, "caption", 1024)})

    def _api_sendSticker(self, p: dict[str, Any], call: Call) -> Any:
        return self._send(p, self._media(p, call, "sticker"))

    def _api_copyMessage(self, p: dict[str, Any], call: Call) -> Any:
        source = self._source_message(p, "copy")
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        if "caption" in p and "text" not in source:
            content.pop("caption_entities", None)
            content.update(self._content_text(p, "caption", 1024))
        return {"message_id": self._send(p, content)["message_id"]}

    def _api_forwardMessage(self, p: dict[str, Any], call: Call) -> Any:
        source = self._source_message(p, "forward")
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        sender = source.get("from") or {}
        if source["chat"]["type"] == "private" or sender.get("id") == BOT_ID:
            content["forward_origin"] = {
                "type": "user",
                "date": source["date"],
                "sender_user": copy.deepcopy(sender),
            }
        else:
            content["forward_origin"] = {
                "type": "chat",
                "date": source["date"],
                "sender_chat": copy.deepcopy(source["chat"]),
            }
        msg = self._send({k: v for k, v in p.items() if k != "reply_markup"}, content)
        return msg

    def _source_message(self, p: dict[str, Any], verb: str) -> dict[str, Any]:
        from_chat = self._resolve_chat_id(p.get("from_chat_id"))
        source = self._messages.get((from_chat, p.get("message_id")))
        if source is None:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        return source

    def _api_editMessageText(self, p: dict[str, Any], call: Call) -> Any:
        content = self._content_text(p, "text", 4096)
        if not content.get("text", "").strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = self._markup_for_message(p)
        msg = self._edit_target(p)
        if msg is None:
            return True
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        return self._apply_edit(msg, content, markup)

    def _api_editMessageCaption(self, p: dict[str, Any], call: Call) -> Any:
        content = self._content_text(p, "caption", 1024)
        markup = self._markup_for_message(p)
        msg = self._edit_target(p)
        if msg is None:
            return True
        if "text" in msg:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        if not content:
            msg.pop("caption", None)
        return self._apply_edit(msg, content, markup)

    def _api_editMessageReplyMarkup(self, p: dict[str, Any], call: Call) -> Any:
        markup = self._markup_for_message(p)
        msg = self._edit_target(p)
        if msg is None:
            return True
        return self._apply_edit(msg, {}, markup)

    def _api_deleteMessage(self, p: dict[str, Any], call: Call) -> Any:
        chat_id = self._resolve_chat_id(p.get("chat_id"))
        if self._messages.pop((chat_id, p.get("message_id")), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _api_answerCallbackQuery(self, p: dict[str, Any], call: Call) -> Any:
        query_id = str(p.get("callback_query_id") or "")
        if len(str(p.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if self.strict and self._callbacks.get(query_id, True):
            raise ApiError(400, _QUERY_INVALID)
        self._callbacks[query_id] = True
        return True

    def _api_sendChatAction(self, p: dict[str, Any], call: Call) -> Any:
        self._resolve_chat_id(p.get("chat_id"))
        if p.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _api_getChat(self, p: dict[str, Any], call: Call) -> Any:
        chat = copy.deepcopy(self._chat(self._resolve_chat_id(p.get("chat_id"))))
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    def _api_getFile(self, p: dict[str, Any], call: Call) -> Any:
        file_id = str(p.get("file_id") or "")
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        unique, data = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": len(data),
            "file_path": f"files/{unique}",
        }

    def _api_setMyCommands(self, p: dict[str, Any], call: Call) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for cmd in commands:
            if not isinstance(cmd, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(cmd.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(p.get("scope")), str(p.get("language_code") or ""))
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _api_getMyCommands(self, p: dict[str, Any], call: Call) -> Any:
        key = (_scope_key(p.get("scope")), str(p.get("language_code") or ""))
        return copy.deepcopy(self._commands.get(key, []))

    def _api_deleteMyCommands(self, p: dict[str, Any], call: Call) -> Any:
        key = (_scope_key(p.get("scope")), str(p.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    def _api_setMyDescription(self, p: dict[str, Any], call: Call) -> Any:
        self._bot_texts[("description", str(p.get("language_code") or ""))] = str(p.get("description") or "")
        return True

    def _api_getMyDescription(self, p: dict[str, Any], call: Call) -> Any:
        key = ("description", str(p.get("language_code") or ""))
        return {"description": self._bot_texts.get(key, "")}

    def _api_setMyShortDescription(self, p: dict[str, Any], call: Call) -> Any:
        self._bot_texts[("short_description", str(p.get("language_code") or ""))] = str(
            p.get("short_description") or ""
        )
        return True

    def _api_getMyShortDescription(self, p: dict[str, Any], call: Call) -> Any:
        key = ("short_description", str(p.get("language_code") or ""))
        return {"short_description": self._bot_texts.get(key, "")}

    def _api_setChatMenuButton(self, p: dict[str, Any], call: Call) -> Any:
        return True


def _scope_key(scope: Any) -> str:
    if not scope or scope == {"type": "default"}:
        return "default"
    return json.dumps(scope, sort_keys=True)


def _without_reply(msg: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in msg.items() if k != "reply_to_message"}


def _make_rule(
    method: str | Iterable[str],
    status: int,
    description: str | None,
    retry_after: int | None,
    count: int | None,
    chat_id: Any,
) -> _FailRule:
    names = [method] if isinstance(method, str) else list(method)
    methods = None if "*" in names else frozenset(n.lower() for n in names)
    if status == 429 and retry_after is None:
        retry_after = 1
    if description is None:
        template = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        description = template.format(retry_after=retry_after)
    return _FailRule(methods, status, description, retry_after, count, chat_id)


def _refuse_in_event_loop(name: str, alternative: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"FakeBotAPI.{name}() would block the running event loop (and PTB with it); "
        f"use `await server.{alternative}(...)` inside async code"
    )
