"""Plausible wrong answers for ex01_entry_and_value, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Generated together
with the assignment (keep the grade ids in step with solutions/ex01_entry_and_value/ex01_entry_and_value.ipynb).
"""

WRONG = [
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "opens with a free taster class: a real commitment (ask 4) as the entry step",
        "source": 'first_step = Step("Book a free taster class", "entry", ask=4, value=6, trust=4)',
    },
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "a light first step, but labelled Engagement rather than Entry",
        "source": 'first_step = Step("Watch a 20-second breathing exercise", "engagement", ask=1, value=2)',
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "reads the conversion of the whole studio funnel instead of the pass rate of step 1",
        "source": """\
first_yes = {}
for key in OPENERS:
    funnel = Funnel([Step.from_catalog(key, stage='entry'), *studio_rest])
    first_yes[key] = simulate(funnel, 'cold').conversion
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "guesses the share from the catalogue's ask size instead of simulating",
        "source": 'first_yes = {key: 1 - Step.from_catalog(key).ask / 10 for key in OPENERS}',
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "puts the value on the entry step: passes step2_value, but the questionnaire still gives nothing",
        "source": """\
studio_fixed = studio_questionnaire.copy()
studio_fixed.replace(0, value=4)
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "adds value only later (the taster class): nothing useful right after the first contact",
        "source": """\
studio_fixed = studio_questionnaire.copy()
studio_fixed.replace(2, value=9)
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "right numbers, but picks the explanation that value makes the ask feel smaller",
        "source": """\
def run(value):
    f = studio_questionnaire.copy()
    f.replace(1, value=value)
    return simulate(f, 'cold')
conversion_no_value, conversion_with_value = run(0).conversion, run(6).conversion
step2_yes_no_value = float(run(0).table['pass_rate'].iloc[1])
step2_yes_with_value = float(run(6).table['pass_rate'].iloc[1])
why_value = 'a'
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "reads the pass rate of step 3 (row 2) instead of step 2",
        "source": """\
def run(value):
    f = studio_questionnaire.copy()
    f.replace(1, value=value)
    return simulate(f, 'cold')
conversion_no_value, conversion_with_value = run(0).conversion, run(6).conversion
step2_yes_no_value = float(run(0).table['pass_rate'].iloc[2])
step2_yes_with_value = float(run(6).table['pass_rate'].iloc[2])
why_value = 'b'
""",
    },
]
