"""Plausible wrong answers for ex03_trust_and_intent, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Generated together
with the assignment (keep the grade ids in step with solutions/ex03_trust_and_intent/ex03_trust_and_intent.ipynb).
"""

WRONG = [
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "counts positions from 0, as Python does, instead of from 1 as the checker does",
        "source": """\
trust_short = {}
for position, step in enumerate(crumb_no_proof.steps):
    missing = Thresholds().trust_needed(step.ask) - step.trust
    if missing > 0:
        trust_short[position] = missing
""",
    },
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "stores the trust needed instead of the trust missing",
        "source": """\
trust_short = {}
for position, step in enumerate(crumb_no_proof.steps, start=1):
    if Thresholds().trust_needed(step.ask) > step.trust:
        trust_short[position] = Thresholds().trust_needed(step.ask)
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "adds a reviews step but leaves the quote and the booking short of trust",
        "source": """\
crumb_trusted = crumb_no_proof.copy()
crumb_trusted.insert(4, Step('Read reviews', 'reinforcement', ask=1.5, value=3, trust=7))
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "raises trust everywhere but never shows strong proof before the booking",
        "source": """\
crumb_trusted = crumb_no_proof.copy()
for i, t in [(2, 3), (3, 4), (4, 5)]:
    crumb_trusted.replace(i, trust=t)
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "reuses the ladder for strangers: far too small for people who are nearly ready",
        "source": "regulars = crumb_ladder.copy(name='regulars')",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "skips the funnel altogether: a menu and then the booking (the checker's errors catch it)",
        "source": """\
regulars = Funnel([
    Step("See this season's new menu", 'entry', ask=2, value=3, trust=3),
    Step("Book catering for this year's event", 'conversion', ask=7, value=8, trust=6),
])
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "assumes, without simulating, that only strangers need the ladder and that it is too small for hot",
        "source": """\
ladder_beats_big_ask = ['cold']
too_small_for = ['hot']
why_hot = 'b'
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "right lists, but blames the trust signals",
        "source": """\
audiences = ['cold', 'warm', 'hot']
base = big_ask_baseline(crumb_ladder)
ladder_beats_big_ask = [a for a in audiences if simulate(crumb_ladder, a).conversion > simulate(base, a).conversion]
too_small_for = [a for a in audiences if any(f.principle == 'step6_intent' for f in check(crumb_ladder, audience=a).findings)]
why_hot = 'a'
""",
    },
]
