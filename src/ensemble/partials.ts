// Per-unit statistics partials: the streaming accumulators of one unit of work (moments, extremes, exceedances) plus
// each member's climate-percentile level, in a compact binary file; and their merge, in canonical unit order, into an
// init's statistics. Merging a fixed sequence of partials makes the statistics independent of interruptions.
//
// File layout (little-endian): "MYRP" | u32 header length | header JSON | sections. The header lists, per field
// (channel × lead, channel-major), the byte offset of its section. A section holds, each 8-byte aligned:
//   mean f64[P] | m2 f64[P] | min f32[P] | max f32[P] | exceedance counts u16[T·P] (if thresholds) |
//   climate levels u8[members·P] (if a climate): level k = the first percentile index j with clim_j ≥ x (101: above all).
import * as fs from 'node:fs';
import { CLIMATE_PERCENTILES, ExceedanceAccumulator, ExtremesAccumulator, MomentsAccumulator } from '../scores/streaming.ts';

const MAGIC = 'MYRP';

/** The accumulators of one field (channel × lead) over one unit's members. */
export class UnitFieldStatistics {
  readonly moments: MomentsAccumulator;
  readonly extremes: ExtremesAccumulator;
  readonly exceedance?: ExceedanceAccumulator;
  /** [members, P] climate levels (u8), when a climate is configured. */
  levels?: Uint8Array;

  constructor(readonly points: number, thresholds?: readonly number[]) {
    this.moments = new MomentsAccumulator(points);
    this.extremes = new ExtremesAccumulator(points);
    if (thresholds) this.exceedance = new ExceedanceAccumulator(points, thresholds, '>');
  }

  /** Adds the unit's members [members, P] (once: a unit's members come as one batch). */
  add(batch: Float32Array, climateByPoint?: Float64Array): void {
    this.moments.add(batch);
    this.extremes.add(batch);
    this.exceedance?.add(batch);
    if (climateByPoint) {
      if (this.levels?.length !== batch.length) this.levels = new Uint8Array(batch.length);
      climateLevels(batch, this.points, climateByPoint, this.levels);
    }
  }

  /** Empties the accumulators so the object can serve the next unit (no reallocation). */
  reset(): void {
    this.moments.count = 0; // the next add overwrites mean and M2
    this.extremes.count = 0;
    this.extremes.min.fill(Infinity);
    this.extremes.max.fill(-Infinity);
    if (this.exceedance) {
      this.exceedance.count = 0;
      this.exceedance.counts.fill(0);
    }
  }
}

/** Row length of {@link climateByPoint}: the 101 percentiles padded with +∞ to a power of two (branch-free search). */
export const CLIMATE_ROW = 128;

/**
 * (N, P) percentile-major climate → (P, CLIMATE_ROW) point-major rows, each padded with +∞ after its N values, for
 * {@link climateLevels}' fixed-length binary search. N < CLIMATE_ROW.
 */
export function climateByPoint(clim: Float64Array, points: number, levels = CLIMATE_PERCENTILES): Float64Array {
  // the 7-halving search counts at most 127 entries below x: at least one +∞ pad per row
  if (levels >= CLIMATE_ROW) throw new RangeError(`climateByPoint: at most ${CLIMATE_ROW - 1} levels, got ${levels}`);
  if (clim.length !== levels * points) throw new RangeError(`climateByPoint: expected ${levels}·${points} values, got ${clim.length}`);
  const out = new Float64Array(points * CLIMATE_ROW).fill(Infinity);
  for (let j = 0; j < levels; j++) for (let p = 0; p < points; p++) out[p * CLIMATE_ROW + j] = clim[j * points + p];
  return out;
}

/**
 * Per member and point, the first level j with clim_j ≥ x (the number of levels if none): [members, P] u8, from the
 * padded rows of {@link climateByPoint} (sorted climates). The search takes a fixed 7 halvings with no data-dependent
 * branch (the count of row values < x), instead of a branchy search per member: same levels, fewer mispredictions.
 */
export function climateLevels(batch: Float32Array, points: number, byPoint: Float64Array, out: Uint8Array = new Uint8Array(batch.length)): Uint8Array {
  const members = batch.length / points;
  if (!Number.isInteger(members) || byPoint.length !== points * CLIMATE_ROW) {
    throw new RangeError(`climateLevels: expected a batch of whole members of ${points} points and ${points}·${CLIMATE_ROW} climate values, got ${batch.length} and ${byPoint.length}`);
  }
  // point-outer: the point's climate row stays in cache while its members are placed
  for (let p = 0; p < points; p++) {
    const row = p * CLIMATE_ROW;
    for (let k = p; k < batch.length; k += points) {
      const x = batch[k];
      if (x !== x) throw new Error(`member ${(k - p) / points} has NaN at point ${p}; climate-percentile counts need finite members`);
      // lo = number of row entries < x (the row is sorted, +∞ padded): the first index with clim ≥ x
      let lo = row;
      lo += byPoint[lo + 63] < x ? 64 : 0;
      lo += byPoint[lo + 31] < x ? 32 : 0;
      lo += byPoint[lo + 15] < x ? 16 : 0;
      lo += byPoint[lo + 7] < x ? 8 : 0;
      lo += byPoint[lo + 3] < x ? 4 : 0;
      lo += byPoint[lo + 1] < x ? 2 : 0;
      lo += byPoint[lo] < x ? 1 : 0;
      out[k] = lo - row;
    }
  }
  return out;
}

interface PartialHeader {
  unit: string;
  members: number;
  points: number;
  /** Per channel: number of thresholds (0: none) and whether climate levels are present. */
  channels: { name: string; thresholds: number; climate: boolean }[];
  leads: number;
  /** Byte offset of each field's section (channel-major), from the start of the file. */
  offsets: number[];
}

const align8 = (n: number) => (n + 7) & ~7;

function sectionBytes(points: number, members: number, thresholds: number, climate: boolean): number {
  return align8(8 * points) * 2 + align8(4 * points) * 2 + (thresholds ? align8(2 * thresholds * points) : 0) + (climate ? align8(members * points) : 0);
}

/** Serialises a unit's fields [channel][lead] to the binary partial format. */
export function encodePartial(unit: string, members: number, channels: string[], fields: UnitFieldStatistics[][]): Buffer {
  const P = fields[0][0].points;
  const leads = fields[0].length;
  const chInfo = channels.map((name, c) => ({ name, thresholds: fields[c][0].exceedance?.thresholdCount ?? 0, climate: fields[c][0].levels !== undefined }));
  // header size depends on the offsets' digits: iterate to a fixed point
  let headerText = '';
  let offsets: number[] = [];
  for (let guess = 0, k = 0; k < 4; k++) {
    const start = align8(8 + guess);
    offsets = [];
    let at = start;
    chInfo.forEach((ci) => {
      for (let l = 0; l < leads; l++) {
        offsets.push(at);
        at += sectionBytes(P, members, ci.thresholds, ci.climate);
      }
    });
    const header: PartialHeader = { unit, members, points: P, channels: chInfo, leads, offsets };
    headerText = JSON.stringify(header);
    const len = Buffer.byteLength(headerText);
    if (len === guess) break;
    guess = len;
  }
  const headerBytes = Buffer.from(headerText);
  const total = offsets.length ? offsets[offsets.length - 1] + sectionBytes(P, members, chInfo[chInfo.length - 1].thresholds, chInfo[chInfo.length - 1].climate) : align8(8 + headerBytes.length);
  const buf = Buffer.alloc(total);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(buf, 8);
  let f = 0;
  chInfo.forEach((ci, c) => {
    for (let l = 0; l < leads; l++, f++) {
      const s = fields[c][l];
      let at = offsets[f];
      const put = (arr: ArrayBufferView, bytes: number) => {
        Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).copy(buf, at);
        at += align8(bytes);
      };
      put(s.moments.mean, 8 * P);
      put(s.moments.m2, 8 * P);
      put(Float32Array.from(s.extremes.min), 4 * P);
      put(Float32Array.from(s.extremes.max), 4 * P);
      if (ci.thresholds) {
        const counts = s.exceedance!.counts;
        const u16 = new Uint16Array(counts.length);
        for (let i = 0; i < counts.length; i++) u16[i] = counts[i];
        put(u16, 2 * counts.length);
      }
      if (ci.climate) put(s.levels!, members * P);
    }
  });
  return buf;
}

/** One field of a partial file, read back. */
export interface PartialField {
  members: number;
  mean: Float64Array;
  m2: Float64Array;
  min: Float32Array;
  max: Float32Array;
  exceedance?: Uint16Array;
  levels?: Uint8Array;
}

/** An open partial file: its header, and its fields read on demand (one small read each). */
export class PartialFile {
  readonly header: PartialHeader;
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(8);
    fs.readSync(this.fd, head, 0, 8, 0);
    if (head.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${file} is not a myriad statistics partial (bad magic)`);
    const len = head.readUInt32LE(4);
    const text = Buffer.alloc(len);
    fs.readSync(this.fd, text, 0, len, 8);
    this.header = JSON.parse(text.toString('utf8')) as PartialHeader;
  }

  field(channel: string, lead: number): PartialField {
    const h = this.header;
    const c = h.channels.findIndex((x) => x.name === channel);
    if (c < 0) throw new Error(`${this.file}: no channel '${channel}'`);
    const ci = h.channels[c];
    const P = h.points;
    const bytes = sectionBytes(P, h.members, ci.thresholds, ci.climate);
    const buf = Buffer.alloc(bytes);
    fs.readSync(this.fd, buf, 0, bytes, h.offsets[c * h.leads + lead]);
    // Buffer.alloc gives a buffer of its own at offset 0, and every part is 8-byte aligned: views, no copies
    let at = buf.byteOffset;
    const take = <T>(ctor: new (b: ArrayBuffer, offset: number, length: number) => T & { BYTES_PER_ELEMENT?: number }, n: number, bytesPer: number): T => {
      const view = new ctor(buf.buffer as ArrayBuffer, at, n / bytesPer);
      at += align8(n);
      return view;
    };
    const out: PartialField = {
      members: h.members,
      mean: take(Float64Array, 8 * P, 8),
      m2: take(Float64Array, 8 * P, 8),
      min: take(Float32Array, 4 * P, 4),
      max: take(Float32Array, 4 * P, 4),
    };
    if (ci.thresholds) out.exceedance = take(Uint16Array, 2 * ci.thresholds * P, 2);
    if (ci.climate) out.levels = take(Uint8Array, h.members * P, 1);
    return out;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The merged statistics of one field over a sequence of partials. */
export interface MergedField {
  moments: MomentsAccumulator;
  extremes: ExtremesAccumulator;
  exceedance?: ExceedanceAccumulator;
  /** (N, P) counts of members ≤ each climate percentile. */
  climateCounts?: Int32Array;
}

/**
 * Merges one field over `parts` in the given order: moments by Chan's pairwise update (streaming.ts), extremes and
 * exceedances by their merges, climate counts as the cumulative histogram of the members' levels.
 */
export function mergeField(parts: readonly PartialField[], points: number, thresholds?: readonly number[], climate?: boolean): MergedField {
  const moments = new MomentsAccumulator(points);
  const extremes = new ExtremesAccumulator(points);
  const exceedance = thresholds ? new ExceedanceAccumulator(points, thresholds, '>') : undefined;
  const N = CLIMATE_PERCENTILES;
  const hist = climate ? new Int32Array((N + 1) * points) : undefined; // [level, point]
  // one scratch accumulator of each kind, refilled from every part (the merges read them only)
  const m = new MomentsAccumulator(points);
  const e = new ExtremesAccumulator(points);
  const x = exceedance ? new ExceedanceAccumulator(points, thresholds!, '>') : undefined;
  for (const part of parts) {
    m.mean.set(part.mean);
    m.m2.set(part.m2);
    m.count = part.members;
    moments.merge(m);
    e.min.set(part.min);
    e.max.set(part.max);
    e.count = part.members;
    extremes.merge(e);
    if (exceedance) {
      x!.counts.set(part.exceedance!);
      x!.count = part.members;
      exceedance.merge(x!);
    }
    if (hist) {
      const lv = part.levels!;
      for (let m = 0, k = 0; m < part.members; m++) for (let p = 0; p < points; p++, k++) hist[lv[k] * points + p]++;
    }
  }
  let climateCounts: Int32Array | undefined;
  if (hist) {
    climateCounts = new Int32Array(N * points);
    for (let p = 0; p < points; p++) climateCounts[p] = hist[p];
    for (let j = 1; j < N; j++) {
      const row = j * points;
      for (let p = 0; p < points; p++) climateCounts[row + p] = climateCounts[row - points + p] + hist[row + p];
    }
  }
  return { moments, extremes, exceedance, climateCounts };
}
