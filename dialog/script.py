"""The shape of a dialog script: what a YAML script file may say.

Scripts are data, not code, so that a clinic or a care agency can change what the agent says and
asks without a release. The schema is strict (unknown keys are refused) because a typo in a key
would otherwise silently change a call's behaviour; :mod:`dialog.loader` adds the checks that span
the whole script (unknown nodes, missing slots, unreachable nodes) and points at file and line.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dialog.types import Severity, SlotType

# Actions the engine performs itself (they become events for the call to act on).
ENGINE_ACTIONS = frozenset(
    {"raise_alert", "transfer_to_human", "opt_out", "schedule_callback", "hang_up", "set"}
)
# Actions that go through the ActionPort and return data the script can branch on.
PORT_ACTIONS = frozenset(
    {
        "check_availability",
        "book_reservation",
        "find_reservation",
        "change_reservation",
        "cancel_reservation",
    }
)
KNOWN_ACTIONS = ENGINE_ACTIONS | PORT_ACTIONS

GLOBAL_INTENTS = frozenset(
    {"repeat", "slower", "human", "stop_calling", "call_later", "goodbye", "emergency"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A test on a slot or a variable; ``all``/``any`` combine conditions.

    A tiny structured language instead of expressions: nothing in a script is ever evaluated as
    code, and every name it mentions can be checked at load time.
    """

    slot: str | None = None
    var: str | None = None
    eq: Any = None
    ne: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    set: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        subjects = [x for x in (self.slot, self.var, self.all, self.any) if x is not None]
        if len(subjects) != 1:
            raise ValueError("a condition names exactly one of: slot, var, all, any")
        return self


class Transition(_Strict):
    when: Condition | None = None
    goto: str


class Action(_Strict):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in KNOWN_ACTIONS:
            raise ValueError(f"unknown action {v!r}; known: {', '.join(sorted(KNOWN_ACTIONS))}")
        return v


class AlertRule(_Strict):
    """Raise an alert when a freshly filled slot meets a condition (e.g. pain 4 or worse)."""

    when: Condition
    severity: Severity = Severity.NORMAL
    reason: str


class CategoryDef(_Strict):
    examples: list[str]
    keywords: list[str] = Field(default_factory=list)


class Slot(_Strict):
    type: SlotType
    # choice: key -> synonyms; category: a built-in set's name or inline definitions
    choices: dict[str, list[str]] | None = None
    categories: str | dict[str, CategoryDef] | None = None
    min: int | None = None
    max: int | None = None
    max_var: str | None = None  # a context variable holding the maximum (e.g. max_party_size)
    prefer: Literal["am", "pm"] | None = None  # times: read ambiguous hours as am or pm
    dtmf: dict[str, str] | None = None  # key pressed -> choice key
    record: bool = False  # write each value as an answer (health answers, check-in answers)
    answer_key: str | None = None
    fill_ahead: bool = False  # may be filled from an answer to an earlier question
    correctable: bool = False  # callers may correct it later ("actually make it five")
    alerts: list[AlertRule] = Field(default_factory=list)
    invalid: list[str] = Field(default_factory=list)  # prompts when parsed but out of range
    hints: list[str] = Field(default_factory=list)  # vocabulary for the ASR prompt

    @model_validator(mode="after")
    def _type_options(self) -> Slot:
        if self.type is SlotType.CHOICE and not self.choices:
            raise ValueError("a choice slot needs 'choices'")
        if self.type is SlotType.CATEGORY and not self.categories:
            raise ValueError("a category slot needs 'categories'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        return self


def _as_list(v: Any) -> Any:
    return [v] if isinstance(v, str) else v


class Node(_Strict):
    """One step of a conversation: say something, maybe act, maybe wait for an answer, move on."""

    say: list[str] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    collect: str | None = None
    corrects: list[str] = Field(default_factory=list)
    after_correction: str | None = None
    nomatch: list[str] = Field(default_factory=list)
    noinput: list[str] = Field(default_factory=list)
    max_nomatch: int = Field(default=3, ge=1)
    max_noinput: int = Field(default=2, ge=1)
    on_fail: str | None = None
    on_silence: str | None = None
    skip_if_filled: bool = True
    next: list[Transition] = Field(default_factory=list)
    end: bool = False
    outcome: str | None = None

    @field_validator("say", "nomatch", "noinput", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("next", mode="before")
    @classmethod
    def _next_shorthand(cls, v: Any) -> Any:
        return [{"goto": v}] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _ends_or_moves(self) -> Node:
        if self.end and (self.collect or self.next):
            raise ValueError("an 'end' node neither collects nor moves on")
        if not self.end and not self.next and not _ends_by_action(self):
            raise ValueError("a node needs 'next' unless it is an 'end' node")
        return self


def _ends_by_action(node: Node) -> bool:
    return any(a.name in {"hang_up", "transfer_to_human"} for a in node.actions)


class IntentHandler(_Strict):
    say: list[str] = Field(default_factory=list)
    goto: str | None = None

    @field_validator("say", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return _as_list(v)


class Voice(_Strict):
    speaking_rate: float = Field(default=1.0, gt=0.3, le=2.0)


class Script(_Strict):
    name: str
    description: str = ""
    start: str
    voice: Voice = Field(default_factory=Voice)
    context: list[str] = Field(default_factory=list)  # variables the caller of the engine supplies
    voicemail: str = ""  # template left on an answering machine by an outbound call
    slots: dict[str, Slot] = Field(default_factory=dict)
    intents: dict[str, IntentHandler] = Field(default_factory=dict)
    nodes: dict[str, Node]

    @field_validator("intents")
    @classmethod
    def _known_intents(cls, v: dict[str, IntentHandler]) -> dict[str, IntentHandler]:
        unknown = set(v) - GLOBAL_INTENTS
        if unknown:
            raise ValueError(
                f"unknown intent {sorted(unknown)[0]!r}; known: {', '.join(sorted(GLOBAL_INTENTS))}"
            )
        return v
