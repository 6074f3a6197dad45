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
Day = Annotated[int, Field(ge=0, le=365)]
VariantKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=20)]

# A value that may differ by variant: the value itself, or a mapping from variant id (or `default`) to it.
DayByVariant = Day | dict[VariantKey, Day]
TextByVariant = Text | dict[VariantKey, Text]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class VariantModel(_Strict):
    id: VariantKey
    title: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class VerdictTextsModel(_Strict):
    not_yet: Text | None = None
    from_today: Text | None = None
    allowed: Text | None = None
    unknown_day: Text | None = None


class RuleModel(VerdictTextsModel):
    id: Id | None = None
    discouraged: bool = False
    announce: bool = True
    keywords: list[Phrase] = Field(min_length=1)
    subject: Text
    resume_day: DayByVariant


class RestrictionModel(VerdictTextsModel):
    discouraged: bool = False
    announce: bool = True
    subject: Text
    resume_day: DayByVariant
    rules: list[RuleModel] = []


class SymptomModel(_Strict):
    normal_until_day: DayByVariant
    late_answer: TextByVariant


class EntryModel(_Strict):
    id: Id
    kind: Literal["restriction", "symptom", "advice", "info", "red_flag", "conversation"]
    title: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    examples: list[Phrase] = Field(min_length=1)
    keywords: list[Phrase] = []
    answer: TextByVariant
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
    kinds: list[Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^\S+$")]] = []
    variants: list[VariantModel] = []


class TierModel(_Strict):
    reply: TextByVariant


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
    from_day: DayByVariant | None = None
    mild_tier: TierName | None = None
    alert_tier: TierName | None = None
    reply: TextByVariant | None = None
    unless: list[Phrase] = []


class WarningSignsModel(_Strict):
    tiers: TiersModel
    signs: list[SignModel] = Field(min_length=1)


class CheckinOptionModel(_Strict):
    id: OptionId
    label: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class CheckinStepModel(_Strict):
    day: Day | None = None
    after_hours: int | None = Field(default=None, ge=1, le=72)
    text: TextByVariant
    variants: list[VariantKey] = []


class WarningQuestionModel(_Strict):
    tier: TierName
    text: Text


class CheckinsModel(_Strict):
    options: list[CheckinOptionModel] = Field(min_length=1, max_length=4)
    steps: list[CheckinStepModel] = Field(min_length=1)
    warning_questions: list[WarningQuestionModel] | None = None


class CourseModel(_Strict):
    from_day: Day
    until_day: Day
    text: TextByVariant
    variants: list[VariantKey] = []


TopicKind = Literal["restriction", "symptom", "advice", "info", "red_flag", "conversation", "other"]


class ProcedureFileModel(_Strict):
    """A procedure file (one per procedure, named after its id)."""

    procedure: ProcedureInfoModel
    topics: dict[Id, TopicKind] = {}
    entries: list[EntryModel] = Field(min_length=1)
    warning_signs: WarningSignsModel
    checkins: CheckinsModel
    course: list[CourseModel] = []


class DiscouragedMessagesModel(_Strict):
    """The wording for a break that is never encouraged (a rule with `discouraged: true`)."""

    not_yet: Text
    from_today: Text
    from_tomorrow: Text | None = None
    allowed: Text
    unknown_day: Text


class RestrictionMessagesModel(_Strict):
    not_yet: Text
    from_today: Text
    from_tomorrow: Text | None = None
    allowed: Text
    unknown_day: Text
    discouraged: DiscouragedMessagesModel | None = None


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


# ----------------------------------------------------------------------------------------- language.yaml

Word = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^\S+$")]
CueText = Annotated[str, StringConstraints(min_length=1, max_length=120)]


class WordsModel(_Strict):
    stopwords: list[Word] = []
    hedges: list[Word] = []
    frame: list[Word] = []
    negations: list[Word] = Field(min_length=1)
    contractions: dict[Word, CueText] = {}


class SuffixModel(_Strict):
    suffix: Word
    replace: Annotated[str, StringConstraints(max_length=10)] = ""
    min_length: int = Field(ge=2, le=30)


class StemmingModel(_Strict):
    suffixes: list[SuffixModel] = []
    plural_exceptions: list[Word] = []
    keep_double: list[Annotated[str, StringConstraints(min_length=1, max_length=1)]] = []
    drop_final: list[Annotated[str, StringConstraints(min_length=1, max_length=1)]] = []
    keep: list[Word] = []
    plurals: list[Word] = []
    shortest: int = Field(default=4, ge=2, le=10)


class QuestionsModel(_Strict):
    leading: list[Word] = []
    anywhere: list[Word] = []
    pairs: list[CueText] = []
    statement_starts: list[Word] = []
    list_starts: list[Word] = []
    someone_else: list[Word] = []
    first_person: list[Word] = []
    treatment_words: list[Word] = []
    refers_back: list[Word] = []
    points_back: list[CueText] = []
    procedure_pronouns: list[Word] = []
    determiners: list[Word] = []
    joiners: list[Word] = []
    restriction: list[CueText] = []
    symptom: list[CueText] = []
    tomorrow: list[Word] = []


class TimingModel(_Strict):
    preparation_topic: Id | None = None
    before: list[CueText] = []
    not_before: list[CueText] = []
    own_appointment: list[CueText] = []


class CourseCuesModel(_Strict):
    cues: list[CueText] = []


class OtherProceduresModel(_Strict):
    """Treatments that are not the patient's (`names`; every other procedure of the knowledge base counts
    too), and the words that make one the subject of a question: just `before` it ("after a rhinoplasty") or
    just `after` it ("phenol peel recovery"), question words just before it (`asked_of`: "does botox help"),
    or a comparison anywhere (`compare`: "... vs CO2 laser"); and the words of a question about the wait
    between two treatments (`timing`)."""

    names: list[CueText] = []
    before: list[CueText] = []
    asked_of: list[CueText] = []
    after: list[CueText] = []
    compare: list[CueText] = []
    timing: list[CueText] = []


class ScreeningOthersModel(_Strict):
    """Someone else as the subject of a sign: `people` ("my friend got an infection"), `pronouns` that
    carry the story on ("her lips swelled"), `owners` (the first-person words that only say whose person it
    is: "my sister")."""

    people: list[Word] = []
    pronouns: list[Word] = []
    owners: list[Word] = []


class ScreeningModel(_Strict):
    clause_breaks: list[Word] = []
    coordinators: list[Word] = []
    list_fillers: list[Word] = []
    asks_about: list[CueText] = []
    reports: list[CueText] = []
    never_reports: list[CueText] = []
    mild: list[CueText] = []
    improving: list[CueText] = []
    asks_in_general: list[CueText] = []
    personal: list[Word] = []
    expected: list[CueText] = []
    continues_asking: list[CueText] = []
    general_question_starts: list[Word] = []
    others: ScreeningOthersModel = ScreeningOthersModel()


CueGroups = Annotated[list[Annotated[list[CueText], Field(min_length=1)]], Field(min_length=2)]


class TogetherCueModel(_Strict):
    """A crisis told in parts, with the phrases that make it something else when said in the same sentence
    (`unless`), or `weak`: a crisis only as `crisis.weak` phrases are."""

    groups: Annotated[list[Annotated[list[CueText], Field(min_length=1)]], Field(min_length=1)]
    unless: list[CueText] = []
    weak: bool = False


class CrisisOthersModel(_Strict):
    """A crisis phrase that is about someone else: its subject just `before` ("my cousin overdosed"), or a
    word just `after` that makes it a job, a service or other people ("a suicide hotline")."""

    before: list[CueText] = []
    after: list[CueText] = []
    between: list[Word] = []
    objects: list[Word] = []


class CrisisModel(_Strict):
    phrases: list[CueText] = Field(min_length=1)
    injuries: list[CueText] = []
    accidents: list[CueText] = []
    others: CrisisOthersModel = CrisisOthersModel()
    weak: list[CueText] = []
    supporting: list[CueText] = []
    signals: dict[Word, list[CueText]] = {}
    mild_signals: dict[Word, list[CueText]] = {}
    together: list[CueGroups | TogetherCueModel] = []
    aftercare: list[CueText] = []
    exclusions: list[CueText] = []
    spellings: dict[CueText, CueText] = {}
    ignored: list[Word] = []
    not_typos: list[Word] = []
    count_from: Annotated[int, Field(ge=2)] | None = None
    count_doses: list[Word] = []
    count_things: list[Word] = []
    counted: list[Word] = []
    numbers: list[Word] = []
    count_as: CueText | None = None
    count_unless_before: list[Word] = []
    count_unless_after: list[Word] = []


class LanguageFileModel(_Strict):
    """`language.yaml`: how patients' messages are read."""

    words: WordsModel
    stemming: StemmingModel = StemmingModel()
    questions: QuestionsModel = QuestionsModel()
    timing: TimingModel = TimingModel()
    course: CourseCuesModel = CourseCuesModel()
    other_procedures: OtherProceduresModel = OtherProceduresModel()
    screening: ScreeningModel = ScreeningModel()
    crisis: CrisisModel
