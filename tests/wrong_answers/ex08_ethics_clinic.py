"""Plausible wrong answers for ex08_ethics_clinic, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Keep the grade ids in
step with solutions/ex08_ethics_clinic/ex08_ethics_clinic.ipynb.
"""

WRONG = [
    {
        "cell": "q1a_answer",
        "loses": ["q1a_test"],
        "why": "spots the trial that bills itself but not the phone-only cancellation",
        "source": 'patterns_1 = {"MC602"}',
    },
    {
        "cell": "q2a_answer",
        "loses": ["q2a_test"],
        "why": "a list, not a set (the visible test catches it)",
        "source": 'patterns_2 = ["MC601", "MC607"]',
    },
    {
        "cell": "q3a_answer",
        "loses": ["q3a_test"],
        "why": "adds pre-ticked consent, which the ticket shop does not use",
        "source": 'patterns_3 = {"MC601", "MC604", "MC605", "MC606"}',
    },
    {
        "cell": "q1b_answer",
        "loses": ["q1b_test"],
        "why": "stops the trial billing itself but leaves cancelling by phone",
        "source": """\
fixed_1 = clinic_1.copy()
fixed_1.replace(3, auto_renews=False)
""",
    },
    {
        "cell": "q2b_answer",
        "loses": ["q2b_test"],
        "why": "unticks the partner box but keeps the shaming no button",
        "source": """\
fixed_2 = clinic_2.copy()
fixed_2.replace(2, consent_preticked=False)
""",
    },
    {
        "cell": "q3b_answer",
        "loses": ["q3b_test"],
        "why": "shows no fee by cutting it from the price: the ticket's ask falls below the goal",
        "source": """\
fixed_3 = clinic_3.copy()
fixed_3.replace(4, ask=4.5, hidden_cost=0, added_extras=False, false_urgency=False)
""",
    },
    {
        "cell": "q2b_answer",
        "loses": ["q2b_test"],
        "why": ("removes both patterns but turns the newsletter into promotions only (value 1): no error, "
                "but fewer people convert (the hidden test catches it)"),
        "source": """\
fixed_2 = clinic_2.copy()
fixed_2.replace(2, consent_preticked=False, confirmshaming=False, value=1)
""",
    },
]
