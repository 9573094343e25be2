"""The errors the core library raises on purpose, under one base class: :class:`FunnelError`.

Every message names the argument, shows the value received and says what is allowed
(``ask must be between 0 and 10, got 12``). Each concrete error also inherits the built-in
exception it used to be (``ValueError``, ``TypeError``, ``IndexError``), so code written as
``except ValueError`` keeps working, while ``except FunnelError`` catches exactly the library's
own complaints about its input and nothing else (a bug in the library is never a FunnelError).

The grading subsystem (:mod:`funnel_lib.grading`) has its own errors.

>>> import funnel_lib
>>> try:
...     funnel_lib.Step("Buy", "conversion", ask=12)
... except funnel_lib.FunnelError as error:
...     print(type(error).__name__, "-", error)
FunnelValueError - ask must be between 0 and 10, got 12
"""

from __future__ import annotations

__all__ = ["FunnelError", "FunnelValueError", "FunnelTypeError", "FunnelIndexError"]


class FunnelError(Exception):
    """Base class of every error the core library raises about its input (bad arguments, impossible requests).

    >>> import funnel_lib
    >>> issubclass(funnel_lib.FunnelValueError, funnel_lib.FunnelError)
    True
    """

    __module__ = "funnel_lib"


class FunnelValueError(FunnelError, ValueError):
    """An argument has the right type but a value that is not allowed (``ask=12``, ``audience="lukewarm"``).

    >>> from funnel_lib import Audience
    >>> Audience("x", readiness_mean=11)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: readiness_mean must be between 0 and 10, got 11
    """

    __module__ = "funnel_lib"


class FunnelTypeError(FunnelError, TypeError):
    """An argument has the wrong type (a string where a number is needed, a list where a Funnel is needed).

    >>> from funnel_lib import simulate
    >>> simulate([1, 2])
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelTypeError: funnel must be a Funnel, got [1, 2] (list)
    """

    __module__ = "funnel_lib"


class FunnelIndexError(FunnelError, IndexError):
    """A step position is outside the funnel.

    >>> from funnel_lib import Funnel, Step
    >>> Funnel([Step("Buy", "conversion", ask=8)]).remove(3)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelIndexError: index must be between 0 and 0 (the funnel has 1 steps), got 3
    """

    __module__ = "funnel_lib"
