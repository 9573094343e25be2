"""Words and numbers as a learner reads them: one home for the formatting the charts and widgets share.

Percentages (:func:`pct`), shortened names (:func:`short`), values in error messages
(:func:`describe`), counted nouns (:func:`count_of`), ratios (:func:`times`) and the names of
two designs side by side (:func:`pair_names`). :mod:`funnel_lib.plots`, the live charts and
the widgets all call these, so a number reads the same wherever it appears.

>>> pct(0.0031), short("Watch a 10-second clip about the product", 20), count_of(3, "step")
('0.31%', 'Watch a 10-second c…', '3 steps')
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["pct", "short", "describe", "esc", "count_of", "times", "pair_names", "ELLIPSIS"]

ELLIPSIS = "\u2026"
"""The one character that ends a shortened name."""


def pct(share: float) -> str:
    """A share as a short percentage: one decimal from 1 %, two significant digits below.

    Real cold-audience rates are often 0.1-1 %, so "0.1%" for all of them would hide every
    change; shares below 0.001 % read "<0.001%", and NaN reads "n/a".

    >>> pct(0.257), pct(0.0014), pct(0.0001), pct(0.0), pct(2e-6), pct(float("nan"))
    ('25.7%', '0.14%', '0.01%', '0.0%', '<0.001%', 'n/a')
    """
    share = float(share)
    if math.isnan(share):
        return "n/a"
    if 0 < share < 0.000005:
        return "<0.001%"
    return f"{share:.1%}" if share >= 0.01 or share <= 0 else f"{100 * share:.2g}%"


def short(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when it was cut.

    >>> short("Read a case study", 40), short("Read a long case study", 10)
    ('Read a case study', 'Read a lo…')
    """
    text = str(text)
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def describe(value: Any) -> str:
    """A short ``repr`` of a value with its type, for error messages.

    >>> describe([1, 2]), describe("x" * 80)[-12:]
    ('[1, 2] (list)', 'xxx... (str)')
    """
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def esc(text: Any) -> str:
    """HTML-escape any value's text (quotes too, so it is safe in attributes).

    >>> esc('Say "yes" <now>')
    'Say &quot;yes&quot; &lt;now&gt;'
    """
    return html.escape(str(text), quote=True)


def count_of(n: int, noun: str) -> str:
    """``n`` and a noun that takes an "s" when ``n`` is not 1.

    >>> count_of(1, "step"), count_of(0, "error")
    ('1 step', '0 errors')
    """
    return f"{n} {noun}{'s' * (n != 1)}"


def times(ratio: float) -> str:
    """A ratio of two conversions: one decimal below 10, none from 10 ("2.4", "13").

    >>> times(2.44), times(12.6)
    ('2.4', '13')
    """
    return f"{ratio:.1f}" if ratio < 10 else f"{ratio:.0f}"


def pair_names(name_a: str, name_b: str, fallbacks: tuple[str, str] = ("funnel A", "funnel B")) -> tuple[str, str]:
    """The names two designs go by side by side: their own, or ``fallbacks``; "(A)" and "(B)" when equal.

    >>> pair_names("ladder", "ladder"), pair_names("", "ladder")
    (('ladder (A)', 'ladder (B)'), ('funnel A', 'ladder'))
    """
    a, b = name_a or fallbacks[0], name_b or fallbacks[1]
    if a == b:
        return f"{a} (A)", f"{b} (B)"
    return a, b
