"""Plausible wrong answers for ex07_measurement, used by tests/test_exercises.py.

Each entry replaces the source of one answer cell (``cell``, its nbgrader grade id) in an
otherwise correct submission; autograding must then take away the points of exactly the test
cells listed in ``loses`` and leave every other question's points alone. Generated together
with the assignment (keep the grade ids in step with solutions/ex07_measurement/ex07_measurement.ipynb).
"""

WRONG = [
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "counts subscribe rows as subscribers, ignoring order, window and repeats",
        "source": """\
funnel_7d = funnel_from_events(campaign_log, STEPS, window='7D')
subscribe_events = int((campaign_log['event'] == 'subscribe').sum())
subscribers_7d = subscribe_events
conversion_7d = subscribers_7d / campaign_log['user_id'].nunique()
""",
    },
    {
        "cell": "q1_answer",
        "loses": ["q1_test"],
        "why": "divides by everyone in the log instead of the people who reached the first step",
        "source": """\
funnel_7d = funnel_from_events(campaign_log, STEPS, window='7D')
subscribers_7d = int(funnel_7d['users'].iloc[-1])
conversion_7d = subscribers_7d / campaign_log['user_id'].nunique()
subscribe_events = int((campaign_log['event'] == 'subscribe').sum())
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "counts everyone with each event anywhere in the log, ignoring the one-hour window and the order "
               "(on the recalibrated model's log the order modes agree, so ignoring only the order is not wrong here)",
        "source": """\
users_1h = [int(campaign_log.loc[campaign_log['event'] == step, 'user_id'].nunique()) for step in STEPS]
why_window = 'a'
""",
    },
    {
        "cell": "q2_answer",
        "loses": ["q2_test"],
        "why": "right counts, but believes the one-hour count is the more accurate one",
        "source": """\
users_1h = funnel_from_events(campaign_log, STEPS, window='1h')['users'].tolist()
why_window = 'b'
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "reads the relative lift (rate / control - 1) instead of the difference of rates",
        "source": """\
v = compare_variants(hillstrom, variant='segment', converted='visit', control='No E-Mail').set_index('variant')
p = compare_variants(hillstrom, variant='segment', converted='conversion', control='No E-Mail').set_index('variant')
visit_lift_womens = float(v.loc['Womens E-Mail', 'relative_lift'])
purchase_lift_womens = float(p.loc['Womens E-Mail', 'relative_lift'])
purchase_p_womens = float(p.loc['Womens E-Mail', 'p_value'])
purchase_significant_womens = purchase_p_womens < 0.05
""",
    },
    {
        "cell": "q3_answer",
        "loses": ["q3_test"],
        "why": "compares with the men's e-mail as the control",
        "source": """\
v = compare_variants(hillstrom, variant='segment', converted='visit', control='Mens E-Mail').set_index('variant')
p = compare_variants(hillstrom, variant='segment', converted='conversion', control='Mens E-Mail').set_index('variant')
visit_lift_womens = float(v.loc['Womens E-Mail', 'lift'])
purchase_lift_womens = float(p.loc['Womens E-Mail', 'lift'])
purchase_p_womens = float(p.loc['Womens E-Mail', 'p_value'])
purchase_significant_womens = bool(purchase_p_womens < 0.05)
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "uses all customers instead of visitors only, and concludes the e-mail persuaded visitors",
        "source": """\
t = compare_variants(hillstrom, variant='segment', converted='conversion', control='No E-Mail')
visitor_p_womens = float(t.set_index('variant').loc['Womens E-Mail', 'p_value'])
conclusion = 'b'
""",
    },
    {
        "cell": "q4_answer",
        "loses": ["q4_test"],
        "why": "right p-value, but reads 'not significant among visitors' as 'no effect at all'",
        "source": """\
t = compare_variants(hillstrom[hillstrom['visit']], variant='segment', converted='conversion', control='No E-Mail')
visitor_p_womens = float(t.set_index('variant').loc['Womens E-Mail', 'p_value'])
conclusion = 'c'
""",
    },
]
