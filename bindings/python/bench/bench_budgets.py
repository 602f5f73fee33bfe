"""The Python budgets of issue 7, measured side by side:

1. SimHash of 10,000 certificate-like texts (~5 KB each): certwatch
   (one call per text, and one simhash_many call) against the `simhash`
   package from PyPI (Simhash(text).value, its default features) on the
   same texts. Budget: certwatch at least 50x faster.
2. Per-call overhead of a trivial pure function (hamming_distance; and
   validate_country, with a string in and out, for reference): budget
   under 1 us per call.

Run against a release build, in a throwaway venv (not a test dependency):

    python3 -m venv /tmp/cw-bench && /tmp/cw-bench/bin/pip install ./bindings/python simhash
    /tmp/cw-bench/bin/python bindings/python/bench/bench_budgets.py

Texts are generated (seeded) at run time; nothing is committed.
"""

import argparse
import random
import sys
import time
import timeit

import certwatch

WORDS = (
    "certificate iso 9001 2015 quality management system scope design manufacture supply precision "
    "metal parts automotive industry certification body audit valid until issued tüv süd dekra dnv "
    "bureau veritas lrqa holder gmbh co kg werk standort site address strasse germany annex number "
    "surveillance recertification accreditation dakks ukas environmental energy information security "
    "iatf 16949 14001 45001 50001 27001 organisation requirements fulfilled conformity assessed"
).split()


def texts(n: int, size: int, seed: int = 7) -> list:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts, length = [], 0
        while length < size:
            w = rng.choice(WORDS) if rng.random() > 0.1 else str(rng.randrange(10**6))
            parts.append(w)
            length += len(w) + 1
        out.append(" ".join(parts))
    return out


def best(fn, repeat: int) -> float:
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=5_000)
    ap.add_argument("--calls", type=int, default=1_000_000)
    args = ap.parse_args()

    corpus = texts(args.texts, args.size)
    mb = sum(len(t.encode()) for t in corpus) / 1e6
    print(f"{len(corpus)} texts, {mb:.1f} MB (avg {mb * 1e6 / len(corpus):.0f} bytes)")

    one = best(lambda: [certwatch.simhash(t) for t in corpus], 3)
    many = best(lambda: certwatch.simhash_many(corpus), 3)
    print(f"certwatch.simhash      : {one:.3f} s  ({one / len(corpus) * 1e6:.1f} us/text)")
    print(f"certwatch.simhash_many : {many:.3f} s  ({many / len(corpus) * 1e6:.1f} us/text)")

    try:
        from simhash import Simhash
    except ImportError:
        print("the PyPI simhash package is not installed (pip install simhash): no comparison", file=sys.stderr)
        return 1
    start = time.perf_counter()
    for t in corpus:
        Simhash(t).value
    pypi = time.perf_counter() - start
    print(f"PyPI simhash           : {pypi:.3f} s  ({pypi / len(corpus) * 1e6:.1f} us/text)")
    ratio = pypi / one
    print(f"RESULT simhash speed-up: {ratio:.0f}x per call, {pypi / many:.0f}x batched (budget >= 50x): "
          f"{'OK' if ratio >= 50 else 'MISSED'}")

    a, b = certwatch.simhash(corpus[0]), certwatch.simhash(corpus[1])
    n = args.calls
    empty = best(lambda: timeit.timeit("f()", globals={"f": lambda: None}, number=n), 3)
    ham = min(timeit.repeat("h(a, b)", globals={"h": certwatch.hamming_distance, "a": a, "b": b}, number=n, repeat=5))
    cc = min(timeit.repeat("v('DE')", globals={"v": certwatch.validate_country}, number=n, repeat=5))
    print(f"empty Python lambda call      : {empty / n * 1e9:.0f} ns/call (reference)")
    print(f"RESULT hamming_distance(a, b) : {ham / n * 1e9:.0f} ns/call (budget < 1000): {'OK' if ham / n < 1e-6 else 'MISSED'}")
    # Not the budget's trivial function: a string in, validation, a new string out.
    print(f"validate_country('DE')        : {cc / n * 1e9:.0f} ns/call (string argument and result, for reference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
