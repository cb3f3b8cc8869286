"""Numbers and how a slide writes them: the cases both formatters (numbers.py and the page's
script) are tested on, so the equations and the bars print a number alike."""

CASES = [  # (value, significant digits, as written)
    (0.01496, 2, "1.5·10⁻²"), (0.1496, 2, "0.15"), (3.21, 2, "3.2"), (41.0, 2, "41"), (412.0, 2, "410"),
    (1496.0, 2, "1.5·10³"), (-2.5e-7, 2, "−2.5·10⁻⁷"), (0.0, 2, "0"), (1.0, 2, "1.0"), (0.1, 2, "0.10"),
    (0.125, 2, "0.13"),  # a tie: half away from zero in both languages
    (0.0996, 2, "0.10"), (9.96, 2, "10"), (999.6, 2, "1.0·10³"),  # rounding carries into the next power of ten
    (0.15123, 3, "0.151"), (2.675, 3, "2.67"),  # 2.675 is 2.67499999… in binary
    (6.02e23, 2, "6.0·10²³"), (-0.5, 2, "−0.50"), (5e-324, 2, "4.9·10⁻³²⁴"),
]
APART = [([0.1512, 0.1549, 3.0], 3), ([0.15, 0.15, 3.0], 2), ([1.0, 1.00001], 4), ([0.2, 0.3], 2)]
