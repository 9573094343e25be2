"""Plausible wrong answers for ex04_reward_and_conversion, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Generated together
with the assignment (keep the grade ids in step with solutions/ex04_reward_and_conversion/ex04_reward_and_conversion.ipynb).
"""

WRONG = [
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "divides ask by value (what it costs per point of value) instead of value by ask",
        "source": """\
steps = [s for s in freshfork_stingy.steps if s.stage is not Stage.CONVERSION]
gives_back = {s.name: s.ask / s.value for s in steps}
stingiest = min(gives_back, key=gives_back.get)
""",
    },
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "includes the conversion step",
        "source": """\
gives_back = {s.name: s.value / s.ask for s in freshfork_stingy.steps}
stingiest = min(gives_back, key=gives_back.get)
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "makes only the account step worth it; the postcode and rating steps still take more than they give",
        "source": """\
freshfork_rewarding = freshfork_stingy.copy()
freshfork_rewarding.replace(2, value=5)
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "shrinks every middle ask to a click: rewarding, but the climb to the subscription becomes a jump",
        "source": """\
freshfork_rewarding = freshfork_stingy.copy()
for i in (1, 2, 3):
    freshfork_rewarding.replace(i, ask=1)
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "asks for the subscription right after the free kit (no proof, people not yet ready)",
        "source": 'freshfork_ready = Funnel([*freshfork_start, subscribe])',
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "prepares people with a paid three-month plan before the subscription: a bigger ask than the "
               "conversion, too early (the checker finds errors)",
        "source": """\
freshfork_ready = Funnel([*freshfork_start,
                          Step('Read reviews', 'reinforcement', ask=1.5, value=2, trust=7),
                          Step('Pay for a 3-month box plan up front', 'progression', ask=8.5, value=5, trust=4),
                          subscribe])
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "off by one: uses the first k + 1 steps",
        "source": """\
before, final = list(freshfork_ladder.steps[:-1]), freshfork_ladder.steps[-1]
runs = [simulate(Funnel([*before[:k + 1], final]), 'cold') for k in range(6)]
conversion_if_asked_after = [r.conversion for r in runs]
first_ready_k = next(k for k, r in enumerate(runs) if r.table['readiness'].iloc[-1] >= final.ask)
why_early = 'a'
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "right numbers, but blames the lack of trust",
        "source": """\
before, final = list(freshfork_ladder.steps[:-1]), freshfork_ladder.steps[-1]
runs = [simulate(Funnel([*before[:k], final]), 'cold') for k in range(6)]
conversion_if_asked_after = [r.conversion for r in runs]
first_ready_k = next(k for k, r in enumerate(runs) if r.table['readiness'].iloc[-1] >= final.ask)
why_early = 'c'
""",
    },
]
