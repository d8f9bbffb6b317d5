// Tests the Philox4x32 generator against Random123's known-answer vectors, the documented layout of the
// uniform/normal fills, regeneration of any slice from its offset, key derivation, and sampling statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  keyFromSeed,
  normalFill,
  philox4x32,
  streamKey,
  uniformFill,
  type PhiloxKey,
  type StreamId,
} from '../../src/engine/random.ts';

// Known-answer vectors for philox4x32 (counter words, key words -> output words), from the Random123
// library's tests/kat_vectors (D. E. Shaw Research, github.com/DEShawResearch/random123).
const KAT: { rounds: number; ctr: number[]; key: number[]; out: number[] }[] = [
  { rounds: 7, ctr: [0, 0, 0, 0], key: [0, 0], out: [0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48] },
  {
    rounds: 7,
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662],
  },
  {
    rounds: 7,
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a],
  },
  { rounds: 10, ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    rounds: 10,
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    rounds: 10,
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

test('philox4x32 reproduces the Random123 known-answer vectors (7 and 10 rounds)', () => {
  for (const v of KAT) {
    const got = philox4x32(v.ctr, v.key, v.rounds);
    assert.ok(got instanceof Uint32Array);
    assert.deepEqual(Array.from(got), v.out, `rounds=${v.rounds} ctr=${v.ctr.map((x) => x.toString(16))}`);
    if (v.rounds === 10) assert.deepEqual(Array.from(philox4x32(new Uint32Array(v.ctr), new Uint32Array(v.key))), v.out);
  }
});

test('philox4x32 rejects malformed counters, keys and round counts', () => {
  assert.throws(() => philox4x32([0, 0, 0], [0, 0]), /counter must be 4 unsigned 32-bit words/);
  assert.throws(() => philox4x32([0, 0, 0, 2 ** 32], [0, 0]), /counter\[3\] must be an unsigned 32-bit integer, got 4294967296/);
  assert.throws(() => philox4x32([0, 0, 0, 0], [0, -1]), /key\[1\] must be an unsigned 32-bit integer, got -1/);
  assert.throws(() => philox4x32([0, 0, 0, 0], [0.5, 0]), /key\[0\]/);
  assert.throws(() => philox4x32([0, 0, 0, 0], [0, 0], 0), /rounds must be an integer in 1..16/);
});

const KEY: PhiloxKey = [0x12345678, 0x9abcdef0];
const STREAM: StreamId = [7, 0xfffffffe];

/** The documented 53-bit uniform from two words. */
function u53(a: number, b: number): number {
  const k = (a >>> 5) * 2 ** 26 + (b >>> 6);
  return k === 0 ? 2 ** -54 : k * 2 ** -53;
}
function blockWords(block: number, key: PhiloxKey = KEY, stream: StreamId = STREAM): Uint32Array {
  return philox4x32([block % 2 ** 32, Math.floor(block / 2 ** 32), stream[0], stream[1]], key);
}

test('uniformFill follows the documented counter layout and bit recipe', () => {
  // Start just below block 2^32 so the block counter carries into counter word 1.
  const firstBlock = 2 ** 32 - 3;
  const u64 = new Float64Array(11);
  uniformFill(u64, KEY, STREAM, 2 * firstBlock + 1);
  for (let i = 0; i < u64.length; i++) {
    const e = 2 * firstBlock + 1 + i;
    const w = blockWords(Math.floor(e / 2));
    const p = e % 2;
    assert.equal(u64[i], u53(w[2 * p], w[2 * p + 1]), `float64 element ${e}`);
  }
  const u32 = new Float32Array(13);
  uniformFill(u32, KEY, STREAM, 4 * firstBlock + 2);
  for (let i = 0; i < u32.length; i++) {
    const e = 4 * firstBlock + 2 + i;
    const k = blockWords(Math.floor(e / 4))[e % 4] >>> 8;
    assert.equal(u32[i], k === 0 ? 2 ** -25 : k * 2 ** -24, `float32 element ${e}`);
  }
});

test('normalFill equals Box–Muller on the documented uniforms (computed with Math.log/cos/sin)', () => {
  const n = 20000;
  const z64 = new Float64Array(n);
  normalFill(z64, KEY, STREAM);
  let maxErr64 = 0;
  for (let b = 0; b < n / 2; b++) {
    const w = blockWords(b);
    const r = Math.sqrt(-2 * Math.log(u53(w[0], w[1])));
    const theta = 2 * Math.PI * ((w[2] >>> 5) * 2 ** 26 + (w[3] >>> 6)) * 2 ** -53; // the angle may be 0
    maxErr64 = Math.max(maxErr64, Math.abs(z64[2 * b] - r * Math.cos(theta)), Math.abs(z64[2 * b + 1] - r * Math.sin(theta)));
  }
  // The fill's table-driven ln/sin/cos agree with the libm functions to a few ulps of values up to ~5.
  assert.ok(maxErr64 < 2e-14, `float64 max abs difference ${maxErr64}`);

  const z32 = new Float32Array(n);
  normalFill(z32, KEY, STREAM);
  let worstUlps = 0;
  for (let b = 0; b < n / 4; b++) {
    const w = blockWords(b);
    for (let p = 0; p < 4; p += 2) {
      const r = Math.sqrt(-2 * Math.log((w[p] + 0.5) * 2 ** -32));
      const theta = 2 * Math.PI * (w[p + 1] + 0.5) * 2 ** -32;
      for (const [got, want] of [
        [z32[4 * b + p], r * Math.cos(theta)],
        [z32[4 * b + p + 1], r * Math.sin(theta)],
      ]) {
        const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(want), 2 ** -126))) - 23);
        worstUlps = Math.max(worstUlps, Math.abs(got - want) / ulp);
      }
    }
  }
  assert.ok(worstUlps <= 0.5 + 1e-6, `float32 values are the correctly rounded double results (worst ${worstUlps} ulp)`);
});

test('any slice regenerated from its offset equals the same slice of a fill from 0', () => {
  const total = 5000; // crosses the internal batch boundaries (512 blocks = 1024 or 2048 elements)
  const offsets = [0, 1, 2, 3, 5, 7, 1023, 1024, 1025, 2047, 2049, 4095];
  const lengths = [0, 1, 2, 3, 4, 5, 17, 900];
  for (const fill of [uniformFill, normalFill]) {
    for (const Ctor of [Float64Array, Float32Array]) {
      const whole = new Ctor(total);
      fill(whole, KEY, STREAM);
      for (const off of offsets) {
        for (const len of lengths) {
          if (off + len > total) continue;
          const part = new Ctor(len);
          fill(part, KEY, STREAM, off);
          assert.deepEqual(part, whole.subarray(off, off + len), `${fill.name} ${Ctor.name} offset ${off} length ${len}`);
        }
      }
      // a fill into a view writes only inside the view
      const buffer = new Ctor(10).fill(-7);
      fill(buffer.subarray(3, 6), KEY, STREAM, 1);
      assert.deepEqual(Array.from(buffer.subarray(0, 3)), [-7, -7, -7]);
      assert.deepEqual(Array.from(buffer.subarray(6)), [-7, -7, -7, -7]);
      assert.deepEqual(buffer.subarray(3, 6), whole.subarray(1, 4));
    }
  }
});

test('different keys and streams give different sequences; same inputs give the same bits', () => {
  const a = new Float64Array(64);
  const b = new Float64Array(64);
  normalFill(a, KEY, STREAM);
  normalFill(b, KEY, STREAM);
  assert.deepEqual(a, b);
  for (const [key, stream] of [
    [[KEY[0] ^ 1, KEY[1]], STREAM],
    [KEY, [STREAM[0] + 1, STREAM[1]]],
    [KEY, [STREAM[0], STREAM[1] ^ 0x80000000]],
  ] as [PhiloxKey, StreamId][]) {
    normalFill(b, key, stream);
    assert.ok(a.every((x, i) => x !== b[i]), `no coincident values for key ${key} stream ${stream}`);
  }
});

test('fills reject bad arguments with clear messages', () => {
  assert.throws(() => uniformFill([0, 0] as unknown as Float64Array, KEY, STREAM), /out must be a Float32Array or Float64Array/);
  assert.throws(() => normalFill(new Int32Array(2) as unknown as Float64Array, KEY, STREAM), /got Int32Array\(2\)/);
  assert.throws(() => normalFill(new Float64Array(2), [1] as unknown as PhiloxKey, STREAM), /key must be 2 unsigned 32-bit words/);
  assert.throws(() => normalFill(new Float64Array(2), KEY, [1, 2 ** 33]), /stream\[1\] must be an unsigned 32-bit integer/);
  assert.throws(() => uniformFill(new Float32Array(2), KEY, STREAM, -1), /offset must be a non-negative integer, got -1/);
  assert.throws(() => uniformFill(new Float32Array(2), KEY, STREAM, 1.5), /offset/);
  assert.throws(() => uniformFill(new Float32Array(2), KEY, STREAM, Number.MAX_SAFE_INTEGER), /exceeds 2\^53 - 1/);
});

// ---- sampling statistics: thresholds are 5 standard errors of each estimator (a false alarm has
// probability below 1e-6 per check; the inputs are fixed, so a pass or failure is reproducible).
const N = 1_000_000;
const FIVE_SE = (variance: number) => 5 * Math.sqrt(variance / N);

function moments(x: Float32Array | Float64Array) {
  let s1 = 0, s2 = 0, s4 = 0, lag = 0, beyond2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    s1 += v;
    s2 += v * v;
    s4 += v * v * v * v;
    if (i > 0) lag += v * x[i - 1];
    if (Math.abs(v) > 2) beyond2++;
  }
  const n = x.length;
  return { mean: s1 / n, second: s2 / n, fourth: s4 / n, lag1: lag / (n - 1), beyond2: beyond2 / n };
}

test('1e6 normals: mean, variance, kurtosis, tail mass and lag-1 correlation within 5 standard errors', () => {
  const P2 = 0.04550026389635842; // P(|Z| > 2) for a standard normal
  for (const Ctor of [Float64Array, Float32Array]) {
    const z = new Ctor(N);
    normalFill(z, keyFromSeed(2026), [3, 1]);
    const m = moments(z);
    const label = Ctor.name;
    assert.ok(Math.abs(m.mean) < FIVE_SE(1), `${label} mean ${m.mean}`);
    assert.ok(Math.abs(m.second - 1) < FIVE_SE(2), `${label} E z^2 ${m.second}`); // Var(z^2) = 2
    assert.ok(Math.abs(m.fourth - 3) < FIVE_SE(96), `${label} E z^4 ${m.fourth}`); // Var(z^4) = 105 - 9
    assert.ok(Math.abs(m.lag1) < FIVE_SE(1), `${label} lag-1 correlation ${m.lag1}`);
    assert.ok(Math.abs(m.beyond2 - P2) < FIVE_SE(P2 * (1 - P2)), `${label} P(|z|>2) ${m.beyond2}`);
    // pairs from one Box–Muller draw (cos, sin) are uncorrelated too: correlation of even/odd neighbours
    let pair = 0;
    for (let i = 0; i + 1 < N; i += 2) pair += z[i] * z[i + 1];
    assert.ok(Math.abs(pair / (N / 2)) < 5 * Math.sqrt(1 / (N / 2)), `${label} within-pair correlation`);
  }
});

test('1e6 uniforms: inside (0,1), mean, variance and lag-1 correlation within 5 standard errors', () => {
  for (const Ctor of [Float64Array, Float32Array]) {
    const u = new Ctor(N);
    uniformFill(u, keyFromSeed(7), [0, 0]);
    let s1 = 0, s2 = 0, lag = 0, min = 1, max = 0;
    for (let i = 0; i < N; i++) {
      const c = u[i] - 0.5;
      s1 += c;
      s2 += c * c;
      if (i > 0) lag += c * (u[i - 1] - 0.5);
      if (u[i] < min) min = u[i];
      if (u[i] > max) max = u[i];
    }
    assert.ok(min > 0 && max < 1, `${Ctor.name} range [${min}, ${max}]`);
    assert.ok(Math.abs(s1 / N) < FIVE_SE(1 / 12), `${Ctor.name} mean - 1/2 = ${s1 / N}`);
    assert.ok(Math.abs(s2 / N - 1 / 12) < FIVE_SE(1 / 180), `${Ctor.name} variance ${s2 / N}`); // Var((u-1/2)^2) = 1/80 - 1/144
    assert.ok(Math.abs(lag / (N - 1)) < FIVE_SE(1 / 144), `${Ctor.name} lag-1 covariance ${lag / (N - 1)}`);
  }
});

test('streams under neighbouring keys are uncorrelated', () => {
  const n = 200_000;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  normalFill(a, streamKey(1, 0, 0, 0), [0, 0]);
  normalFill(b, streamKey(1, 0, 1, 0), [0, 0]);
  let c = 0;
  for (let i = 0; i < n; i++) c += a[i] * b[i];
  assert.ok(Math.abs(c / n) < 5 / Math.sqrt(n), `cross-correlation ${c / n}`);
});

test('keyFromSeed is SplitMix64: published outputs for state 0 and its successors', () => {
  // SplitMix64 (Steele, Lea, Flood 2014) seeded with 0 outputs 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4,
  // 0x06C45D188009454F; keyFromSeed(s) is the first output for state s, so successive states γ·k match.
  const gamma = 0x9e3779b97f4a7c15n;
  const expected = [0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn];
  expected.forEach((want, k) => {
    const [lo, hi] = keyFromSeed((gamma * BigInt(k)) & ((1n << 64n) - 1n));
    assert.equal((BigInt(hi) << 32n) | BigInt(lo), want, `state γ·${k}`);
  });
  assert.deepEqual(keyFromSeed(12345), keyFromSeed(12345n));
  const keys = new Set<string>();
  for (let s = 0; s < 2000; s++) keys.add(keyFromSeed(s).join(','));
  assert.equal(keys.size, 2000);
  for (const word of keyFromSeed(2n ** 64n - 1n)) assert.ok(Number.isInteger(word) && word >= 0 && word < 2 ** 32);
  assert.throws(() => keyFromSeed(-1), /seed must be a non-negative safe integer or a bigint, got -1/);
  assert.throws(() => keyFromSeed(0.5), /seed must be/);
  assert.throws(() => keyFromSeed(2n ** 64n), /seed must be in \[0, 2\^64\)/);
});

test('streamKey gives distinct, well-mixed keys over a grid of tuples', () => {
  const seen = new Map<string, string>();
  const add = (ids: number[]) => {
    const k = streamKey(...ids).join(',');
    assert.ok(!seen.has(k), `streamKey(${ids}) collides with streamKey(${seen.get(k)})`);
    seen.set(k, ids.join(','));
  };
  for (let seed = 0; seed < 4; seed++)
    for (let ckpt = 0; ckpt < 4; ckpt++)
      for (let member = 0; member < 64; member++) for (let step = 0; step < 16; step++) add([seed, ckpt, member, step]);
  for (let a = 0; a < 16; a++) {
    add([a]);
    for (let b = 0; b < 16; b++) add([a, b]);
  }
  add([]);
  add([2 ** 53 - 1, 2 ** 40]);
  assert.equal(seen.size, 4 * 4 * 64 * 16 + 16 + 256 + 2);
  assert.deepEqual(streamKey(3, 1, 4), streamKey(3, 1, 4));

  // Well mixed: keys of tuples differing by one in the last id differ in about half of their 64 bits.
  // Hamming distance of independent random 64-bit keys: mean 32, variance 16.
  const popcount = (x: number) => {
    let c = 0;
    for (; x; x &= x - 1) c++;
    return c;
  };
  let total = 0;
  const pairs = 4096;
  for (let m = 0; m < pairs; m++) {
    const [a0, a1] = streamKey(9, 2, m, 5);
    const [b0, b1] = streamKey(9, 2, m + 1, 5);
    total += popcount((a0 ^ b0) >>> 0) + popcount((a1 ^ b1) >>> 0);
  }
  assert.ok(Math.abs(total / pairs - 32) < 5 * Math.sqrt(16 / pairs), `mean Hamming distance ${total / pairs}`);

  assert.throws(() => streamKey(1, -2), /streamKey id 1 must be a non-negative safe integer, got -2/);
  assert.throws(() => streamKey(1.5), /streamKey id 0/);
});
