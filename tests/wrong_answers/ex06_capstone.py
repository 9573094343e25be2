"""Plausible wrong answers for ex06_capstone, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Generated together
with the assignment (keep the grade ids in step with solutions/ex06_capstone/ex06_capstone.ipynb).
"""

WRONG = [
    {
        "cell": "capstone_answer",
        "loses": ["q1_test", "q2_test"],
        "why": "puts the neighbours' stories (Reinforcement) before the report (Progression): stages go back",
        "source": """\
capstone = Funnel([
    Step("Watch a 20-second clip of a roof going solar in a day", "entry", ask=1, value=2, trust=2),
    Step("Use the roof-savings calculator", "engagement", ask=2.5, value=6, trust=3),
    Step("Read how three neighbours cut their bills", "reinforcement", ask=2, value=4, trust=7),
    Step("Get a free satellite report on your roof by e-mail", "progression", ask=3.5, value=7, trust=4),
    Step("Book a free home survey", "reinforcement", ask=5, value=7, trust=6),
    Step("Get a fixed-price quote with the 10-year guarantee", "reinforcement", ask=6.5, value=7, trust=8),
    Step("Sign a home-solar installation contract", "conversion", ask=9.5, value=9, trust=6),
])
""",
    },
    {
        "cell": "capstone_answer",
        "loses": ["q1_test"],
        "why": "no Engagement step: the calculator is dropped and the report opens the middle",
        "source": """\
capstone = Funnel([
    Step("Watch a 20-second clip of a roof going solar in a day", "entry", ask=1, value=2, trust=2),
    Step("Get a free satellite report on your roof by e-mail", "progression", ask=3.5, value=7, trust=4),
    Step("Read how three neighbours cut their bills", "reinforcement", ask=2, value=4, trust=7),
    Step("Book a free home survey", "reinforcement", ask=5, value=7, trust=6),
    Step("Get a fixed-price quote with the 10-year guarantee", "reinforcement", ask=6.5, value=7, trust=8),
    Step("Sign a home-solar installation contract", "conversion", ask=9.5, value=9, trust=6),
])
""",
    },
    {
        "cell": "capstone_answer",
        "loses": ["q1_test"],
        "why": "the quote is labelled Conversion too: two Conversion steps (the hidden test catches it)",
        "source": """\
capstone = Funnel([
    Step("Watch a 20-second clip of a roof going solar in a day", "entry", ask=1, value=2, trust=2),
    Step("Use the roof-savings calculator", "engagement", ask=2.5, value=6, trust=3),
    Step("Get a free satellite report on your roof by e-mail", "progression", ask=3.5, value=7, trust=4),
    Step("Read how three neighbours cut their bills", "reinforcement", ask=2, value=4, trust=7),
    Step("Book a free home survey", "reinforcement", ask=5, value=7, trust=6),
    Step("Get a fixed-price quote with the 10-year guarantee", "conversion", ask=6.5, value=7, trust=8),
    Step("Sign a home-solar installation contract", "conversion", ask=9.5, value=9, trust=6),
])
""",
    },
]
