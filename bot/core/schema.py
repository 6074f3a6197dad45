"""The shape of the YAML files, checked with pydantic: unknown keys and wrong types are refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# Ids travel inside Telegram button data (at most 64 bytes with a prefix and other fields), hence the limits.
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
ProcedureId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=30)]
OptionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=20)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=3000)]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class VerdictTextsModel(_Strict):
    not_yet: Text | None = None
    from_today: Text | None = None
    allowed: Text | None = None
    unknown_day: Text | None = None


class RuleModel(VerdictTextsModel):
    keywords: list[Phrase] = Field(min_length=1)
    subject: Text
    resume_day: int = Field(ge=0, le=365)


class RestrictionModel(VerdictTextsModel):
    subject: Text
    resume_day: int = Field(ge=0, le=365)
    rules: list[RuleModel] = []


class SymptomModel(_Strict):
    normal_until_day: int = Field(ge=0, le=365)
    late_answer: Text


class EntryModel(_Strict):
    id: Id
    kind: Literal["restriction", "symptom", "advice", "info", "red_flag", "conversation"]
    title: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    examples: list[Phrase] = Field(min_length=1)
    keywords: list[Phrase] = []
    answer: Text
    restriction: RestrictionModel | None = None
    symptom: SymptomModel | None = None

    @field_validator("examples", "keywords")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.strip():
                raise ValueError("must not contain blank items")
        return values


class ProcedureInfoModel(_Strict):
    id: ProcedureId
    name: Text
    title: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    aliases: list[Phrase] = []
    treats: list[Phrase] = []


class TierModel(_Strict):
    reply: Text


class TiersModel(_Strict):
    emergency: TierModel
    same_day: TierModel
    routine: TierModel


TierName = Literal["emergency", "same_day", "routine"]


class SignModel(_Strict):
    id: Id
    tier: TierName
    phrases: list[Phrase] = Field(min_length=1)
    topic: Id | None = None
    with_any: list[Phrase] = []
    from_day: int | None = Field(default=None, ge=0, le=365)
    mild_tier: TierName | None = None


class WarningSignsModel(_Strict):
    tiers: TiersModel
    signs: list[SignModel] = Field(min_length=1)


class CheckinOptionModel(_Strict):
    id: OptionId
    label: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class CheckinStepModel(_Strict):
    day: int = Field(ge=0, le=365)
    text: Text


class CheckinsModel(_Strict):
    options: list[CheckinOptionModel] = Field(min_length=1, max_length=4)
    steps: list[CheckinStepModel] = Field(min_length=1)


class ProcedureFileModel(_Strict):
    """A procedure file such as `microneedling.yaml`."""

    procedure: ProcedureInfoModel
    entries: list[EntryModel] = Field(min_length=1)
    warning_signs: WarningSignsModel
    checkins: CheckinsModel


class RestrictionMessagesModel(_Strict):
    not_yet: Text
    from_today: Text
    from_tomorrow: Text | None = None
    allowed: Text
    unknown_day: Text


class CalendarModel(_Strict):
    when_with_date: Text
    when_without_date: Text
    weekdays: list[Phrase] = Field(min_length=7, max_length=7)
    months: list[Phrase] = Field(min_length=12, max_length=12)


class MatchingMessagesModel(_Strict):
    did_you_mean: Text
    unknown: Text
    empty: Text
    too_long: Text
    multi_intro: Text | None = None


class MessagesFileModel(BaseModel):
    """`messages.yaml`: the required sections are checked; further sections (bot texts) are free-form text."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    restriction: RestrictionMessagesModel
    calendar: CalendarModel
    matching: MatchingMessagesModel
    errors: dict[str, Text]
