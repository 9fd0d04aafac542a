"""The scripted dialog engine: a pure, deterministic state machine.

``step(state, input) -> Turn`` is a function of its arguments (and of the answers of the action
port), so a conversation can be replayed, tested from a text file, persisted after every turn and
resumed in another process. Nothing here does I/O; side effects leave as events or go through
the :class:`~dialog.types.ActionPort`.

Every turn ends with the agent saying something — at worst a re-prompt — because on the phone
silence from the agent is indistinguishable from a dead line and callers hang up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from dialog import nlu
from dialog.conditions import holds
from dialog.extract import Extraction, extract, extract_dtmf, hints_for, in_range
from dialog.script import PORT_ACTIONS, Action, Node, Script, Slot
from dialog.state import DialogState
from dialog.templates import lookup, render
from dialog.types import (
    ActionEvent,
    ActionPort,
    AlertEvent,
    AnswerEvent,
    CallbackEvent,
    Event,
    Expectation,
    HangUpEvent,
    InputKind,
    OptOutEvent,
    Severity,
    TransferEvent,
    UserInput,
    VoiceEvent,
)

MAX_HOPS = 100  # nodes entered in one turn; a script loop is a bug, not a hang
MIN_RATE = 0.6
_SINGLE_PLACEHOLDER = re.compile(r"^\{([A-Za-z_][\w.]*)\}$")
_CORRECTION_CUE = re.compile(
    r"\b(actually|make it|change|instead|rather|sorry|no|not|wait|correction)\b"
)

DEFAULT_PROMPTS: dict[str, str] = {
    "nomatch": "Sorry, I didn't catch that.",
    "noinput": "Are you still there?",
    "silence_end": "I'm sorry, I can't hear you. Please call back when it suits you. Goodbye.",
    "fail": "I'm sorry, I'm having trouble understanding. Let me put you through to a person.",
    "human": "Let me put you through to a member of our team.",
    "stop_calling": "I understand. We won't call you again. Goodbye.",
    "call_later": "Of course, we'll call you back later. Goodbye.",
    "goodbye": "Thank you for calling. Goodbye.",
    "emergency": "I'm alerting someone to help you right now.",
    "slower": "Of course, I'll speak more slowly.",
    "invalid": "Sorry, that's not something I can accept.",
}


class Turn(BaseModel):
    """What one step produced: the new state, what to say, what happened."""

    state: DialogState
    say: list[str] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    expect: Expectation | None = None
    ended: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.say)


@dataclass
class _Out:
    say: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class DialogEngine:
    """Runs one script. Stateless itself: safe to share across calls and threads."""

    def __init__(self, script: Script, port: ActionPort) -> None:
        self.script = script
        self.port = port

    # ---- public API -------------------------------------------------------------------------

    def start(self, context: Mapping[str, Any]) -> Turn:
        """Open a conversation with the caller-supplied context (business, person, memory…)."""
        state = DialogState(
            script=self.script.name,
            node=self.script.start,
            vars=dict(context),
            rate=self.script.voice.speaking_rate,
        )
        out = _Out()
        self._enter(state, self.script.start, out)
        return self._turn(state, out)

    def step(self, state: DialogState, user: UserInput) -> Turn:
        """Advance the conversation by one caller input. Never raises on caller input."""
        state = state.model_copy(deep=True)
        if state.ended:
            return Turn(state=state, ended=True)
        state.turn += 1
        out = _Out()
        if user.kind is InputKind.DTMF:
            self._on_dtmf(state, user.digits, out)
        elif user.kind is InputKind.NO_INPUT or not nlu.normalize(user.text):
            self._on_silence(state, out)
        else:
            self._on_text(state, user.text, user.confidence, out)
        if not out.say and not state.ended:
            out.say.extend(state.last_say)
        return self._turn(state, out)

    # ---- inputs -----------------------------------------------------------------------------

    def _on_text(self, state: DialogState, raw: str, asr_conf: float, out: _Out) -> None:
        text = nlu.normalize(raw)
        intents = nlu.detect_intents(text)
        for urgent in ("emergency", "stop_calling", "human", "call_later"):
            if nlu.GlobalIntent(urgent) in intents:
                self._intent(state, urgent, raw, out)
                return
        node = self._node(state)
        if node.corrects and self._correct(state, node, text, out, cue_needed=False):
            return
        slot = self._slot(node)
        got = extract(slot, text, today=self._today(state), said=raw) if slot else None
        if slot is not None and got is not None:
            if in_range(slot, got.value, state.vars):
                self._fill(state, node, slot, got, raw, asr_conf, out)
                self._fill_ahead(state, text, raw, asr_conf, out)
                self._enter(state, self._next(node, state), out)
            else:
                self._invalid(state, node, slot, out)
            return
        if self._correct(state, node, text, out, cue_needed=True):
            return
        for soft in ("repeat", "slower", "goodbye"):
            if nlu.GlobalIntent(soft) in intents:
                self._intent(state, soft, raw, out)
                return
        self._fill_ahead(state, text, raw, asr_conf, out)
        self._no_match(state, node, out)

    def _on_dtmf(self, state: DialogState, digits: str, out: _Out) -> None:
        if digits.strip() == "0":
            self._intent(state, "human", "0", out)
            return
        node = self._node(state)
        slot = self._slot(node)
        got = extract_dtmf(slot, digits) if slot else None
        if slot is None or got is None:
            self._no_match(state, node, out)
        elif not in_range(slot, got.value, state.vars):
            self._invalid(state, node, slot, out)
        else:
            self._fill(state, node, slot, got, f"dtmf:{digits}", 1.0, out)
            self._enter(state, self._next(node, state), out)

    def _on_silence(self, state: DialogState, out: _Out) -> None:
        node = self._node(state)
        state.noinput += 1
        if state.noinput > node.max_noinput:
            if node.on_silence:
                self._enter(state, node.on_silence, out)
            else:
                out.say.append(DEFAULT_PROMPTS["silence_end"])
                self._hang_up(state, "no_input", out)
            return
        if node.noinput:
            out.say.append(self._variant(node.noinput, state.noinput - 1, state))
        else:
            out.say.append(DEFAULT_PROMPTS["noinput"])
            out.say.extend(state.last_say)

    # ---- slot filling and corrections -----------------------------------------------------------

    def _fill(
        self,
        state: DialogState,
        node: Node | None,
        slot: Slot,
        got: Extraction,
        raw: str,
        asr_conf: float,
        out: _Out,
        name: str | None = None,
    ) -> None:
        slot_name = name or (node.collect if node else None)
        assert slot_name is not None
        state.slots[slot_name] = got.value
        if slot.record:
            out.events.append(
                AnswerEvent(
                    key=slot.answer_key or slot_name,
                    value=got.value,
                    raw=raw,
                    confidence=round(got.confidence * asr_conf, 3),
                )
            )
        for rule in slot.alerts:
            if holds(rule.when, state.slots, state.vars):
                out.events.append(
                    AlertEvent(
                        severity=rule.severity, reason=rule.reason, detail=f"{slot_name}: {raw}"
                    )
                )

    def _fill_ahead(self, state: DialogState, text: str, raw: str, conf: float, out: _Out) -> None:
        current = self._node(state).collect
        for name, slot in self.script.slots.items():
            if not slot.fill_ahead or name == current or state.slots.get(name) is not None:
                continue
            got = extract(slot, text, today=self._today(state), strict=True)
            if got is not None and in_range(slot, got.value, state.vars):
                self._fill(state, None, slot, got, raw, conf, out, name=name)

    def _correct(
        self, state: DialogState, node: Node, text: str, out: _Out, *, cue_needed: bool
    ) -> bool:
        """Apply "actually make it five people" / "no, Saturday" to slots already filled."""
        if cue_needed and not _CORRECTION_CUE.search(text):
            return False
        if node.corrects:
            candidates = list(node.corrects)
        else:
            candidates = [
                n
                for n, s in self.script.slots.items()
                if s.correctable and state.slots.get(n) is not None and n != node.collect
            ]
        changed: dict[str, Any] = {}
        for name in candidates:
            slot = self.script.slots[name]
            got = extract(slot, text, today=self._today(state), strict=True)
            if got is None or not in_range(slot, got.value, state.vars):
                continue
            if state.slots.get(name) != got.value:
                changed[name] = got.value
        if not changed:
            return False
        state.slots.update(changed)
        state.vars["correction"] = changed
        out.say.append("Okay.")
        target = node.after_correction or state.node
        if target == state.node:
            state.visits[state.node] = state.visits.get(state.node, 0)  # same wording again
        self._enter(state, target, out, reentry=target == state.node)
        return True

    def _invalid(self, state: DialogState, node: Node, slot: Slot, out: _Out) -> None:
        if slot.invalid:
            state.nomatch += 1
            out.say.append(self._variant(slot.invalid, state.nomatch - 1, state))
            out.say.extend(state.last_say)
            if state.nomatch > node.max_nomatch:
                self._fail(state, node, out)
            return
        self._no_match(state, node, out)

    def _no_match(self, state: DialogState, node: Node, out: _Out) -> None:
        state.nomatch += 1
        if state.nomatch > node.max_nomatch:
            self._fail(state, node, out)
            return
        if node.nomatch:
            out.say.append(self._variant(node.nomatch, state.nomatch - 1, state))
        else:
            out.say.append(DEFAULT_PROMPTS["nomatch"])
            out.say.extend(state.last_say)

    def _fail(self, state: DialogState, node: Node, out: _Out) -> None:
        if node.on_fail:
            self._enter(state, node.on_fail, out)
        else:
            out.say.append(DEFAULT_PROMPTS["fail"])
            self._transfer(state, out)

    # ---- global intents -------------------------------------------------------------------------

    def _intent(self, state: DialogState, intent: str, raw: str, out: _Out) -> None:
        handler = self.script.intents.get(intent)
        if intent == "emergency":
            reason = nlu.emergency_reason(nlu.normalize(raw)) or "emergency"
            out.events.append(AlertEvent(severity=Severity.URGENT, reason=reason, detail=raw))
        elif intent == "stop_calling":
            out.events.append(OptOutEvent())
        elif intent == "call_later":
            out.events.append(CallbackEvent(when=raw))
        elif intent in ("repeat", "slower"):
            if intent == "slower":
                state.rate = max(MIN_RATE, round(state.rate * 0.8, 2))
                out.events.append(VoiceEvent(speaking_rate=state.rate))
                out.say.append(DEFAULT_PROMPTS["slower"])
            out.say.extend(state.last_say)
            return
        if handler is not None:
            out.say.extend(render(s, self._values(state)) for s in handler.say)
            if handler.goto:
                self._enter(state, handler.goto, out)
                return
        else:
            out.say.append(DEFAULT_PROMPTS[intent])
        if intent in ("emergency", "human"):
            self._transfer(state, out)
        elif intent == "stop_calling":
            self._hang_up(state, "opted_out", out)
        elif intent == "call_later":
            self._hang_up(state, "callback", out)
        elif intent == "goodbye":
            self._hang_up(state, "completed", out)

    # ---- moving through the script ------------------------------------------------------------

    def _enter(self, state: DialogState, name: str, out: _Out, *, reentry: bool = False) -> None:
        for _ in range(MAX_HOPS):
            node = self.script.nodes[name]
            state.node = name
            state.nomatch = state.noinput = 0
            if not reentry:
                state.visits[name] = state.visits.get(name, 0) + 1
            reentry = False
            if node.collect and node.skip_if_filled and state.slots.get(node.collect) is not None:
                name = self._next(node, state)
                continue
            said = [self._variant(node.say, state.visits[name] - 1, state)] if node.say else []
            out.say.extend(said)
            for action in node.actions:
                self._act(state, node, action, out)
                if state.ended:
                    return
            if node.end:
                self._hang_up(state, node.outcome or "completed", out)
                return
            if node.collect:
                state.last_say = said or state.last_say
                return
            name = self._next(node, state)
        raise RuntimeError(f"script {self.script.name!r} loops without asking anything")

    def _next(self, node: Node, state: DialogState) -> str:
        for t in node.next:
            if t.when is None or holds(t.when, state.slots, state.vars):
                return t.goto
        return state.node  # the loader requires a default; stay put if a script lacks one

    def _act(self, state: DialogState, node: Node, action: Action, out: _Out) -> None:
        args = {k: self._arg(v, state) for k, v in action.args.items()}
        name = action.name
        if name in PORT_ACTIONS:
            result = self.port.perform(name, args)
            state.vars["result"] = {"ok": result.ok, **result.data}
            out.events.append(ActionEvent(name=name, ok=result.ok, data=result.data))
        elif name == "raise_alert":
            out.events.append(
                AlertEvent(
                    severity=Severity(str(args.get("severity", "normal"))),
                    reason=str(args.get("reason", "alert")),
                    detail=str(args.get("detail", "")),
                )
            )
        elif name == "set":
            state.slots.update(args)
        elif name == "opt_out":
            out.events.append(OptOutEvent())
        elif name == "schedule_callback":
            out.events.append(CallbackEvent(when=str(args.get("when", ""))))
        elif name == "transfer_to_human":
            self._transfer(state, out)
        elif name == "hang_up":
            self._hang_up(state, str(args.get("outcome", node.outcome or "completed")), out)

    def _transfer(self, state: DialogState, out: _Out) -> None:
        out.events.append(TransferEvent())
        state.ended, state.outcome = True, "transferred"

    def _hang_up(self, state: DialogState, outcome: str, out: _Out) -> None:
        out.events.append(HangUpEvent(outcome=outcome))
        state.ended, state.outcome = True, outcome

    # ---- helpers --------------------------------------------------------------------------------

    def _node(self, state: DialogState) -> Node:
        return self.script.nodes[state.node]

    def _slot(self, node: Node) -> Slot | None:
        return self.script.slots[node.collect] if node.collect else None

    def _values(self, state: DialogState) -> dict[str, Any]:
        return {**state.vars, **state.slots}

    def _variant(self, variants: list[str], index: int, state: DialogState) -> str:
        return render(variants[index % len(variants)], self._values(state))

    def _arg(self, value: Any, state: DialogState) -> Any:
        if not isinstance(value, str):
            return value
        single = _SINGLE_PLACEHOLDER.match(value)
        if single:  # a bare "{slot}" passes the stored value, not its spoken form
            return lookup(single.group(1), self._values(state))
        return render(value, self._values(state))

    def _today(self, state: DialogState) -> dt.date:
        now = state.vars.get("now")
        if isinstance(now, str):
            try:
                return dt.datetime.fromisoformat(now).date()
            except ValueError:
                pass
        return dt.date.today()

    def _turn(self, state: DialogState, out: _Out) -> Turn:
        expect = None
        if not state.ended:
            node = self._node(state)
            slot = self._slot(node)
            if slot is not None and node.collect is not None:
                digits = 2 if slot.type.value in ("number", "party_size") else 1
                expect = Expectation(
                    slot=node.collect, slot_type=slot.type, hints=hints_for(slot), max_digits=digits
                )
        return Turn(state=state, say=out.say, events=out.events, expect=expect, ended=state.ended)
