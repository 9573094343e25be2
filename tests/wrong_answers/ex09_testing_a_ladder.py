"""Plausible wrong answers for ex09_testing_a_ladder, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Keep the grade ids in
step with solutions/ex09_testing_a_ladder/ex09_testing_a_ladder.ipynb.
"""

WRONG = [
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "a one-sided test: fewer people than the two-sided plan the team agreed",
        "source": """\
effect = proportion_effectsize(base_rate * 1.3, base_rate)
n_per_arm = NormalIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8, alternative='larger')
total_people = 2 * n_per_arm
""",
    },
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "90 % power instead of 80 %",
        "source": """\
n_per_arm = sample_size_per_arm(base_rate, base_rate * 1.3, power=0.9)
total_people = 2 * n_per_arm
""",
    },
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "gives the people per arm as the total",
        "source": """\
n_per_arm = sample_size_per_arm(base_rate, base_rate * 1.3) / 2
total_people = sample_size_per_arm(base_rate, base_rate * 1.3)
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "judges the test on clicks, the micro-conversion, instead of purchases",
        "source": """\
table = compare_variants(ab, converted='clicked', control='direct').set_index('variant')
rate_direct, rate_ladder = float(table.loc['direct', 'rate']), float(table.loc['ladder', 'rate'])
purchase_lift = rate_ladder - rate_direct
purchase_p = float(table.loc['ladder', 'p_value'])
revenue = ab.groupby('variant', observed=True)['revenue'].mean()
rpv_direct, rpv_ladder = float(revenue['direct']), float(revenue['ladder'])
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "averages revenue over buyers only (order value), not over everyone assigned",
        "source": """\
table = compare_variants(ab, converted='purchased', control='direct').set_index('variant')
rate_direct, rate_ladder = float(table.loc['direct', 'rate']), float(table.loc['ladder', 'rate'])
purchase_lift = rate_ladder - rate_direct
purchase_p = float(table.loc['ladder', 'p_value'])
buyers = ab[ab['purchased']].groupby('variant', observed=True)['revenue'].mean()
rpv_direct, rpv_ladder = float(buyers['direct']), float(buyers['ladder'])
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "reports the relative lift (rate / control - 1) instead of the difference of rates",
        "source": """\
table = compare_variants(ab, converted='purchased', control='direct').set_index('variant')
rate_direct, rate_ladder = float(table.loc['direct', 'rate']), float(table.loc['ladder', 'rate'])
purchase_lift = float(table.loc['ladder', 'relative_lift'])
purchase_p = float(table.loc['ladder', 'p_value'])
revenue = ab.groupby('variant', observed=True)['revenue'].mean()
rpv_direct, rpv_ladder = float(revenue['direct']), float(revenue['ladder'])
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "judges the guardrail on the point estimate instead of the interval's upper end",
        "source": """\
MARGIN = 0.0025
table = compare_variants(ab, converted='unsubscribed', control='direct').set_index('variant')
unsub_lift_high = float(table.loc['ladder', 'lift'])
guardrail_ok = unsub_lift_high <= MARGIN
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "treats any rise in unsubscribes as a breach",
        "source": """\
MARGIN = 0.0025
table = compare_variants(ab, converted='unsubscribed', control='direct').set_index('variant')
unsub_lift_high = float(table.loc['ladder', 'lift_high'])
guardrail_ok = bool(table.loc['ladder', 'lift'] <= 0)
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "does not ship because the unsubscribe point estimate went up",
        "source": """\
ship = False
decision = 'b'
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "right call, but for the click rate (the micro-conversion) instead of the agreed rule",
        "source": """\
ship = True
decision = 'd'
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "keeps the test running until the guardrail difference is significant (peeking)",
        "source": """\
ship = False
decision = 'c'
""",
    },
]
