"""How sure a share from a small audit sample is, and whether districts really differ.

Why it exists: an audit reviews 12–20 files per district, so "3 of 15" against "5 of 15" looks
like a difference the nämnd may act on, while chance alone makes such gaps common. Each share
gets a 95 % Wilson score interval (Wilson 1927; it stays inside 0–100 % and behaves at 0 of n
and n of n, where the textbook normal interval fails), and each question a test of whether the
districts' shares differ more than chance would make them: Fisher's exact test extended to
2 × k tables (Freeman & Halton 1951) — exact for the small counts audits have, with the
margins (cases per district, total "ja") fixed, the p-value the probability of every table at
most as probable as the one observed. When the enumeration would be large (many districts
with many cases) the Pearson chi-square test with k − 1 degrees of freedom is used instead,
where its approximation is good. Pure Python (math); no scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
ALPHA = 0.05
MAX_EXACT_TABLES = 200_000  # tables enumerated by the exact test before falling back to chi-square
_RELATIVE_TOLERANCE = 1e-7  # tables as probable as the observed one count as "at most as probable"


def wilson(ja: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval (low, high) for ja of n; None when n is 0."""
    if n <= 0:
        return None
    p = ja / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if ja == 0 else max(0.0, centre - half)
    high = 1.0 if ja == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Comparison:
    """The districts' shares of one question compared: the test, its p-value and what to say."""

    method: str  # "fisher" (Freeman–Halton exact) or "chi2"
    p_value: float
    significant: bool
    sentence: str


def compare_districts(counts: dict[str, tuple[int, int]], names: dict[str, str] | None = None) -> Comparison | None:
    """Whether the share of "ja" differs between districts more than chance: counts is district → (ja, answered).

    None when fewer than two districts have answers, or every answer is the same (nothing to compare).
    """
    cells = [(d, ja, n) for d, (ja, n) in counts.items() if n > 0]
    if len(cells) < 2:
        return None
    total_ja, total_n = sum(c[1] for c in cells), sum(c[2] for c in cells)
    if total_ja in (0, total_n):
        return None
    sizes = [n for _, _, n in cells]
    observed = [ja for _, ja, _ in cells]
    if math.prod(n + 1 for n in sizes[:-1]) <= MAX_EXACT_TABLES:
        method, p_value = "fisher", freeman_halton(observed, sizes)
    else:
        method, p_value = "chi2", chi_square_p(observed, sizes)
    significant = p_value < ALPHA
    test = "Fishers exakta test" if method == "fisher" else "chi två-test"
    p_text = "p = " + f"{p_value:.2f}".replace(".", ",") if p_value >= 0.01 else "p < 0,01"
    if significant:
        sentence = (f"Skillnaderna mellan distrikten är större än vad slumpen brukar ge ({test}, {p_text}); "
                    "de bör följas upp.")
    else:
        sentence = (f"Skillnaderna mellan distrikten ryms inom vad slumpen kan ge med så här få ärenden "
                    f"({test}, {p_text}); de visar inte att distrikten arbetar olika.")
    return Comparison(method, p_value, significant, sentence)


def freeman_halton(observed: list[int], sizes: list[int]) -> float:
    """Exact p-value of a 2 × k table: "ja" counts `observed` out of `sizes`, total "ja" fixed.

    The probability of a table with ja counts x_i is prod C(n_i, x_i) / C(N, X) (multivariate
    hypergeometric). Summed over every table with the same margins that is at most as probable
    as the observed one. Enumerated by recursion over districts with the remaining "ja" bounded.
    """
    total = sum(observed)
    log_denominator = _log_comb(sum(sizes), total)
    log_observed = sum(_log_comb(n, x) for n, x in zip(sizes, observed, strict=True)) - log_denominator
    threshold = log_observed + math.log1p(_RELATIVE_TOLERANCE)
    capacity_after = [sum(sizes[i + 1:]) for i in range(len(sizes))]
    p = 0.0

    def walk(index: int, remaining: int, log_p: float) -> None:
        nonlocal p
        n = sizes[index]
        if index == len(sizes) - 1:
            if remaining <= n:
                value = log_p + _log_comb(n, remaining) - log_denominator
                if value <= threshold:
                    p += math.exp(value)
            return
        low, high = max(0, remaining - capacity_after[index]), min(n, remaining)
        for x in range(low, high + 1):
            walk(index + 1, remaining - x, log_p + _log_comb(n, x))

    walk(0, total, 0.0)
    return min(1.0, p)


def chi_square_p(observed: list[int], sizes: list[int]) -> float:
    """Pearson chi-square test of homogeneity of a 2 × k table, k − 1 degrees of freedom."""
    share = sum(observed) / sum(sizes)
    statistic = 0.0
    for x, n in zip(observed, sizes, strict=True):
        for seen, expected in ((x, n * share), (n - x, n * (1 - share))):
            statistic += (seen - expected) ** 2 / expected
    return chi_square_sf(statistic, len(sizes) - 1)


def chi_square_sf(x: float, df: int) -> float:
    """P(X ≥ x) for chi-square with df degrees of freedom: the regularised upper incomplete gamma Q(df/2, x/2)."""
    if x <= 0:
        return 1.0
    return _gamma_q(df / 2, x / 2)


def _gamma_q(a: float, x: float) -> float:
    """Q(a, x) by its series (x < a + 1) or continued fraction (Numerical Recipes, 6.2)."""
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1 / a
        denominator = a
        for _ in range(1000):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
