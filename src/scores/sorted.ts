// Sorting the members of one point fast and exactly: an argsort of float32-valued members by a radix sort of their
// bit patterns (O(M), no comparator), giving the ascending values and the member at each rank.

/**
 * Sorts the M members of one point at a time (reused buffers, no allocation per point). After `sort(values)`:
 * `sorted[r]` is the r-th smallest value (the same array as `Float64Array.from(values).sort()`, −0 before +0) and
 * `order[r]` the member holding it (equal values in member order).
 *
 * Members whose values are float32 numbers (as read from a member store) are sorted by their float32 bit patterns
 * mapped to order-preserving unsigned 32-bit keys: a least-significant-digit radix sort (stable counting passes of at
 * most 11 bits) over only the bits that differ between the point's members — two passes for the members of one point
 * of a forecast field (they lie close together), O(M) per point. Values that are not float32 numbers, or NaN, fall
 * back to a comparator sort (NaN last, like `Float64Array.prototype.sort`).
 */
export class MemberSorter {
  readonly members: number;
  /** Ascending member values of the last sorted point. */
  readonly sorted: Float64Array;
  /** Member index at each rank of the last sorted point. */
  readonly order: Int32Array;
  private readonly keys: Uint32Array;
  private readonly keys2: Uint32Array;
  private readonly index2: Int32Array;
  private readonly counts = new Int32Array(2048);
  private readonly f32 = new Float32Array(1);
  private readonly u32 = new Uint32Array(this.f32.buffer);

  constructor(members: number) {
    if (!Number.isInteger(members) || members < 1) throw new Error(`members must be a positive integer, got ${String(members)}`);
    this.members = members;
    this.sorted = new Float64Array(members);
    this.order = new Int32Array(members);
    this.keys = new Uint32Array(members);
    this.keys2 = new Uint32Array(members);
    this.index2 = new Int32Array(members);
  }

  /** Sorts `values` (length M, member order); fills `sorted` and `order`. Returns `sorted`. */
  sort(values: ArrayLike<number>): Float64Array {
    const M = this.members;
    if (values.length !== M) throw new Error(`MemberSorter: expected ${M} member values, got ${values.length}`);
    const f32 = this.f32;
    const u32 = this.u32;
    const keys = this.keys;
    for (let m = 0; m < M; m++) {
      const x = values[m]!;
      f32[0] = x;
      if (f32[0] !== x) return this.comparatorSort(values); // not a float32 number, or NaN
      keys[m] = u32[0]!;
    }
    return this.sortKeys(values, keys, 0);
  }

  /**
   * Sorts members given as float64 `values` (M, from `offset`) together with the IEEE-754 bit patterns of the same
   * values as float32 (`bits`, M from `bitsOffset`; e.g. a Uint32Array view of the Float32Array the values were copied
   * from). The caller guarantees that they agree and that no value is NaN. Returns `sorted`.
   */
  sortFloat32(values: ArrayLike<number>, offset: number, bits: ArrayLike<number>, bitsOffset: number): Float64Array {
    const M = this.members;
    const keys = this.keys;
    for (let m = 0; m < M; m++) keys[m] = bits[bitsOffset + m]!;
    return this.sortKeys(values, keys, offset);
  }

  /** Radix sort of raw float32 bit patterns in `keys` (modified), member values `values[offset + m]`. */
  private sortKeys(values: ArrayLike<number>, rawKeys: Uint32Array, offset: number): Float64Array {
    const M = this.members;
    let keys = rawKeys;
    let idx = this.order;
    let all = 0xffffffff;
    let any = 0;
    for (let m = 0; m < M; m++) {
      const u = keys[m]!;
      // order-preserving map of IEEE-754 bits: negatives (sign bit set) reversed below the positives
      const key = u >= 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      keys[m] = key;
      idx[m] = m;
      all &= key;
      any |= key;
    }
    const varying = (any & ~all) >>> 0;
    const span = varying === 0 ? 0 : 32 - Math.clz32(varying);
    if (span > 0) {
      // least-significant digit first over the varying bits only, in digits of at most 11 bits (2,048 counts; fewer,
      // narrower passes measured slower at M = 1,024); each counting pass is stable
      const passes = Math.ceil(span / 11);
      const width = Math.ceil(span / passes);
      const counts = this.counts;
      let keysOut = keys === this.keys ? this.keys2 : this.keys;
      let idxOut = this.index2;
      for (let pass = 0, shift = 0; pass < passes; pass++, shift += width) {
        const buckets = 1 << Math.min(width, span - shift);
        const mask = buckets - 1;
        counts.fill(0, 0, buckets);
        for (let m = 0; m < M; m++) counts[(keys[m]! >>> shift) & mask]++;
        let total = 0;
        for (let b = 0; b < buckets; b++) {
          const c = counts[b]!;
          counts[b] = total;
          total += c;
        }
        for (let m = 0; m < M; m++) {
          const k = keys[m]!;
          const to = counts[(k >>> shift) & mask]++;
          keysOut[to] = k;
          idxOut[to] = idx[m]!;
        }
        const tk = keys;
        keys = keysOut;
        keysOut = tk;
        const ti = idx;
        idx = idxOut;
        idxOut = ti;
      }
      if (idx !== this.order) this.order.set(idx);
    }
    const order = this.order;
    const sorted = this.sorted;
    for (let r = 0; r < M; r++) sorted[r] = values[offset + order[r]!]!;
    return sorted;
  }

  private comparatorSort(values: ArrayLike<number>): Float64Array {
    const M = this.members;
    const order = this.order;
    for (let m = 0; m < M; m++) order[m] = m;
    const cmp = (a: number, b: number): number => {
      const xa = values[a]!;
      const xb = values[b]!;
      const na = Number.isNaN(xa);
      const nb = Number.isNaN(xb);
      if (na || nb) return na && nb ? a - b : na ? 1 : -1;
      if (xa < xb) return -1;
      if (xa > xb) return 1;
      if (xa === 0 && xb === 0) {
        const sa = Object.is(xa, -0) ? 0 : 1;
        const sb = Object.is(xb, -0) ? 0 : 1;
        if (sa !== sb) return sa - sb;
      }
      return a - b;
    };
    order.sort(cmp);
    for (let r = 0; r < M; r++) this.sorted[r] = values[order[r]!]!;
    return this.sorted;
  }
}

/** Index of the first element > x in an ascending array (= number of elements <= x). */
export function countAtOrBelow(sorted: Float64Array, x: number, n = sorted.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
