"""Plausible wrong answers for ex05_mistakes_clinic, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Generated together
with the assignment (keep the grade ids in step with solutions/ex05_mistakes_clinic/ex05_mistakes_clinic.ipynb).
"""

WRONG = [
    {
        "cell": "q1a_answer",
        "loses": ["q1a_test"],
        "why": "sees a big ask and calls it too much too early, though three smaller steps come first",
        "source": 'mistake_1 = "too_much_too_early"',
    },
    {
        "cell": "q3a_answer",
        "loses": ["q3a_test"],
        "why": "calls the early paid membership a missing step",
        "source": 'mistake_3 = "skipping_steps"',
    },
    {
        "cell": "q4a_answer",
        "loses": ["q4a_test"],
        "why": "not a key of MISTAKES (the visible test catches it)",
        "source": 'mistake_4 = "zigzag"',
    },
    {
        "cell": "q1b_answer",
        "loses": ["q1b_test"],
        "why": "adds one rung only: the jump to the 12-month plan is still too big",
        "source": """\
fixed_1 = clinic_1.copy()
fixed_1.insert(2, Step('Get a free 7-day lesson plan by e-mail', 'progression', ask=3, value=6, trust=3))
""",
    },
    {
        "cell": "q2b_answer",
        "loses": ["q2b_test"],
        "why": "removes a single configurator step: still too many trivial clicks",
        "source": """\
fixed_2 = clinic_2.copy()
fixed_2.remove('Pick a basket')
""",
    },
    {
        "cell": "q3b_answer",
        "loses": ["q3b_test"],
        "why": "relabels the paid membership as Engagement without making it any smaller",
        "source": """\
fixed_3 = clinic_3.copy()
fixed_3.replace(2, stage='engagement')
""",
    },
    {
        "cell": "q5b_answer",
        "loses": ["q5b_test"],
        "why": "deletes the two steps that gave nothing: now the booking is a jump (an error the hidden test catches)",
        "source": """\
fixed_5 = clinic_5.copy()
fixed_5.remove('Fill in a 15-field patient form')
fixed_5.remove('Take a call from reception')
""",
    },
    {
        "cell": "q4b_answer",
        "loses": ["q4b_test"],
        "why": "moves the quiz forward but keeps the social-media click between bigger steps: still a zigzag",
        "source": """\
fixed_4 = clinic_4.copy()
fixed_4.move('Take the workspace-style quiz', 1)
""",
    },
]
