"""E8 of the worked examples: a gradient through Python control flow (d2l).

    diffexplain trace examples/control.py:f --at a=10

``diffexplain trace`` calls ``f`` on a traced value: the ``while`` and the ``if``
are decided by its number, and the graph of the path actually taken is explained.
"""


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    c = b if b.sum() > 0 else 100 * b
    return c
