"""The checker: :func:`check` reads a funnel against the framework and returns a :class:`Report`.

The framework has eight steps (a low-friction entry, immediate value, a next small step,
gradual commitment, trust at every step, asks that fit the person's intent, rewarding steps,
and a conversion only once people are ready), five stages in a fixed order, and five named
mistakes. Each of these 14 principles, and ethics (the ``MC6xx`` dark-pattern rules), is enforced
by at least one rule in :data:`RULES`; every finding says what is wrong, with numbers, how to fix it,
and which lesson teaches it.

>>> from funnel_lib.model import Funnel, Step
>>> cold_sale = Funnel([Step("Book a demo", "conversion", ask=6, value=5, trust=5)], name="cold sale")
>>> report = check(cold_sale)
>>> report.ok, report.codes
(False, ['MC102', 'MC106', 'MC201', 'MC202', 'MC503'])
>>> print(report.findings[1].message)  # doctest: +NORMALIZE_WHITESPACE
Step 1 "Book a demo" asks for 6; an entry step should ask for at most 2 so a stranger can say yes
without thinking. Open with something light and relevant, such as "Watch a 10-second clip" (ask 1),
and move "Book a demo" later. (Lesson 02: a low-friction entry point)

Severities: an **error** is one of the framework's mistakes at its clearest, a **warning** a
softer issue, **info** a tip. ``Report.ok`` is True when there is no error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import pandas as pd

from funnel_lib._format import count_of, esc
from funnel_lib._rules import (
    LESSON_TITLES,
    LESSONS,
    MISTAKES,
    PRINCIPLES,
    RULES,
    SEVERITIES,
    Finding,
    Rule,
    _Context,
    fit_flags,
    lesson_reference,
    rules_frame,
)
from funnel_lib.audience import Audience, resolve_audience
from funnel_lib.model import Funnel
from funnel_lib.simulate import SimulationResult, simulate
from funnel_lib.thresholds import DEFAULT_THRESHOLDS, Thresholds, resolve_thresholds

__all__ = [
    "check", "Report", "Finding", "Thresholds", "Rule", "RULES", "PRINCIPLES", "MISTAKES", "LESSONS",
    "LESSON_TITLES", "SEVERITIES", "SCORE_PENALTIES", "DEFAULT_THRESHOLDS", "rules_frame", "lesson_reference",
    "fit_flags",
]

SCORE_PENALTIES: dict[str, int] = {"error": 25, "warning": 8, "info": 2}
"""Points a finding of each severity takes off the score of 100 (see :attr:`Report.score`)."""

FRAME_COLUMNS = ("code", "severity", "step", "step_name", "principle", "lesson", "message")
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Report:
    """What :func:`check` returns: the findings, most serious first, and views of them.

    ``findings`` are sorted by severity (errors first), then by step (whole-funnel findings
    first), then by code. ``Report`` deliberately has no truth value: ``if report:`` raises
    a TypeError; write ``if report.ok:``.

    >>> from funnel_lib.model import Funnel, Step
    >>> report = check(Funnel([Step("Watch", "entry", ask=1, value=3), Step("Buy", "conversion", ask=8)]))
    >>> report.ok, len(report.errors), report.score
    (False, 2, 34)
    >>> report.summary()
    'funnel: score 34/100, 2 errors, 2 warnings, 0 tips. Fix the errors first: MC106, MC202.'
    """

    findings: list[Finding]
    funnel_name: str = ""
    step_names: tuple[str, ...] = ()
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    audience: str | None = "cold"
    fit_flags: tuple[str | None, ...] | None = None
    """Per step, how its ask fits the people arriving ("resistance", "stagnation" or None), as
    :func:`fit_flags` computed them for the ``MC5xx`` rules; ``None`` when no audience was given."""

    @property
    def ok(self) -> bool:
        """True when no finding is an error (warnings and tips are allowed).

        >>> Report([]).ok
        True
        """
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        """The findings whose severity is ``"error"``.

        >>> Report([]).errors
        []
        """
        return self._of("error")

    @property
    def warnings(self) -> list[Finding]:
        """The findings whose severity is ``"warning"``.

        >>> Report([]).warnings
        []
        """
        return self._of("warning")

    @property
    def infos(self) -> list[Finding]:
        """The findings whose severity is ``"info"`` (tips).

        >>> Report([]).infos
        []
        """
        return self._of("info")

    def _of(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def codes(self) -> list[str]:
        """The distinct rule codes found, sorted.

        >>> from funnel_lib.model import Funnel, Step
        >>> check(Funnel([Step("Buy", "conversion", ask=8, value=8, trust=5)]), audience=None).codes
        ['MC102', 'MC106', 'MC201', 'MC202']
        """
        return sorted({f.code for f in self.findings})

    @property
    def principles(self) -> list[str]:
        """The distinct principles with at least one finding, in framework order.

        >>> Report([Finding("MC201", "error", 0, "step1_entry", "...")]).principles
        ['step1_entry']
        """
        found = {f.principle for f in self.findings}
        return [p for p in PRINCIPLES if p in found]

    @property
    def score(self) -> int:
        """0-100: ``100 - 25 x errors - 8 x warnings - 2 x tips``, clipped at 0 (see SCORE_PENALTIES).

        Adding a finding never raises the score.

        >>> Report([Finding("MC201", "error", 0, "step1_entry", "...")]).score
        75
        """
        penalty = sum(SCORE_PENALTIES[f.severity] for f in self.findings)
        return max(0, 100 - penalty)

    def by_principle(self) -> dict[str, list[Finding]]:
        """The findings grouped by principle, in framework order (principles without findings left out).

        >>> from funnel_lib.model import Funnel, Step
        >>> list(check(Funnel([Step("Buy", "conversion", ask=8, value=8, trust=5)]), audience=None).by_principle())
        ['step1_entry', 'step3_next_step', 'too_much_too_early', 'stage_order']
        """
        return {p: [f for f in self.findings if f.principle == p] for p in self.principles}

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: code, severity, step, step_name, principle, lesson, message.

        ``step`` counts from 1 here, as in ``Funnel.to_frame()`` and in the messages (the
        Finding keeps the 0-based index); it is missing (<NA>) for whole-funnel findings.

        >>> from funnel_lib.model import Funnel, Step
        >>> frame = check(Funnel([Step("Buy", "conversion", ask=8, value=8, trust=5)]), audience=None).to_frame()
        >>> frame[["code", "severity", "step", "lesson"]]
            code severity  step  lesson
        0  MC106    error  <NA>       4
        1  MC201    error     1       2
        2  MC202    error     1      11
        3  MC102  warning     1      13
        """
        rows = [
            {"code": f.code, "severity": f.severity, "step": None if f.step is None else f.step + 1,
             "step_name": self._step_name(f.step), "principle": f.principle, "lesson": f.lesson,
             "message": f.message}
            for f in self.findings
        ]
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        frame["step"] = frame["step"].astype("Int64")
        frame["lesson"] = frame["lesson"].astype("int64")
        return frame

    def summary(self) -> str:
        """One line: the score, the counts per severity and what to do next.

        >>> Report([], funnel_name="ladder").summary()
        'ladder: score 100/100, 0 errors, 0 warnings, 0 tips. No mistakes found.'
        """
        e, w, i = len(self.errors), len(self.warnings), len(self.infos)
        counts = (f"{self.funnel_name or 'funnel'}: score {self.score}/100, {e} error{'s' * (e != 1)}, "
                  f"{w} warning{'s' * (w != 1)}, {i} tip{'s' * (i != 1)}.")
        if e:
            codes = sorted({f.code for f in self.errors})
            return f"{counts} Fix the errors first: {', '.join(codes)}."
        if w:
            return f"{counts} No mistakes; the warnings are worth a look."
        return f"{counts} No mistakes found."

    def _step_name(self, step: int | None) -> str:
        if step is None or step >= len(self.step_names):
            return ""
        return self.step_names[step]

    def __bool__(self) -> NoReturn:
        raise TypeError("the truth value of a Report is ambiguous; use report.ok (no errors), "
                        "report.findings (anything found) or report.score")

    def __repr__(self) -> str:
        return (f"Report(funnel={self.funnel_name!r}, ok={self.ok}, score={self.score}, "
                f"errors={len(self.errors)}, warnings={len(self.warnings)}, infos={len(self.infos)}, "
                f"codes={self.codes})")

    def findings_html(self) -> str:
        """The findings as an HTML list: one item per finding with its severity, code, place and message.

        The one renderer of findings: the report's own HTML view and the funnel builder both use it.
        Items carry the classes ``funnel-finding``, ``funnel-finding-<severity>`` and ``severity-<severity>``.

        >>> from funnel_lib.model import Funnel, Step
        >>> page = check(Funnel([Step("Buy", "conversion", ask=8, value=8, trust=5)]), audience=None).findings_html()
        >>> page.count("<li class='funnel-finding "), "data-code='MC201'" in page
        (4, True)
        """
        if not self.findings:
            return "<p class='funnel-findings-empty'>No findings: every rule passed.</p>"
        items = []
        for f in self.findings:
            where = "whole funnel" if f.step is None or f.step >= len(self.step_names) else f"step {f.step + 1}"
            severity = esc(f.severity)
            items.append(
                f"<li class='funnel-finding funnel-finding-{severity} severity-{severity}' data-code='{esc(f.code)}' "
                f"data-step='{'' if f.step is None else f.step}' data-principle='{esc(f.principle)}'>"
                f"<span class='funnel-badge'>{esc(f.severity.capitalize())}</span>"
                f"<span class='funnel-code'>{esc(f.code)}</span><span class='funnel-where'>{where}:</span> "
                f"{esc(f.message)}</li>")
        return f"<ul aria-label='Checker findings'>{''.join(items)}</ul>"

    def _repr_html_(self) -> str:
        verdict = "no mistakes" if self.ok else "has mistakes"
        head = (f"<div class='funnel-findings-summary'><b>{esc(self.funnel_name or 'Funnel')}</b>: "
                f"<span class='funnel-score'>score {self.score}/100</span>, "
                f"<span class='funnel-verdict {'verdict-ok' if self.ok else 'verdict-not-ok'}'>{verdict}</span>"
                f" ({count_of(len(self.errors), 'error')}, {count_of(len(self.warnings), 'warning')}, "
                f"{count_of(len(self.infos), 'tip')})</div>")
        return f"<div class='funnel-findings'>{head}{self.findings_html()}</div>"


def _sort_key(finding: Finding) -> tuple[int, int, str]:
    return (_SEVERITY_RANK[finding.severity], -1 if finding.step is None else finding.step, finding.code)


def _ignored(ignore: Iterable[str]) -> frozenset[str]:
    if isinstance(ignore, str):
        ignore = [ignore]
    try:
        codes = frozenset(ignore)
    except TypeError:
        raise TypeError(f"ignore must be a list of rule codes such as ['MC107'], got {ignore!r}") from None
    unknown = sorted(c for c in codes if c not in RULES)
    if unknown:
        raise ValueError(f"ignore has unknown rule code {unknown[0]!r}; known codes: {', '.join(RULES)}")
    return codes


def _model_readiness(funnel: Funnel, who: Audience, simulation: SimulationResult | None) -> list[float]:
    """The predicted readiness at each step: from ``simulation`` when it is this design's, else simulated now."""
    if simulation is None:
        return simulate(funnel, who).table["readiness"].to_list()
    if not isinstance(simulation, SimulationResult):
        raise TypeError(f"simulation must be a SimulationResult from simulate(funnel, audience) or None, "
                        f"got {simulation!r} ({type(simulation).__name__})")
    if simulation.users is not None:
        raise ValueError(f"simulation must come from the exact engine (users=None), got a cohort of "
                         f"{simulation.users} simulated people; run simulate(funnel, audience) without users")
    if simulation.audience != who:
        raise ValueError(f"simulation was run for the {simulation.audience.name!r} audience, but audience is "
                         f"{who.name!r}; pass the same audience to check()")
    if simulation.funnel != funnel:
        raise ValueError("simulation was run for a different funnel than the one checked; pass "
                         "simulate(funnel, audience) of this funnel")
    return simulation.table["readiness"].to_list()


def check(funnel: Funnel, thresholds: Thresholds | Mapping[str, Any] | None = None, *,
          audience: str | Audience | None = "cold", ignore: Iterable[str] = (),
          simulation: SimulationResult | None = None) -> Report:
    """Check a funnel against the framework and return a :class:`Report` of findings.

    ``thresholds`` is a :class:`Thresholds`, a dict of overrides (``{"max_steps": 10}``) or
    ``None`` for the defaults. ``audience`` (``"cold"``, ``"warm"``, ``"hot"`` or an
    ``Audience``) is who the funnel is for: the ``MC5xx`` rules run the user model
    (:func:`funnel_lib.simulate.simulate`) for that audience and compare each ask with the
    predicted readiness of the people reaching it; ``audience=None`` skips those rules.
    ``ignore`` lists rule codes to leave out. ``simulation`` is a finished exact
    ``simulate(funnel, audience)`` of the same design, re-used instead of simulating again (the
    funnel builder passes the one it shows).

    >>> from funnel_lib.model import Funnel, Step
    >>> ladder = Funnel([
    ...     Step.from_catalog("watch_clip"), Step.from_catalog("quiz"), Step.from_catalog("download_guide"),
    ...     Step.from_catalog("free_trial"), Step.from_catalog("case_study"), Step.from_catalog("buy"),
    ... ], name="ladder")
    >>> check(ladder).summary()
    'ladder: score 100/100, 0 errors, 0 warnings, 0 tips. No mistakes found.'
    >>> check(ladder, {"max_steps": 5}).codes
    ['MC107']
    >>> check(ladder, thresholds=Thresholds(max_entry_ask=0.5)).ok
    False
    >>> check(ladder, simulation=simulate(ladder, "cold")).fit_flags
    (None, None, None, None, None, None)
    """
    if not isinstance(funnel, Funnel):
        raise TypeError(f"funnel must be a Funnel, got {funnel!r} ({type(funnel).__name__}); "
                        "make one with Funnel([Step(...), ...]) or funnel_lib.examples.get_example(name)")
    if len(funnel) == 0:
        raise ValueError("funnel has no steps; add at least one Step before checking")
    limits = resolve_thresholds(thresholds)
    skip = _ignored(ignore)
    readiness = None
    audience_name = None
    if audience is not None:
        who = resolve_audience(audience)
        audience_name = who.name
        if simulation is not None or any(rule.uses_model and code not in skip for code, rule in RULES.items()):
            readiness = _model_readiness(funnel, who, simulation)
    elif simulation is not None:
        raise ValueError("simulation needs an audience: leave audience at the simulation's, or drop simulation")
    ctx = _Context(funnel.steps, limits, audience_name, readiness)
    findings: list[Finding] = []
    for code, rule in RULES.items():
        if code not in skip:
            findings.extend(rule.run(ctx))
    findings.sort(key=_sort_key)
    return Report(findings=findings, funnel_name=funnel.name, step_names=tuple(s.name for s in funnel.steps),
                  thresholds=limits, audience=audience_name, fit_flags=ctx.fit)
