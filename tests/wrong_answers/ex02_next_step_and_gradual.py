"""Plausible wrong answers for ex02_next_step_and_gradual, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Generated together
with the assignment (keep the grade ids in step with solutions/ex02_next_step_and_gradual/ex02_next_step_and_gradual.ipynb).
"""

WRONG = [
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "jumps to a demo call (ask 6) right after the calculator",
        "source": 'next_step = Step.from_catalog("book_demo", stage="progression")',
    },
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "a deeper step that gives nothing back and shows no trust (checker warns at that step)",
        "source": 'next_step = Step("Create an account", "progression", ask=4, value=0, trust=0)',
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "measures the jump from the entry step (ask 1) instead of the biggest ask so far",
        "source": """\
next_candidates = [key for key, entry in ASK_CATALOG.items()
                   if 2.5 < entry.ask <= 1 + Thresholds().max_jump]
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "includes the calculator itself (ask 2.5, not more than 2.5)",
        "source": """\
next_candidates = [key for key, entry in ASK_CATALOG.items()
                   if 2.5 <= entry.ask <= 5.5 and entry.stage is not Stage.CONVERSION]
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "keeps today's funnel: calculator straight to the subscription",
        "source": 'ledgerly = Funnel([*ledgerly_start, proof, subscribe])',
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "climbs gradually but shows no proof before the big ask (an error the hidden test catches)",
        "source": """\
ledgerly = Funnel([
    *ledgerly_start,
    Step.from_catalog('download_guide'),
    Step.from_catalog('free_trial'),
    subscribe,
])
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "reads the readiness of the first step (row 0) instead of at the subscription",
        "source": """\
conv_jumpy, conv_gradual = simulate(jumpy, 'cold').conversion, simulate(gradual, 'cold').conversion
ready_jumpy = float(simulate(jumpy, 'cold').table['readiness'].iloc[0])
ready_gradual = float(simulate(gradual, 'cold').table['readiness'].iloc[0])
why_gradual = 'b'
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "right numbers, but explains the difference by the number of steps",
        "source": """\
conv_jumpy, conv_gradual = simulate(jumpy, 'cold').conversion, simulate(gradual, 'cold').conversion
ready_jumpy = float(simulate(jumpy, 'cold').table['readiness'].iloc[-1])
ready_gradual = float(simulate(gradual, 'cold').table['readiness'].iloc[-1])
why_gradual = 'a'
""",
    },
]
