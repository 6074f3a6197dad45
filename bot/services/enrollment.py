"""Enrollment: signed single-use invite links, and the manual set-up (procedure, date, time zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from bot.core import invite_token
from bot.core.dates import parse_date
from bot.core.recovery import recovery_day
from bot.services import patients as patient_lookup
from bot.services.base import Deps
from bot.services.views import DateCheck, DateStatus, Invitation, PatientView, Redeemed, RedeemStatus
from bot.storage import invites, patients, settings


def deep_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`."""
    return f"https://t.me/{bot_username}?start={payload}"


class Enrollment:
    """Use cases that make someone a patient of the bot."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # -- the bot's own username, for links made offline ------------------------------------------

    async def remember_bot_username(self, username: str) -> None:
        """Keep the username Telegram gave the bot, so `aftercare enroll` can make links without asking."""
        await self.deps.store.run(settings.put, settings.BOT_USERNAME, username)

    def known_bot_username(self) -> str | None:
        """The username remembered by a bot that ran on this database, if any (synchronous, for the CLI)."""
        known = self.deps.store.call(settings.get, settings.BOT_USERNAME)
        return str(known) if known else None

    # -- invites (the front desk) ----------------------------------------------------------------

    def check_date(self, treated_on: date, timezone: str | None = None) -> DateCheck:
        """Refuse dates in the future or more than a year back (in `timezone`, default the clinic's)."""
        day = recovery_day(treated_on, self.deps.today(timezone))
        if day < 0:
            return DateCheck(DateStatus.FUTURE, treated_on)
        if day > self.deps.settings.max_days_back:
            return DateCheck(DateStatus.TOO_OLD, treated_on)
        return DateCheck(DateStatus.OK, treated_on)

    def create_invite(
        self,
        db: Database,
        bot_username: str,
        procedure: str,
        treated_on: date,
        timezone: str,
        name: str | None = None,
        valid_days: int | None = None,
    ) -> Invitation:
        """Store an invite and sign its link (runs on the database thread: `store.call(...)`)."""
        self.deps.engine.procedure(procedure)  # KeyError when unknown
        now = self.deps.clock().astimezone(UTC)
        expires = now + timedelta(days=valid_days or self.deps.settings.invite_days)
        invite_id = invites.create(
            db,
            procedure,
            treated_on,
            timezone,
            name,
            now.isoformat(timespec="seconds"),
            expires.isoformat(timespec="seconds"),
        )
        payload = invite_token.sign(invite_id, int(expires.timestamp()), self.deps.link_secret)
        return Invitation(invite_id, payload, deep_link(bot_username, payload), expires.isoformat())

    # -- /start <payload> --------------------------------------------------------------------------

    async def redeem(self, payload: str, chat_id: int, user_id: int | None) -> Redeemed:
        """Link the patient of `chat_id` to the invite in `payload`; tampered, expired, reused or foreign
        payloads give INVALID and change nothing."""
        claims = invite_token.verify(payload, self.deps.link_secret)
        now = self.deps.clock().astimezone(UTC)
        if claims is None or claims.expires_at <= now.timestamp():
            return Redeemed(RedeemStatus.INVALID)
        status = await self.deps.store.run(self._redeem, claims.invite_id, chat_id, user_id, now)
        if status is RedeemStatus.INVALID:
            return Redeemed(status)
        patient = await patient_lookup.find(self.deps, chat_id)
        return Redeemed(status, patient) if patient else Redeemed(RedeemStatus.INVALID)

    def _redeem(
        self, db: Database, invite_id: int, chat_id: int, user_id: int | None, now: datetime
    ) -> RedeemStatus:
        invite = invites.get(db, invite_id)
        stamp = now.isoformat(timespec="seconds")
        if invite is None or invite.procedure not in self.deps.engine.kb.procedures:
            return RedeemStatus.INVALID
        if invite.used_at is not None:
            owner = patients.get_patient(db, chat_id)
            mine = owner is not None and owner.id == invite.patient_id
            return RedeemStatus.ALREADY_YOURS if mine else RedeemStatus.INVALID
        if datetime.fromisoformat(invite.expires_at) <= now:
            return RedeemStatus.INVALID
        with db.atomic():
            patient, _ = patients.enroll(
                db, chat_id, user_id, invite.name, invite.timezone, invite.procedure, invite.treated_on, stamp
            )
            if not invites.claim(db, invite_id, patient.id, stamp):
                raise RuntimeError("invite claimed twice on one thread")  # rolls back the enrollment
        return RedeemStatus.LINKED

    # -- manual set-up -----------------------------------------------------------------------------

    def read_date(self, text: str) -> DateCheck:
        """A typed treatment date, checked."""
        months = self.deps.engine.kb.message_list("calendar.months")
        found = parse_date(text, self.deps.today(), months)
        if found is None:
            return DateCheck(DateStatus.UNREADABLE)
        return self.check_date(found)

    def days_ago(self, days: int, timezone: str | None = None) -> date:
        """The date `days` ago in `timezone` (default the clinic's), for the today / yesterday buttons."""
        return self.deps.today(timezone) - timedelta(days=days)

    async def enroll(
        self, chat_id: int, user_id: int | None, procedure: str, treated_on: date, timezone: str | None = None
    ) -> PatientView | None:
        """Record a manually entered treatment; None when the procedure, zone or date is not acceptable."""
        zone = timezone or self.deps.settings.timezone
        if procedure not in self.deps.engine.kb.procedures or zone not in self.deps.settings.timezones:
            return None
        if self.check_date(treated_on, zone).status is not DateStatus.OK:
            return None
        await self.deps.store.run(
            patients.enroll, chat_id, user_id, None, zone, procedure, treated_on, self.deps.now_iso()
        )
        return await patient_lookup.find(self.deps, chat_id)
