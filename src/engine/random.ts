// Counter-based random numbers: the Philox4x32 block function (Random123) and addressable uniform/normal
// streams, so any slice of any member's noise can be regenerated bit for bit, independent of work order.

/** Philox4x32 round multipliers and Weyl key increments (Salmon et al., SC11, "Parallel random numbers: as easy as 1, 2, 3"). */
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const M0_HI = PHILOX_M0 >>> 16;
const M0_LO = PHILOX_M0 & 0xffff;
const M1_HI = PHILOX_M1 >>> 16;
const M1_LO = PHILOX_M1 & 0xffff;

/** Number of Philox rounds used by the fills (the Random123 default, "Philox4x32-10"). */
export const PHILOX_ROUNDS = 10;

/** A 64-bit key as two unsigned 32-bit words [low, high]. */
export type PhiloxKey = readonly [number, number];
/** Two unsigned 32-bit words naming a stream under a key (they fill counter words 2 and 3). */
export type StreamId = readonly [number, number];

/** Blocks generated per batch by the fills (the batch's words live in BLOCK_WORDS). */
const BATCH_BLOCKS = 512;
const BLOCK_WORDS = new Int32Array(4 * BATCH_BLOCKS);
const TWO_POW_32 = 4294967296;

/**
 * High 32 bits of the 64-bit product of a (a u32, possibly held as int32) and the constant whose 16-bit
 * halves are mHi, mLo. Exact: every partial product is a 16x16-bit product, summed with explicit carries.
 */
function mulHi32(a: number, mHi: number, mLo: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const loHi = Math.imul(aLo, mHi);
  const hiLo = Math.imul(aHi, mLo);
  const middle = (Math.imul(aLo, mLo) >>> 16) + (loHi & 0xffff) + (hiLo & 0xffff);
  return (Math.imul(aHi, mHi) + (loHi >>> 16) + (hiLo >>> 16) + (middle >>> 16)) | 0;
}

/**
 * Philox4x32-`rounds` for `count` consecutive counters (firstBlock + b, as a 64-bit integer split into
 * words 0 and 1, then s0, s1) under key (k0, k1); block b's four words go to out[4b .. 4b+3] (as int32).
 * Round: (c0, c1, c2, c3) -> (hi(M1·c2) ^ c1 ^ k0, lo(M1·c2), hi(M0·c0) ^ c3 ^ k1, lo(M0·c0)); the key
 * is bumped by the Weyl constants between rounds.
 */
function philoxBlocks(
  firstBlock: number, count: number, s0: number, s1: number,
  key0: number, key1: number, rounds: number, out: Int32Array,
): void {
  const firstHi = Math.floor(firstBlock / TWO_POW_32);
  const firstLo = firstBlock - firstHi * TWO_POW_32;
  for (let b = 0; b < count; b++) {
    const lo = firstLo + b; // may pass 2^32 inside a batch: then the high word carries
    let c0 = lo | 0;
    let c1 = lo < TWO_POW_32 ? firstHi | 0 : (firstHi + 1) | 0;
    let c2 = s0 | 0;
    let c3 = s1 | 0;
    let k0 = key0 | 0;
    let k1 = key1 | 0;
    for (let r = 0; r < rounds; r++) {
      const hi0 = mulHi32(c0, M0_HI, M0_LO);
      const lo0 = Math.imul(c0, PHILOX_M0);
      const hi1 = mulHi32(c2, M1_HI, M1_LO);
      const lo1 = Math.imul(c2, PHILOX_M1);
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 = (k0 + PHILOX_W0) | 0;
      k1 = (k1 + PHILOX_W1) | 0;
    }
    const o = 4 * b;
    out[o] = c0;
    out[o + 1] = c1;
    out[o + 2] = c2;
    out[o + 3] = c3;
  }
}

function isWord(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

function describe(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as unknown as ArrayLike<number>).length})`;
  if (typeof x === 'bigint') return `${x}n`;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function checkWords(name: string, words: ArrayLike<number>, count: number): void {
  if (words === null || typeof words !== 'object' || words.length !== count) {
    throw new RangeError(`${name} must be ${count} unsigned 32-bit words, got ${describe(words)}`);
  }
  for (let i = 0; i < count; i++) {
    if (!isWord(words[i])) throw new RangeError(`${name}[${i}] must be an unsigned 32-bit integer, got ${describe(words[i])}`);
  }
}

/**
 * The Random123 Philox4x32-R block function: 128-bit counter (4 words, word 0 least significant) and
 * 64-bit key (2 words) to 4 pseudo-random 32-bit words. `rounds` defaults to 10 (Philox4x32-10).
 */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>, rounds = PHILOX_ROUNDS): Uint32Array {
  checkWords('counter', counter, 4);
  checkWords('key', key, 2);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 16) throw new RangeError(`rounds must be an integer in 1..16, got ${describe(rounds)}`);
  let k0 = key[0] | 0;
  let k1 = key[1] | 0;
  let c0 = counter[0] | 0, c1 = counter[1] | 0, c2 = counter[2] | 0, c3 = counter[3] | 0;
  for (let r = 0; r < rounds; r++) {
    const hi0 = mulHi32(c0, M0_HI, M0_LO);
    const lo0 = Math.imul(c0, PHILOX_M0);
    const hi1 = mulHi32(c2, M1_HI, M1_LO);
    const lo1 = Math.imul(c2, PHILOX_M1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) | 0;
    k1 = (k1 + PHILOX_W1) | 0;
  }
  return new Uint32Array([c0, c1, c2, c3]);
}

const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M25 = 2 ** -25;
const TWO_POW_M53 = 2 ** -53;
const TWO_POW_M54 = 2 ** -54;

// ---- Box–Muller helpers: table-driven ln and sin/cos, accurate to a few units in the last place of a double.
// The small tables are filled once with Math.log/cos/sin; per value only +, -, *, sqrt are used (faster than
// libm calls, and bit-reproducible wherever the tables are).

/** ln 2 split so that n·LN2_HI is exact for |n| < 2^11 (the classic fdlibm split). */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
/** Mantissas m in [0.75, 1.5) are split as m = c_j (1 + t), c_j = 0.75 + j/256, |t| <= 1/384. */
const LOG_TABLE_SIZE = 193;
const LOG_C = new Float64Array(LOG_TABLE_SIZE);
const LOG_INV_C = new Float64Array(LOG_TABLE_SIZE);
const LOG_LN_C = new Float64Array(LOG_TABLE_SIZE);
for (let j = 0; j < LOG_TABLE_SIZE; j++) {
  LOG_C[j] = 0.75 + j / 256;
  LOG_INV_C[j] = 1 / LOG_C[j];
  LOG_LN_C[j] = Math.log(LOG_C[j]); // exactly 0 at j = 64 (c = 1), so ln u near u = 1 keeps full relative accuracy
}
/** 2^-k for k = 0..63, to scale integers into [1, 2) exactly. */
const INV_POW2 = new Float64Array(64);
for (let k = 0; k < 64; k++) INV_POW2[k] = 2 ** -k;

/**
 * ln(x · 2^-scale) for an integer 1 <= x < 2^53 whose bit length is `bits`.
 */
function logScaled(x: number, bits: number, scale: number): number {
  let m = x * INV_POW2[bits - 1]; // in [1, 2)
  let n = bits - 1 - scale;
  if (m >= 1.5) {
    m *= 0.5;
    n += 1;
  }
  const j = ((m - 0.75) * 256 + 0.5) | 0;
  const t = (m - LOG_C[j]) * LOG_INV_C[j]; // m - c_j is exact (Sterbenz)
  const t2 = t * t;
  // ln(1 + t) = t - t^2/2 + t^3/3 - t^4/4 + t^5/5 - t^6/6 (next term below 2^-60 for |t| <= 1/384)
  const series = t - t2 * (0.5 - t * (1 / 3 - t * (0.25 - t * (0.2 - t * (1 / 6)))));
  return n * LN2_HI + (LOG_LN_C[j] + (n * LN2_LO + series));
}

/** Angles 2π v with v in [0, 1) are split as v = j/1024 + f; table of cos, sin at 2π j/1024. */
const ANGLE_TABLE_BITS = 10;
const ANGLE_TABLE_SIZE = 1 << ANGLE_TABLE_BITS;
const COS_TABLE = new Float64Array(ANGLE_TABLE_SIZE);
const SIN_TABLE = new Float64Array(ANGLE_TABLE_SIZE);
for (let j = 0; j < ANGLE_TABLE_SIZE; j++) {
  COS_TABLE[j] = Math.cos((2 * Math.PI * j) / ANGLE_TABLE_SIZE);
  SIN_TABLE[j] = Math.sin((2 * Math.PI * j) / ANGLE_TABLE_SIZE);
}
const TWO_PI = 2 * Math.PI;
/** Radians per unit of the low 22 bits of a 32-bit angle word, and of the low 43 bits of a 53-bit angle. */
const ANGLE_STEP_32 = TWO_PI * 2 ** -32;
const ANGLE_STEP_53 = TWO_PI * 2 ** -53;

/** cos and sin of (table angle j) + delta, 0 <= delta < 2π/1024, by the angle-addition formula; into out[0], out[1]. */
function sinCos(j: number, delta: number, out: Float64Array): void {
  const d2 = delta * delta;
  // sin δ = δ - δ^3/6 + δ^5/120;  cos δ - 1 = -δ^2/2 + δ^4/24 - δ^6/720 (next terms below 2^-60)
  const sinD = delta - delta * d2 * ((1 / 6) - d2 * (1 / 120));
  const cosDm1 = -d2 * (0.5 - d2 * ((1 / 24) - d2 * (1 / 720)));
  const c = COS_TABLE[j];
  const s = SIN_TABLE[j];
  out[0] = c + (c * cosDm1 - s * sinD);
  out[1] = s + (s * cosDm1 + c * sinD);
}
const COS_SIN = new Float64Array(2);

function checkFill(out: unknown, key: ArrayLike<number>, stream: ArrayLike<number>, offset: number): void {
  if (!(out instanceof Float32Array) && !(out instanceof Float64Array)) {
    throw new TypeError(`out must be a Float32Array or Float64Array, got ${describe(out)}`);
  }
  checkWords('key', key, 2);
  checkWords('stream', stream, 2);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${describe(offset)}`);
  if (offset + out.length > Number.MAX_SAFE_INTEGER) throw new RangeError(`offset + length ${offset} + ${out.length} exceeds 2^53 - 1`);
}

/**
 * Fills `out` with uniform variates in the open interval (0, 1); out[i] is element offset + i of the stream
 * (key, stream). Element e comes from Philox4x32-10 block b on counter (b mod 2^32, floor(b / 2^32),
 * stream[0], stream[1]) with output words w0..w3:
 *  - Float64Array: 2 elements per block, b = floor(e/2), p = e mod 2; the 53-bit integer
 *    k = (w[2p] >>> 5)·2^26 + (w[2p+1] >>> 6) gives u = k·2^-53 (k = 0 gives 2^-54).
 *  - Float32Array: 4 elements per block, b = floor(e/4), p = e mod 4; k = w[p] >>> 8 (24 bits)
 *    gives u = k·2^-24 (k = 0 gives 2^-25); every value is exactly representable in float32.
 * Float32 and float64 fills of one stream are therefore different sequences, each addressable on its own.
 */
export function uniformFill(out: Float32Array | Float64Array, key: PhiloxKey, stream: StreamId, offset = 0): void {
  checkFill(out, key, stream, offset);
  const n = out.length;
  if (n === 0) return;
  const perBlock = out instanceof Float64Array ? 2 : 4;
  const firstBlock = Math.floor(offset / perBlock);
  const endBlock = Math.floor((offset + n - 1) / perBlock) + 1;
  const w = BLOCK_WORDS;
  for (let batch = firstBlock; batch < endBlock; batch += BATCH_BLOCKS) {
    const count = Math.min(BATCH_BLOCKS, endBlock - batch);
    philoxBlocks(batch, count, stream[0], stream[1], key[0], key[1], PHILOX_ROUNDS, w);
    // out index of the batch's first element; elements outside [0, n) (ends of the range) are skipped
    const base = batch * perBlock - offset;
    const lo = Math.max(0, base);
    const hi = Math.min(n, base + count * perBlock);
    if (perBlock === 2) {
      for (let i = lo; i < hi; i++) {
        const q = 2 * (i - base); // word index of the element's pair
        const k = (w[q] >>> 5) * 67108864 + (w[q + 1] >>> 6);
        out[i] = k === 0 ? TWO_POW_M54 : k * TWO_POW_M53;
      }
    } else {
      for (let i = lo; i < hi; i++) {
        const k = w[i - base] >>> 8;
        out[i] = k === 0 ? TWO_POW_M25 : k * TWO_POW_M24;
      }
    }
  }
}

/**
 * Fills `out` with standard normal variates by Box–Muller, addressable like uniformFill (out[i] is stream
 * element offset + i). With r = sqrt(-2 ln u1), θ = 2π u2, each (u1, u2) pair gives (r cos θ, r sin θ):
 *  - Float64Array: block b gives elements 2b, 2b+1; u1 = k·2^-53 with k = (w0 >>> 5)·2^26 + (w1 >>> 6)
 *    (k = 0 gives 2^-54), u2 = ((w2 >>> 5)·2^26 + (w3 >>> 6))·2^-53. Largest |value| ≈ 8.65.
 *  - Float32Array: block b gives elements 4b..4b+3 from pairs (w0, w1) and (w2, w3), each word a 32-bit
 *    uniform (w + 0.5)·2^-32; computed in float64, then rounded to float32. Largest |value| ≈ 6.76.
 * ln, sin and cos are evaluated by table-driven polynomials accurate to a few double ulps (values agree with
 * Box–Muller through Math.log/cos/sin to ~3e-15; float32 results are the correctly rounded double values).
 */
export function normalFill(out: Float32Array | Float64Array, key: PhiloxKey, stream: StreamId, offset = 0): void {
  checkFill(out, key, stream, offset);
  if (out instanceof Float64Array) normalFill64(out, key, stream, offset);
  else normalFill32(out, key, stream, offset);
}

function normalFill64(out: Float64Array, key: PhiloxKey, stream: StreamId, offset: number): void {
  const n = out.length;
  if (n === 0) return;
  const firstBlock = Math.floor(offset / 2);
  const endBlock = Math.floor((offset + n - 1) / 2) + 1;
  const w = BLOCK_WORDS;
  const cs = COS_SIN;
  for (let batch = firstBlock; batch < endBlock; batch += BATCH_BLOCKS) {
    const count = Math.min(BATCH_BLOCKS, endBlock - batch);
    philoxBlocks(batch, count, stream[0], stream[1], key[0], key[1], PHILOX_ROUNDS, w);
    let i = batch * 2 - offset; // out index of the block's first element (-1 for an odd offset's first block)
    for (let o = 0; o < 4 * count; o += 4, i += 2) {
      const hi1 = w[o] >>> 5;
      const lo1 = w[o + 1] >>> 6;
      let lnU1: number;
      if (hi1 !== 0) lnU1 = logScaled(hi1 * 67108864 + lo1, 58 - Math.clz32(hi1), 53);
      else if (lo1 !== 0) lnU1 = logScaled(lo1, 32 - Math.clz32(lo1), 53);
      else lnU1 = logScaled(1, 1, 54);
      const r = Math.sqrt(-2 * lnU1);
      const hi2 = w[o + 2] >>> 5; // top 27 of the 53 angle bits: 10 index the table, 17 start delta
      sinCos(hi2 >>> 17, ((hi2 & 0x1ffff) * 67108864 + (w[o + 3] >>> 6)) * ANGLE_STEP_53, cs);
      if (i >= 0) out[i] = r * cs[0];
      if (i + 1 < n) out[i + 1] = r * cs[1];
    }
  }
}

function normalFill32(out: Float32Array, key: PhiloxKey, stream: StreamId, offset: number): void {
  const n = out.length;
  if (n === 0) return;
  const firstBlock = Math.floor(offset / 4);
  const endBlock = Math.floor((offset + n - 1) / 4) + 1;
  const w = BLOCK_WORDS;
  const cs = COS_SIN;
  for (let batch = firstBlock; batch < endBlock; batch += BATCH_BLOCKS) {
    const count = Math.min(BATCH_BLOCKS, endBlock - batch);
    philoxBlocks(batch, count, stream[0], stream[1], key[0], key[1], PHILOX_ROUNDS, w);
    // each pair of words (a, t) gives out[i], out[i+1]; i may start below 0 or end at n (range ends)
    let i = batch * 4 - offset;
    for (let o = 0; o < 4 * count; o += 2, i += 2) {
      if (i + 1 < 0 || i >= n) continue;
      const a = w[o];
      // u1 = (2a + 1)·2^-33 with a read as unsigned; 2a + 1 has one more bit than a
      const r = Math.sqrt(-2 * logScaled((a >>> 0) * 2 + 1, 33 - Math.clz32(a), 33));
      const t = w[o + 1];
      sinCos(t >>> 22, ((t & 0x3fffff) + 0.5) * ANGLE_STEP_32, cs);
      if (i >= 0) out[i] = r * cs[0];
      if (i + 1 < n) out[i + 1] = r * cs[1];
    }
  }
}

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/** SplitMix64 finalizer (Steele, Lea, Flood 2014): a bijection on 64-bit integers with strong avalanche. */
function mix64(z: bigint): bigint {
  z = (z + GOLDEN_GAMMA) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function toKey(z: bigint): [number, number] {
  return [Number(z & 0xffffffffn), Number(z >> 32n)];
}

/**
 * A Philox key from a 64-bit seed (non-negative safe integer or bigint below 2^64), scrambled by the
 * SplitMix64 finalizer so nearby seeds give unrelated keys. It is a bijection: distinct seeds, distinct keys.
 */
export function keyFromSeed(seed: number | bigint): [number, number] {
  let s: bigint;
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed > MASK64) throw new RangeError(`seed must be in [0, 2^64), got ${seed}n`);
    s = seed;
  } else {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer or a bigint, got ${describe(seed)}`);
    s = BigInt(seed);
  }
  return toKey(mix64(s));
}

/**
 * A Philox key derived from a tuple of non-negative integers, e.g. streamKey(runSeed, checkpoint, member, step).
 * h starts as mix64(tuple length) and absorbs each id as h = mix64(h XOR id); the key is h's two words.
 * Tuples of different lengths, or differing in any id or its position, give unrelated keys (every step is
 * a bijection of the running hash, so tuples that differ only in their last id never collide).
 */
export function streamKey(...ids: number[]): [number, number] {
  let h = mix64(BigInt(ids.length));
  ids.forEach((id, i) => {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`streamKey id ${i} must be a non-negative safe integer, got ${describe(id)}`);
    h = mix64(h ^ BigInt(id));
  });
  return toKey(h);
}
