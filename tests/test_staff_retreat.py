"""Staff re-treating a patient from the staff chat: `/enroll YYYY-MM-DD #N`, the procedure (and kind) buttons,
and the treatment added to patient N, who keeps one conversation. Refusals change nothing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.core.answer import Engine
from bot.services import Services
from bot.services.knowledge import load_engine
from bot.services.outcome import Action, Message, Outcome
from bot.services.presses import Pressed
from bot.services.staff import StaffCommand
from bot.services.views import RedeemStatus
from bot.storage import Store, invites, patients
from tests.conftest import TEST_CLINIC, FakeClock, make_services

STAFF_CHAT = -100500
STAFF = 900
ANN_CHAT = 555
_updates = itertools.count(1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(store: Store, engine: Engine, clock: FakeClock) -> Iterator[Services]:
    yield make_services(
        store, engine, clock, staff_chat_id=STAFF_CHAT, staff_ids=frozenset({STAFF}), bot_username="GlowBot"
    )


def _days_ago(clock: FakeClock, days: int) -> str:
    return (clock.today() - timedelta(days=days)).isoformat()


def _ann(services: Services, clock: FakeClock) -> int:
    ann, _ = services.deps.store.call(
        patients.enroll,
        ANN_CHAT,
        ANN_CHAT,
        "Ann",
        "UTC",
        "microneedling",
        clock.today() - timedelta(days=21),
        clock(),
    )
    return ann.id


async def _staff(services: Services, *args: str, user: int = STAFF) -> Outcome:
    command = StaffCommand(next(_updates), STAFF_CHAT, user, "enroll", args, "GlowBot")
    return await services.staff.command(command)


async def _press(services: Services, data: str, message_id: int = 77, user: int = STAFF) -> Outcome:
    pressed = Pressed(next(_updates), STAFF_CHAT, False, user, "Sam", message_id, data, "GlowBot")
    return await services.presses.press(pressed)


def _button(message: Message, label: str) -> str:
    return {b.label: b.data for row in message.buttons for b in row}[label]


def _treatments(services: Services, patient: int) -> list[tuple[str, str | None, date]]:
    found = services.deps.store.call(patients.treatments, patient)
    return [(t.procedure, t.variant, t.treated_on) for t in found]


def _told(services: Services, chat: int) -> list[str]:
    rows = services.deps.store.call(
        lambda db: db.execute("SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat,)).fetchall()
    )
    return [str(payload) for (payload,) in rows]


def _choices(services: Services) -> int:
    return int(services.deps.store.call(lambda db: db.execute("SELECT COUNT(*) FROM invites").fetchone()[0]))


async def test_staff_add_a_second_treatment_to_patient_n(services: Services, clock: FakeClock) -> None:
    ann = _ann(services, clock)
    today = _days_ago(clock, 0)
    [ask] = (await _staff(services, today, f"#{ann}")).messages
    assert ask.chat_id == STAFF_CHAT and ask.text == f"Which treatment are you adding for patient #{ann}?"
    assert [b.label for row in ask.buttons for b in row] == [
        "Chemical peel",
        "Dermal filler",
        "Microneedling",
    ]
    [kinds] = (await _press(services, _button(ask, "Dermal filler"))).messages
    assert kinds.action is Action.EDIT and kinds.message_id == 77 and f"#{ann}" in kinds.text
    [done] = (await _press(services, _button(kinds, "Lip filler"))).messages
    assert done.action is Action.EDIT and done.buttons == ()
    assert (
        done.text
        == f"✅ Added dermal filler (Lip filler) of {today} for patient #{ann}; they are told in their chat."
    )
    assert "Ann" not in done.text  # the number names them; nothing of theirs is repeated
    assert _treatments(services, ann) == [
        ("dermal_filler", "lips", clock.today()),
        ("microneedling", None, clock.today() - timedelta(days=21)),
    ]
    [told] = _told(services, ANN_CHAT)
    assert "Glow Clinic added your dermal filler" in told and today in told
    # One conversation: no link was made, nobody was moved, and the button does not add twice.
    assert not services.deps.store.call(invites.used_by, ann)
    assert services.deps.store.call(patients.get_patient, ANN_CHAT).id == ann  # type: ignore[union-attr]
    again = await _press(services, _button(kinds, "Lip filler"), message_id=78)
    assert [m.text for m in again.messages] == [services.wording.text("stale_button")]
    assert len(_treatments(services, ann)) == 2 and len(_told(services, ANN_CHAT)) == 1


async def test_patients_shows_the_number_to_use(services: Services, clock: FakeClock) -> None:
    ann = _ann(services, clock)
    services.deps.store.call(patients.enroll, 556, 556, None, "UTC", "microneedling", clock.today(), clock())
    command = StaffCommand(next(_updates), STAFF_CHAT, STAFF, "patients", (), "GlowBot")
    [listing] = (await services.staff.command(command)).messages
    assert f"• Ann (#{ann}): microneedling, day 21" in listing.text
    assert f"• Patient #{ann + 1}: microneedling, day 0" in listing.text


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("{today}", "#99"), "retreat_unknown"),
        (("{future}", "#{ann}"), "enroll_refused"),
        (("{old}", "#{ann}"), "enroll_refused"),
        (("23/11/2026", "#{ann}"), "enroll_usage"),
        (("{today}", "#{ann}", "Ann"), "enroll_usage"),
        (("{today}", "#x"), "enroll_usage"),
        (("{today}", "#٣"), "enroll_usage"),
    ],
)
async def test_refusals_are_one_kind_line_and_change_nothing(
    services: Services, clock: FakeClock, args: tuple[str, ...], key: str
) -> None:
    ann = _ann(services, clock)
    values = {
        "today": _days_ago(clock, 0),
        "future": _days_ago(clock, -1),
        "old": _days_ago(clock, 400),
        "ann": str(ann),
    }
    [reply] = (await _staff(services, *(a.format(**values) for a in args))).messages
    assert reply.chat_id == STAFF_CHAT and reply.buttons == () and "\n" not in reply.text
    assert reply.text == services.wording.staff(key, number=99)
    assert _choices(services) == 0 and len(_treatments(services, ann)) == 1
    assert _told(services, ANN_CHAT) == []


async def test_only_staff_can_add_a_treatment(services: Services, clock: FakeClock) -> None:
    ann = _ann(services, clock)
    outcome = await _staff(services, _days_ago(clock, 0), f"#{ann}", user=12345)
    assert outcome.messages == ()  # in a group, an unknown command from someone else gets no answer
    [ask] = (await _staff(services, _days_ago(clock, 0), f"#{ann}")).messages
    stranger = await _press(services, _button(ask, "Microneedling"), user=12345)
    assert stranger.messages == () and stranger.toast
    assert len(_treatments(services, ann)) == 1


async def test_forged_or_expired_buttons_change_nothing(services: Services, clock: FakeClock) -> None:
    ann = _ann(services, clock)
    [ask] = (await _staff(services, _days_ago(clock, 0), f"#{ann}")).messages
    stale = services.wording.text("stale_button")
    forged = await _press(services, "en:999:microneedling")  # no such choice
    assert [m.text for m in forged.messages] == [stale]
    garbled = await _press(services, _button(ask, "Microneedling") + "!")
    assert garbled.messages == () and garbled.toast
    wrong_kind = await _press(services, _button(ask, "Dermal filler") + ":superficial")
    assert [m.text for m in wrong_kind.messages] == [stale]
    clock.advance(days=services.deps.config.invite_days, seconds=1)
    expired = await _press(services, _button(ask, "Microneedling"))
    assert [m.text for m in expired.messages] == [stale]
    assert len(_treatments(services, ann)) == 1 and _told(services, ANN_CHAT) == []


async def test_a_choice_for_a_patient_is_never_a_link(services: Services, clock: FakeClock) -> None:
    ann = _ann(services, clock)
    [ask] = (await _staff(services, _days_ago(clock, 0), f"#{ann}")).messages
    choice_id = int(_button(ask, "Microneedling").split(":")[1])
    invite = services.deps.store.call(invites.get, choice_id)
    assert invite is not None and invite.for_patient == ann
    # Even signed with the clinic's secret, its id opens nothing, for a stranger or for Ann.
    signed = services.enrollment.invitation(choice_id, "GlowBot", clock() + timedelta(days=1))
    for chat in (777, ANN_CHAT):
        status = services.deps.store.call(services.enrollment.redeem, signed.payload, chat, chat)
        assert status is RedeemStatus.INVALID
    assert services.deps.store.call(patients.get_patient, 777) is None


async def test_forget_takes_the_pending_choice_with_the_patient(services: Services, clock: FakeClock) -> None:
    ann = _ann(services, clock)
    [ask] = (await _staff(services, _days_ago(clock, 0), f"#{ann}")).messages
    assert _choices(services) == 1
    services.deps.store.call(patients.forget, ANN_CHAT)
    assert _choices(services) == 0
    gone = await _press(services, _button(ask, "Microneedling"))
    assert [m.text for m in gone.messages] == [services.wording.text("stale_button")]


async def test_one_procedure_of_one_kind_is_added_without_buttons(
    store: Store, single_procedure: Path, clock: FakeClock
) -> None:
    one = load_engine(single_procedure, TEST_CLINIC)
    services = make_services(store, one, clock, staff_ids=frozenset({STAFF}), bot_username="GlowBot")
    ann = _ann(services, clock)
    [done] = (await _staff(services, _days_ago(clock, 2), f"#{ann}")).messages
    assert done.action is Action.SEND and done.buttons == ()
    assert done.text.startswith("✅ Added microneedling of ") and f"patient #{ann}" in done.text
    assert [t[2] for t in _treatments(services, ann)] == [
        clock.today() - timedelta(days=2),
        clock.today() - timedelta(days=21),
    ]
    assert len(_told(services, ANN_CHAT)) == 1
