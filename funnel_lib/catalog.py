"""A catalogue of common funnel actions with documented default sizes.

Sizes use the course's 0-10 scales:

* ``ask`` - how big a commitment the action requests (0 = nothing, 1 = glance at a
  10-second clip, 10 = a large purchase or a long contract);
* ``value`` - how much the person gets back at that step;
* ``trust`` - how strong the trust signals shown at that step are.

The defaults are judgement calls made for teaching, not measurements: change them to fit
your product (``Step.from_catalog("buy", ask=6)``).

>>> ASK_CATALOG["free_trial"].ask
5.0
>>> len(ASK_CATALOG) >= 12
True
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from funnel_lib._validate import choice_error
from funnel_lib.errors import FunnelTypeError
from funnel_lib.stages import Stage

__all__ = ["CatalogEntry", "ASK_CATALOG", "catalog_frame", "lookup_action"]


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One common action with its default sizes and the stage it usually belongs to.

    >>> ASK_CATALOG["quiz"].label
    'Take a 3-question quiz'
    """

    key: str
    label: str
    ask: float
    value: float
    trust: float
    stage: Stage
    why: str


def _entry(key: str, label: str, ask: float, value: float, trust: float, stage: str, why: str) -> CatalogEntry:
    return CatalogEntry(key, label, float(ask), float(value), float(trust), Stage(stage), why)


ASK_CATALOG: dict[str, CatalogEntry] = {
    e.key: e
    for e in [
        _entry("watch_clip", "Watch a 10-second clip", 1, 2, 1, "entry",
               "a glance: no account, no data, seconds of time"),
        _entry("learn_more", "Click to learn more", 1, 1, 1, "entry",
               "one click out of curiosity, easy to undo"),
        _entry("follow", "Follow or like the page", 1.5, 1, 1, "entry",
               "public but tiny; says 'I am interested'"),
        _entry("read_post", "Read a short article", 1.5, 4, 2, "engagement",
               "a few minutes of attention in exchange for an insight"),
        _entry("quiz", "Take a 3-question quiz", 2, 4, 2, "engagement",
               "a minute of effort; the answer is personal value"),
        _entry("calculator", "Try a free calculator", 2.5, 5, 2, "engagement",
               "hands-on use of a small tool; shows competence"),
        _entry("testimonials", "Watch customer stories", 1.5, 2, 7, "reinforcement",
               "costs little, mainly shows that people like you succeeded"),
        _entry("case_study", "Read a case study", 2, 4, 6, "reinforcement",
               "detailed proof; some reading time"),
        _entry("download_guide", "Download a guide for an e-mail address", 3, 6, 3, "progression",
               "gives up an e-mail address: the first personal data"),
        _entry("newsletter", "Subscribe to the newsletter", 3, 3, 3, "progression",
               "an ongoing relationship, easy to leave"),
        _entry("webinar", "Register for a live webinar", 4, 6, 4, "progression",
               "an hour of time at a fixed date"),
        _entry("create_account", "Create a free account", 4, 4, 3, "progression",
               "password, profile and a promise to come back"),
        _entry("free_trial", "Start a free trial", 5, 7, 4, "progression",
               "real use of the product; setting up takes effort"),
        _entry("book_demo", "Book a demo call", 6, 6, 5, "reinforcement",
               "talking to a salesperson: time plus social pressure"),
        _entry("request_quote", "Request a quote", 6, 4, 4, "conversion",
               "shares needs and contact details with sales"),
        _entry("starter_purchase", "Buy a low-price starter", 6.5, 6, 4, "conversion",
               "the first payment, small but real"),
        _entry("buy", "Buy the product", 8, 8, 5, "conversion",
               "a real purchase: money and a decision"),
        _entry("annual_contract", "Sign an annual contract", 9.5, 8, 5, "conversion",
               "a year of payments and a legal commitment"),
        _entry("large_purchase", "Make a large purchase", 10, 9, 5, "conversion",
               "a big sum; the largest ask on the scale"),
    ]
}


def lookup_action(action: str) -> CatalogEntry:
    """Return the catalogue entry for ``action``, or raise a ValueError listing the known actions.

    >>> lookup_action("buy").ask
    8.0
    """
    if not isinstance(action, str):
        raise FunnelTypeError(f"action must be a string naming a catalogue entry, got {action!r} "
                              f"({type(action).__name__})")
    key = action.strip().lower()
    if key not in ASK_CATALOG:
        raise choice_error("action", action, ASK_CATALOG)
    return ASK_CATALOG[key]


def catalog_frame() -> pd.DataFrame:
    """The catalogue as a table, smallest ask first.

    >>> catalog_frame().loc["watch_clip", "ask"]
    np.float64(1.0)
    """
    rows = [
        {"action": e.key, "label": e.label, "stage": e.stage.value, "ask": e.ask, "value": e.value,
         "trust": e.trust, "why this size": e.why}
        for e in ASK_CATALOG.values()
    ]
    frame = pd.DataFrame(rows).set_index("action")
    return frame.sort_values("ask", kind="stable")
