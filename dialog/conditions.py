"""Evaluate a script's conditions against a state's slots and variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialog.script import Condition
from dialog.templates import lookup


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def holds(cond: Condition, slots: Mapping[str, Any], variables: Mapping[str, Any]) -> bool:
    if cond.all is not None:
        return all(holds(c, slots, variables) for c in cond.all)
    if cond.any is not None:
        return any(holds(c, slots, variables) for c in cond.any)
    value = slots.get(cond.slot) if cond.slot is not None else lookup(cond.var or "", variables)
    checks: list[bool] = []
    if cond.set is not None:
        checks.append((value is not None) == cond.set)
    if cond.eq is not None:
        checks.append(value == cond.eq)
    if cond.ne is not None:
        checks.append(value != cond.ne)
    if cond.in_ is not None:
        checks.append(value in cond.in_)
    number = _number(value)
    bounds = ((cond.gt, 1, False), (cond.gte, 1, True), (cond.lt, -1, False), (cond.lte, -1, True))
    for bound, sign, inclusive in bounds:
        if bound is not None:
            ok = number is not None and (
                sign * (number - bound) > 0 or (inclusive and number == bound)
            )
            checks.append(ok)
    if not checks:  # a bare subject means "is truthy"
        return bool(value)
    return all(checks)
