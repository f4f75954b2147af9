/**
 * Ranking metrics for one target whose score has `greater` items strictly above it and `equal`
 * other items tied with it. Ties count as the exact expectation over a uniformly random order
 * of the tied items, so a model gains nothing from ties: the target's 0-based rank is uniform
 * on greater .. greater + equal.
 */

/** Expected HR@k. */
export function expectedHit(greater: number, equal: number, k: number): number {
  return Math.min(Math.max(k - greater, 0), equal + 1) / (equal + 1);
}

/** Expected NDCG@k with one relevant item (ideal DCG = 1). */
export function expectedNdcg(greater: number, equal: number, k: number): number {
  let sum = 0;
  for (let r = greater; r <= greater + equal && r < k; r++) sum += 1 / Math.log2(r + 2);
  return sum / (equal + 1);
}

/** Harmonic numbers H[n] = 1 + 1/2 + ... + 1/n, for expected reciprocal rank in O(1). */
export function harmonicTable(n: number): Float64Array {
  const h = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) h[i] = h[i - 1] + 1 / i;
  return h;
}

/** Expected reciprocal rank: mean of 1/(r+1) over r in greater .. greater + equal. */
export function expectedRR(greater: number, equal: number, harmonic?: Float64Array): number {
  if (harmonic && greater + equal + 1 < harmonic.length)
    return (harmonic[greater + equal + 1] - harmonic[greater]) / (equal + 1);
  let sum = 0;
  for (let r = greater; r <= greater + equal; r++) sum += 1 / (r + 1);
  return sum / (equal + 1);
}
