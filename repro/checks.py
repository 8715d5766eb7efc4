"""Small argument checks shared by the library, so every message says the same thing the same way.

`check_int("seeds", seeds, 2)` replaces the hand-written
`not isinstance(x, int) or isinstance(x, bool) or x < 2`: it rejects booleans (True is an int in
Python, but `seeds=True` is a mistake), accepts any integral number (a numpy integer too) and
returns it as a plain int; the error names the parameter, the value and the allowed values.
"""
from __future__ import annotations

import numbers


class ClaimError(ValueError):
    """A claim file is malformed; the message names the claim and the field."""


def check_int(name: str, value: object, minimum: int, maximum: int | None = None, *, why: str = "",
              where: str = "", error: type[Exception] = ValueError) -> int:
    """`value` as an int, if it is an integer from `minimum` to `maximum` (inclusive; None: no upper
    bound); else raise `error` (a ValueError by default) naming `name`, the value and the allowed range.

    why: a reason appended in parentheses, e.g. "paired tests need at least 2 seeds".
    where: a prefix saying whose parameter it is, e.g. "claim 'x-y'".
    """
    if maximum is not None and maximum < minimum:
        raise ValueError(f"check_int({name!r}): maximum={maximum} is below minimum={minimum}")
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if integral and minimum <= value and (maximum is None or value <= maximum):
        return int(value)
    allowed = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
    if minimum == 1 and maximum is None:
        allowed = "a positive integer"
    message = f"{name}={value!r} must be {allowed}" + (f" ({why})" if why else "")
    raise error(f"{where}: {message}" if where else message)


def check_alpha(alpha: object) -> float:
    """`alpha` as a float, if it is a number in (0, 0.5) (a one-sided test's level); else ValueError."""
    if not (isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and 0 < alpha < 0.5):
        raise ValueError(f"alpha={alpha!r} must be a number in (0, 0.5)")
    return float(alpha)
