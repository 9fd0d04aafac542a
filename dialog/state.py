"""A call's dialog state: everything needed to resume or audit a conversation, as JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DialogState(BaseModel):
    """Where a conversation is. Plain JSON values only, so it persists after every turn."""

    script: str
    node: str
    slots: dict[str, Any] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    visits: dict[str, int] = Field(default_factory=dict)
    nomatch: int = 0
    noinput: int = 0
    last_say: list[str] = Field(default_factory=list)
    rate: float = 1.0
    turn: int = 0
    ended: bool = False
    outcome: str | None = None

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str) -> DialogState:
        return cls.model_validate_json(data)
