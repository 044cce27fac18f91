// Statistics for the bench: medians, percentiles, and how far a median of per-round ratios can be
// trusted. A ratio is a result only when its 95 % interval stays within ±RESOLUTION of its median.

/** Half-width a ratio's interval may have for the ratio to count as a result (issue 14: ±0.05). */
export const RESOLUTION = 0.05;

const sorted = (xs) => xs.filter(Number.isFinite).sort((a, b) => a - b);

export function median(xs) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The q-quantile (nearest rank) of already sorted values. */
export const quantile = (s, q) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);

/** p50 and p99 of a list of latencies (ms). */
export function percentiles(latencies) {
  const s = sorted(latencies);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

/** P(Binomial(n, 1/2) ≤ k). */
function binomialCdf(n, k) {
  let term = 0.5 ** n; // P(X = 0)
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/**
 * A distribution-free 95 % confidence interval for the median: order statistics x(j) and
 * x(n+1-j) with the largest j whose coverage 1 − 2·P(B ≤ j−1), B ~ Binomial(n, ½), is ≥ 95 %.
 * No assumption about how the per-round ratios are distributed (a busy neighbour skews them).
 * Below 6 rounds no such pair exists: min–max, with its lower coverage stated.
 */
export function medianInterval(xs) {
  const s = sorted(xs);
  const n = s.length;
  if (n === 0) return { lo: NaN, hi: NaN, coverage: NaN };
  let j = 0;
  while (j + 1 <= n / 2 && 1 - 2 * binomialCdf(n, j) >= 0.95) j++;
  if (j === 0) return { lo: s[0], hi: s[n - 1], coverage: n ? 1 - 2 * 0.5 ** n : NaN };
  return { lo: s[j - 1], hi: s[n - j], coverage: 1 - 2 * binomialCdf(n, j - 1) };
}

/**
 * Summary of per-round ratios: the median, its 95 % interval, min–max, and whether it is a result.
 * When it is not, `advice` says what would make it one: the rounds needed if the spread stays as
 * it is (the interval narrows about as 1/√rounds), or a quieter machine when other processes used
 * much of the CPU during the runs (`othersCpu`: their share, 0–1).
 */
export function ratioSummary(ratios, othersCpu = NaN) {
  const s = sorted(ratios);
  const med = median(s);
  const { lo, hi, coverage } = medianInterval(s);
  const halfWidth = Math.max(med - lo, hi - med);
  // Below 6 rounds the interval is only min–max, with less than 95 % coverage: never a result.
  const result = coverage >= 0.95 && halfWidth <= RESOLUTION;
  let advice = "";
  if (!result && s.length > 0 && coverage < 0.95) {
    advice = `${s.length} rounds give no 95 % interval: at least 6 are needed (--rounds)`;
  } else if (!result && s.length > 0) {
    const rounds = Math.ceil(s.length * (halfWidth / RESOLUTION) ** 2);
    advice =
      `±${halfWidth.toFixed(2)} > ±${RESOLUTION}: about ${Math.max(rounds, s.length + 2)} rounds (--rounds) would be needed at this spread` +
      (othersCpu > 0.15 ? `, or a quieter machine (other processes used ${(othersCpu * 100).toFixed(0)} % of the CPU during these runs)` : "");
  }
  return { n: s.length, median: med, lo, hi, coverage, min: s[0], max: s[s.length - 1], halfWidth, result, advice };
}
