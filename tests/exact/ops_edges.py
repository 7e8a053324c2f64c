"""Exact values for tests/ops_edges.rs: each op's value and local
derivative(s) at interior points, computed with mpmath at 50 significant
digits and rounded to the nearest f64 (repr). Run `python3
tests/exact/ops_edges.py` to print the Rust table; the test file holds its
output. Edge points (0, +-1, overflow, the conventions) are derived by hand
in the test file's comments instead."""
from mpmath import mp, mpf, sinh, cosh, tan, asin, acos, atan, asinh, acosh, atanh, atan2, \
    sqrt, log, exp, expm1, log1p, cbrt, tanh, pi, diff

mp.dps = 50

def sig(x):
    return 1 / (1 + exp(-x))

C = sqrt(2 / pi)
def gelu(x):
    return x / 2 * (1 + tanh(C * (x + mpf("0.044715") * x**3)))

UNARY = [
    ("sinh", sinh, [mpf("0.7"), mpf("-2.5")]),
    ("cosh", cosh, [mpf("0.7"), mpf("-2.5")]),
    ("tan", tan, [mpf("0.7"), mpf("-1.2")]),
    ("asin", asin, [mpf("0.5"), mpf("-0.9")]),
    ("acos", acos, [mpf("0.5"), mpf("-0.9")]),
    ("atan", atan, [mpf("0.5"), mpf("-3")]),
    ("asinh", asinh, [mpf("0.5"), mpf("-3")]),
    ("acosh", acosh, [mpf("1.5"), mpf("10")]),
    ("atanh", atanh, [mpf("0.5"), mpf("-0.9")]),
    ("ln_1p", log1p, [mpf("0.5"), mpf("-0.9")]),
    ("exp_m1", expm1, [mpf("0.5"), mpf("-3")]),
    ("exp2", lambda x: 2**x, [mpf("0.5"), mpf("-3")]),
    ("log2", lambda x: log(x, 2), [mpf("0.5"), mpf("3")]),
    ("log10", lambda x: log(x, 10), [mpf("0.5"), mpf("3")]),
    ("cbrt", lambda x: mp.sign(x) * cbrt(abs(x)), [mpf("0.5"), mpf("-3")]),
    ("recip", lambda x: 1 / x, [mpf("0.5"), mpf("-3")]),
    ("softplus", lambda x: log(1 + exp(x)), [mpf("0.5"), mpf("-3")]),
    ("gelu", gelu, [mpf("0.5"), mpf("-3")]),
    ("silu", lambda x: x * sig(x), [mpf("0.5"), mpf("-3")]),
    ("log_sigmoid", lambda x: log(sig(x)), [mpf("0.5"), mpf("-3")]),
]

BINARY = [
    ("atan2", atan2, [(mpf("1"), mpf("2")), (mpf("-1.5"), mpf("-0.5"))]),
    ("hypot", lambda a, b: sqrt(a * a + b * b), [(mpf("3"), mpf("-4")), (mpf("0.5"), mpf("2"))]),
    ("log", lambda x, b: log(x) / log(b), [(mpf("8"), mpf("2")), (mpf("0.5"), mpf("10"))]),
    ("powf", lambda x, e: x**e, [(mpf("2.5"), mpf("1.5")), (mpf("0.5"), mpf("-2.5"))]),
]

def f(x):
    return repr(float(x))

print("// (op, x, y, dy/dx)")
for name, fn, points in UNARY:
    for x in points:
        print(f'    ("{name}", {f(x)}, {f(fn(x))}, {f(diff(fn, x))}),')
print("// (op, a, b, y, dy/da, dy/db)")
for name, fn, points in BINARY:
    for a, b in points:
        da = diff(lambda t: fn(t, b), a)
        db = diff(lambda t: fn(a, t), b)
        print(f'    ("{name}", {f(a)}, {f(b)}, {f(fn(a, b))}, {f(da)}, {f(db)}),')
