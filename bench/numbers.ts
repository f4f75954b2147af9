/** x rounded to `digits` decimals, for the benchmarks' JSON. */
export function round(x: number, digits = 2): number {
  return Number(x.toFixed(digits));
}
