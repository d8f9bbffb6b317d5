// Member identity: (init time, checkpoint, bred vector, sign) ↔ member index, the control member, units of work
// (init × checkpoint × member block) and the Philox keys that make every member's noise independent of work order.
//
// Indexing follows HENS (fact sheet §2.2): within one init time, member = checkpoint · M_c + rank, where M_c is the
// number of members per checkpoint and rank = 2k + s for bred vector k and sign s (0: x + dx, 1: x − dx), so ranks
// 2k and 2k+1 share a bred vector. With the control option, member 0 (checkpoint 0, rank 0) is unperturbed
// (fact sheet §1.2, "Control member"). Unpaired methods (lagged, none) have rank = perturbation index k.
import { type PhiloxKey, streamKey } from '../engine/index.ts';
import type { Hours } from './model.ts';

/** How the members of one init time are laid out. */
export interface EnsembleLayout {
  checkpoints: number;
  /** Perturbations per checkpoint (bred vectors, lags, noise draws). */
  perturbations: number;
  /** ± pairs: two members (x + dx, x − dx) per perturbation. */
  paired: boolean;
  /** Member 0 is the unperturbed control (HENS). */
  control: boolean;
}

/** Who a member is. */
export interface MemberIdentity {
  /** Index within its init time, 0 … memberCount − 1. */
  member: number;
  checkpoint: number;
  /** Bred vector / perturbation index within the checkpoint. */
  perturbation: number;
  /** +1: x + dx, −1: x − dx (always +1 for unpaired methods). */
  sign: 1 | -1;
  /** Unperturbed (the control member). */
  control: boolean;
}

function checkCount(v: number, what: string, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${what}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
}

/** Checks a layout; errors name the field. */
export function checkLayout(layout: EnsembleLayout): EnsembleLayout {
  checkCount(layout.checkpoints, 'layout.checkpoints', 1);
  checkCount(layout.perturbations, 'layout.perturbations', 1);
  return layout;
}

/** Members per checkpoint (M_c). */
export function membersPerCheckpoint(layout: EnsembleLayout): number {
  return layout.paired ? 2 * layout.perturbations : layout.perturbations;
}

/** Members per init time. */
export function memberCount(layout: EnsembleLayout): number {
  return layout.checkpoints * membersPerCheckpoint(layout);
}

/** Member index of (checkpoint, perturbation, sign). */
export function memberIndex(layout: EnsembleLayout, checkpoint: number, perturbation: number, sign: 1 | -1 = 1): number {
  if (!Number.isInteger(checkpoint) || checkpoint < 0 || checkpoint >= layout.checkpoints) {
    throw new RangeError(`checkpoint: expected an integer in [0, ${layout.checkpoints}), got ${checkpoint}`);
  }
  if (!Number.isInteger(perturbation) || perturbation < 0 || perturbation >= layout.perturbations) {
    throw new RangeError(`perturbation: expected an integer in [0, ${layout.perturbations}), got ${perturbation}`);
  }
  if (sign !== 1 && sign !== -1) throw new RangeError(`sign: expected +1 or -1, got ${sign}`);
  if (!layout.paired && sign !== 1) throw new RangeError('sign: an unpaired layout has only + members');
  const rank = layout.paired ? 2 * perturbation + (sign === 1 ? 0 : 1) : perturbation;
  return checkpoint * membersPerCheckpoint(layout) + rank;
}

/** Identity of member `member`. */
export function memberIdentity(layout: EnsembleLayout, member: number): MemberIdentity {
  const n = memberCount(layout);
  if (!Number.isInteger(member) || member < 0 || member >= n) throw new RangeError(`member: expected an integer in [0, ${n}), got ${member}`);
  const mc = membersPerCheckpoint(layout);
  const checkpoint = Math.floor(member / mc);
  const rank = member % mc;
  const perturbation = layout.paired ? rank >> 1 : rank;
  const sign: 1 | -1 = layout.paired && rank % 2 === 1 ? -1 : 1;
  return { member, checkpoint, perturbation, sign, control: layout.control && member === 0 };
}

/** A short, stable label: "c2/p17/-" (or "c0/control"). */
export function memberLabel(id: MemberIdentity): string {
  return id.control ? `c${id.checkpoint}/control` : `c${id.checkpoint}/p${id.perturbation}/${id.sign === 1 ? '+' : '-'}`;
}

// ------------------------------------------------------------------------------------------------ random streams

/** Offset added to init hours so times before 1970 still give non-negative key ids. */
const INIT_KEY_OFFSET = 2 ** 32;

/** Purposes of the noise keys (the last id of the key tuple). */
export const NOISE_PURPOSE = { seed: 1, gaussian: 2, correlated: 3, model: 4 } as const;

/**
 * The Philox key of one perturbation's noise: streamKey(runSeed, init, checkpoint, perturbation, purpose). The
 * stream id under the key carries the step (e.g. `[tag, step]`), so noise is addressed by (run seed, init,
 * checkpoint, bred vector, step) and never by batch position or order of work. Both members of a ± pair share it.
 */
export function perturbationKey(runSeed: number, init: Hours, checkpoint: number, perturbation: number, purpose: keyof typeof NOISE_PURPOSE): PhiloxKey {
  if (!Number.isSafeInteger(runSeed) || runSeed < 0) throw new RangeError(`seed: expected a non-negative integer, got ${runSeed}`);
  if (!Number.isInteger(init) || init + INIT_KEY_OFFSET < 0) throw new RangeError(`init: expected whole hours, got ${init}`);
  return streamKey(runSeed, init + INIT_KEY_OFFSET, checkpoint, perturbation, NOISE_PURPOSE[purpose]);
}

// ------------------------------------------------------------------------------------------------ units of work

/** One unit of work: one init time, one checkpoint, a block of that checkpoint's members. */
export interface WorkUnit {
  /** Stable id, e.g. "i0-c1-b3" (indices into the run's init list, checkpoints and blocks). */
  id: string;
  init: number;
  checkpoint: number;
  block: number;
  /** First member index (within the init) and number of members. */
  firstMember: number;
  members: number;
}

/** The name of unit (init, checkpoint, block). */
export function unitId(init: number, checkpoint: number, block: number): string {
  return `i${init}-c${checkpoint}-b${block}`;
}

/**
 * Every unit of a run in canonical order (init, checkpoint, block). `memberBlock` must divide M_c, so units own
 * whole member chunks of the store.
 */
export function workUnits(layout: EnsembleLayout, inits: number, memberBlock: number): WorkUnit[] {
  checkLayout(layout);
  checkCount(inits, 'inits', 1);
  checkCount(memberBlock, 'memberBlock', 1);
  const mc = membersPerCheckpoint(layout);
  if (mc % memberBlock !== 0) throw new RangeError(`memberBlock: ${memberBlock} does not divide the ${mc} members per checkpoint`);
  const blocks = mc / memberBlock;
  const out: WorkUnit[] = [];
  for (let i = 0; i < inits; i++) {
    for (let c = 0; c < layout.checkpoints; c++) {
      for (let b = 0; b < blocks; b++) {
        out.push({ id: unitId(i, c, b), init: i, checkpoint: c, block: b, firstMember: c * mc + b * memberBlock, members: memberBlock });
      }
    }
  }
  return out;
}

/** The units shard `shard` of `shards` takes (round robin over the canonical order). */
export function shardUnits(units: readonly WorkUnit[], shard: number, shards: number): WorkUnit[] {
  checkCount(shards, 'shards', 1);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) throw new RangeError(`shard: expected an integer in [0, ${shards}), got ${shard}`);
  return units.filter((_, k) => k % shards === shard);
}
