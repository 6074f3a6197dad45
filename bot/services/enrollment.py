"""Enrollment: signed single-use invite links, and the set-up of someone without a link (procedure, kind,
date, time zone), kept in the database so a restart does not lose it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from bot.core import invite_token
from bot.core.dates import parse_date
from bot.core.recovery import recovery_day
from bot.services import patients as lookup
from bot.services.base import Deps
from bot.services.checkins import Checkins
from bot.services.outcome import Action, Message, Outcome
from bot.services.queue import enqueue, fresh_origin, handle_update
from bot.services.views import DateCheck, DateStatus, Invitation, PatientView, RedeemStatus
from bot.services.wording import Wording
from bot.storage import invites, patients, settings, setups, transaction
from bot.storage.stamps import seconds

MAX_DAYS_BACK = 365
NAME_LIMIT = 64


def deep_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`."""
    return f"https://t.me/{bot_username}?start={payload}"


class Enrollment:
    """Use cases that make someone a patient of the bot."""

    def __init__(self, deps: Deps, wording: Wording, checkins: Checkins) -> None:
        self.deps = deps
        self.wording = wording
        self.checkins = checkins

    # -- the bot's own username, for links made offline --------------------------------------------

    async def remember_bot_username(self, username: str) -> None:
        """Keep the username Telegram gave the bot, so `aftercare enroll` can make links without asking."""
        await self.deps.store.run(settings.put, settings.BOT_USERNAME, username)

    def known_bot_username(self) -> str | None:
        """The username remembered by a bot that ran on this database, if any (synchronous, for the CLI)."""
        known = self.deps.store.call(settings.get, settings.BOT_USERNAME)
        return str(known) if known else None

    # -- dates ---------------------------------------------------------------------------------------

    def check_date(self, treated_on: date, timezone: str | None = None) -> DateCheck:
        """Refuse dates in the future or more than a year back (in `timezone`, default the clinic's)."""
        day = recovery_day(treated_on, self.deps.today(timezone))
        if day < 0:
            return DateCheck(DateStatus.FUTURE, treated_on)
        if day > MAX_DAYS_BACK:
            return DateCheck(DateStatus.TOO_OLD, treated_on)
        return DateCheck(DateStatus.OK, treated_on)

    def read_date(self, text: str) -> DateCheck:
        """A typed treatment date, checked."""
        months = self.deps.engine.kb.message_list("calendar.months")
        found = parse_date(text, self.deps.today(), months)
        if found is None:
            return DateCheck(DateStatus.UNREADABLE)
        return self.check_date(found)

    def is_a_date(self, text: str) -> bool:
        """Whether `text` is a date (readable, whether or not it can be used)."""
        return self.read_date(text).status is not DateStatus.UNREADABLE

    def days_ago(self, days: int, timezone: str | None = None) -> date:
        """The date `days` ago in `timezone` (default the clinic's), for the today / yesterday buttons."""
        return self.deps.today(timezone) - timedelta(days=days)

    # -- invites (the front desk) --------------------------------------------------------------------

    def check_choice(self, procedure: str, variant: str | None, holds: dict[str, int] | None) -> str | None:
        """Why a procedure, variant or hold cannot be used (one line), or None when they can."""
        known = self.deps.engine.kb.procedures.get(procedure)
        if known is None:
            listed = ", ".join(self.deps.engine.procedures)
            return f"unknown procedure '{procedure}' (known: {listed})"
        variants = [v.id for v in known.variants]
        if variant is not None and variant not in variants:
            listed = ", ".join(variants) or "none"
            return f"unknown variant '{variant}' of {procedure} (known: {listed})"
        concrete = self.deps.engine.procedure(procedure, variant)
        for entry_id, day in (holds or {}).items():
            entry = concrete.entry(entry_id)
            if entry is None or entry.restriction is None:
                waits = ", ".join(e.id for e in concrete.entries if e.restriction is not None)
                return f"--hold {entry_id}: not a restriction of {procedure} (one of: {waits})"
            if day < entry.restriction.main.resume_day:
                return (
                    f"--hold {entry_id}={day}: a hold can only make the wait longer "
                    f"(the knowledge base says day {entry.restriction.main.resume_day})"
                )
        return None

    def create_invite(
        self,
        db: Database,
        bot_username: str,
        procedure: str,
        treated_on: date,
        timezone: str,
        name: str | None = None,
        valid_days: int | None = None,
        variant: str | None = None,
        holds: dict[str, int] | None = None,
    ) -> Invitation:
        """Store an invite and sign its link (on the database thread)."""
        problem = self.check_choice(procedure, variant, holds)
        if problem is not None:
            raise ValueError(problem)
        now = self.deps.now().astimezone(UTC)
        expires = now + timedelta(days=valid_days or self.deps.config.invite_days)
        invite_id = invites.create(
            db,
            procedure,
            treated_on,
            timezone,
            (name or "")[:NAME_LIMIT] or None,
            seconds(now),
            seconds(expires),
            variant,
            holds,
        )
        return self.invitation(invite_id, bot_username, expires)

    def prepare_treatment(
        self, db: Database, patient_id: int, procedure: str, treated_on: date
    ) -> int | None:
        """Keep the choice staff are making of a treatment to add to patient `patient_id` (`/enroll DATE #N`),
        valid as long as a link would be; its id, or None when there is no such patient."""
        patient = patients.get_patient_by_id(db, patient_id)
        if patient is None:
            return None
        now = self.deps.now().astimezone(UTC)
        expires = now + timedelta(days=self.deps.config.invite_days)
        return invites.create_for_patient(
            db, patient.id, procedure, treated_on, patient.timezone, seconds(now), seconds(expires)
        )

    def invitation(self, invite_id: int, bot_username: str, expires: datetime) -> Invitation:
        """The signed link of an invite."""
        payload = invite_token.sign(invite_id, int(expires.timestamp()), self.deps.link_secret)
        return Invitation(invite_id, payload, deep_link(bot_username, payload), expires.isoformat())

    # -- /start <payload> ------------------------------------------------------------------------------

    def redeem(self, db: Database, payload: str, chat_id: int, user_id: int | None) -> RedeemStatus:
        """Link the patient of `chat_id` to the invite in `payload`. Tampered, expired or foreign links are
        INVALID; a link another account opened first, or any link opened by someone already a patient under
        another link, is TAKEN. Neither changes anything."""
        claims = invite_token.verify(payload, self.deps.link_secret)
        now = self.deps.now().astimezone(UTC)
        if claims is None or claims.expires_at <= now.timestamp():
            return RedeemStatus.INVALID
        invite = invites.get(db, claims.invite_id)
        if invite is None or invite.for_patient is not None:
            return RedeemStatus.INVALID  # a treatment staff add to someone enrolled is never a link
        if invite.procedure not in self.deps.engine.kb.procedures:
            return RedeemStatus.INVALID
        owner = patients.get_patient(db, chat_id)
        if invite.used_at is not None:
            mine = owner is not None and owner.id == invite.patient_id
            return RedeemStatus.ALREADY_YOURS if mine else RedeemStatus.TAKEN
        if datetime.fromisoformat(invite.expires_at) <= now:
            return RedeemStatus.INVALID
        if owner is not None and invites.used_by(db, owner.id):
            return RedeemStatus.TAKEN
        with transaction(db):
            patient, _ = patients.enroll(
                db,
                chat_id,
                user_id,
                invite.name,
                invite.timezone,
                invite.procedure,
                invite.treated_on,
                now,
                invite.variant,
                invite.holds,
            )
            if not invites.claim(db, invite.id, patient.id, seconds(now)):
                raise RuntimeError("invite claimed twice on one thread")  # rolls back the enrollment
            setups.clear(db, chat_id)
            self._follow_zone(db, owner, patient)
        return RedeemStatus.LINKED

    def add_treatment(
        self,
        db: Database,
        patient_id: int,
        procedure: str,
        treated_on: date,
        variant: str | None = None,
        holds: dict[str, int] | None = None,
    ) -> PatientView | None:
        """A clinic re-treating a patient: the treatment is added to that patient (no new link) and they are
        told in their chat. None when there is no such patient."""
        patient = patients.get_patient_by_id(db, patient_id)
        if patient is None:
            return None
        now = self.deps.now()
        with transaction(db):
            treatment = patients.add_treatment(db, patient.id, procedure, treated_on, now, variant, holds)
            view = lookup.view(self.deps, patient, treatment)
            text = self.wording.text(
                "treatment_added", procedure=view.procedure_name, date=treated_on.isoformat()
            )
            told = Message(patient.chat_id, f"{text} {self.wording.where(view)}")
            enqueue(db, [told], now, fresh_origin())
        return view

    async def start(self, update_id: int, chat_id: int, user_id: int | None, payload: str | None) -> Outcome:
        """`/start [payload]`: link by invite, greet an enrolled patient, or ask for the procedure."""

        def work(db: Database) -> Outcome:
            return handle_update(
                db,
                self.deps.now(),
                update_id,
                lambda: Outcome(tuple(self.welcome(db, chat_id, user_id, payload))),
            )

        return await self.deps.store.run(work)

    def welcome(self, db: Database, chat_id: int, user_id: int | None, payload: str | None) -> list[Message]:
        """What `/start` says: a greeting once linked, a kind refusal for a link that cannot be used, or the
        first set-up question."""
        if payload:
            status = self.redeem(db, payload, chat_id, user_id)
            patient = lookup.find(self.deps, db, chat_id)
            if status in (RedeemStatus.LINKED, RedeemStatus.ALREADY_YOURS) and patient is not None:
                return [Message(chat_id, self.wording.greeting(patient))]
            key = "link_taken" if status is RedeemStatus.TAKEN else "invite_invalid"
            return [Message(chat_id, self.wording.text(key))]
        patient = lookup.find(self.deps, db, chat_id)
        if patient is not None:
            return [Message(chat_id, self.wording.greeting(patient))]
        text, keyboard = self.wording.ask_procedure()
        return [Message(chat_id, text, keyboard)]

    # -- set-up without a link ---------------------------------------------------------------------------

    def _edit(self, chat_id: int, message_id: int | None, text: str, keyboard: tuple = ()) -> Message:  # type: ignore[type-arg]
        if message_id is None:
            return Message(chat_id, text, keyboard)
        return Message(chat_id, text, keyboard, Action.EDIT, message_id=message_id)

    def pick_procedure(self, db: Database, chat_id: int, message_id: int | None, procedure: str) -> Message:
        """The procedure button: ask for its kind (when it has several), else for the date."""
        known = self.deps.engine.kb.procedures.get(procedure)
        if known is None:
            return self._edit(chat_id, message_id, self.wording.text("stale_button"))
        setups.put(db, chat_id, procedure, None, self.deps.now())
        if known.variants:
            return self._edit(chat_id, message_id, *self.wording.ask_variant(procedure))
        return self._edit(chat_id, message_id, *self.wording.ask_date(procedure))

    def pick_variant(
        self, db: Database, chat_id: int, message_id: int | None, procedure: str, variant: str | None
    ) -> Message:
        """The variant button ("not sure" keeps the default): ask for the date."""
        known = self.deps.engine.kb.procedures.get(procedure)
        if known is None or (variant is not None and variant not in {v.id for v in known.variants}):
            return self._edit(chat_id, message_id, self.wording.text("stale_button"))
        setups.put(db, chat_id, procedure, variant, self.deps.now())
        return self._edit(chat_id, message_id, *self.wording.ask_date(procedure))

    def chosen_date(
        self,
        db: Database,
        chat_id: int,
        user_id: int | None,
        message_id: int | None,
        procedure: str,
        when: date | int,
    ) -> Message:
        """A typed date or a number of days ago (a button): ask the zone when the clinic allows several,
        else enroll."""
        zones = self.deps.config.timezones
        if procedure not in self.deps.engine.kb.procedures:
            return self._edit(chat_id, message_id, self.wording.text("stale_button"))
        if len(zones) > 1:
            return self._edit(chat_id, message_id, *self.wording.ask_timezone(procedure, when, zones))
        treated_on = self.days_ago(when, zones[0]) if isinstance(when, int) else when
        return self.finish(db, chat_id, user_id, message_id, procedure, treated_on, zones[0])

    def pick_zone(
        self,
        db: Database,
        chat_id: int,
        user_id: int | None,
        message_id: int | None,
        procedure: str,
        zone_index: int,
        treated_on: date | None,
        days_ago: int | None,
    ) -> Message:
        """The zone button: enroll ("today" and "yesterday" are counted in the zone picked)."""
        zones = self.deps.config.timezones
        if not 0 <= zone_index < len(zones):
            return self._edit(chat_id, message_id, self.wording.text("stale_button"))
        zone = zones[zone_index]
        when = treated_on if treated_on is not None else self.days_ago(days_ago or 0, zone)
        return self.finish(db, chat_id, user_id, message_id, procedure, when, zone)

    def finish(
        self,
        db: Database,
        chat_id: int,
        user_id: int | None,
        message_id: int | None,
        procedure: str,
        treated_on: date,
        zone: str,
    ) -> Message:
        """Record a manually entered treatment and greet; a stale-button note when it cannot be used."""
        setup = setups.get(db, chat_id)
        variant = setup.variant if setup is not None and setup.procedure == procedure else None
        patient = self.enroll(db, chat_id, user_id, procedure, treated_on, zone, variant)
        if patient is None:
            return self._edit(chat_id, message_id, self.wording.text("stale_button"))
        return self._edit(chat_id, message_id, self.wording.greeting(patient))

    def enroll(
        self,
        db: Database,
        chat_id: int,
        user_id: int | None,
        procedure: str,
        treated_on: date,
        timezone: str | None = None,
        variant: str | None = None,
    ) -> PatientView | None:
        """Record a manually entered treatment; None when the procedure, zone or date is not acceptable."""
        zone = timezone or self.deps.config.timezone
        if procedure not in self.deps.engine.kb.procedures or zone not in self.deps.config.timezones:
            return None
        if self.check_date(treated_on, zone).status is not DateStatus.OK:
            return None
        with transaction(db):
            before = patients.get_patient(db, chat_id)
            patient, _ = patients.enroll(
                db, chat_id, user_id, None, zone, procedure, treated_on, self.deps.now(), variant
            )
            setups.clear(db, chat_id)
            self._follow_zone(db, before, patient)
        return lookup.find(self.deps, db, chat_id)

    def _follow_zone(self, db: Database, before: patients.Patient | None, after: patients.Patient) -> None:
        """A treatment enrolled in another time zone moves the patient to it: the check-ins still to come of
        their earlier treatments are planned again in the new zone (the new treatment is planned by the
        sender)."""
        if before is not None and before.timezone != after.timezone:
            self.checkins.replan_patient(db, after.id)

    def setup_in_progress(self, db: Database, chat_id: int, text: str) -> str | None:
        """The procedure being set up for `chat_id`: the one picked before, or the clinic's only procedure
        when someone not enrolled sends just a date (set-up answered before it was asked); else None."""
        setup = setups.get(db, chat_id)
        if setup is not None and setup.procedure in self.deps.engine.kb.procedures:
            return setup.procedure
        procedures = self.deps.engine.procedures
        if len(procedures) != 1 or self.read_date(text).status is DateStatus.UNREADABLE:
            return None
        return procedures[0] if patients.get_patient(db, chat_id) is None else None

    def typed_date(
        self, db: Database, chat_id: int, user_id: int | None, procedure: str, text: str
    ) -> Message | None:
        """A date typed during set-up; None when the text is rather a question."""
        check = self.read_date(text)
        if check.status is DateStatus.UNREADABLE and len(text.split()) > 3:
            return None
        if check.status is not DateStatus.OK or check.treated_on is None:
            key = {
                DateStatus.FUTURE: "date_refused_future",
                DateStatus.TOO_OLD: "date_refused_old",
            }.get(check.status, "date_unreadable")
            return Message(chat_id, self.wording.text(key))
        return self.chosen_date(db, chat_id, user_id, None, procedure, check.treated_on)
