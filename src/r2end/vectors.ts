/** Normalises each row to unit length in place (zero rows stay zero). */
export function normalizeRows(data: Float32Array, cols: number): Float32Array {
  for (let r = 0; r < data.length / cols; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += data[r * cols + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < cols; c++) data[r * cols + c] *= inv;
  }
  return data;
}

/** Per row: L2 distance and cosine similarity between two row-major matrices of equal shape. */
export function rowDistances(a: Float32Array, b: Float32Array, cols: number): { l2: number[]; cos: number[] } {
  const l2: number[] = [];
  const cos: number[] = [];
  for (let r = 0; r < a.length / cols; r++) {
    let d = 0;
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let c = 0; c < cols; c++) {
      const x = a[r * cols + c];
      const y = b[r * cols + c];
      d += (x - y) ** 2;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    l2.push(Math.sqrt(d));
    cos.push(aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0);
  }
  return { l2, cos };
}
