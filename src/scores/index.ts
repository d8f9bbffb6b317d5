// The scores layer: ensemble verification metrics and their streaming, mergeable accumulators (pure TypeScript).
// Re-exports every module; see docs in each file for the metrics-factsheet section it follows.

export * from './grid.ts';
export * from './crps.ts';
export * from './mean.ts';
export * from './ranks.ts';
export * from './probability.ts';
export * from './efi.ts';
export * from './spectrum.ts';
export * from './huge.ts';
export * from './streaming.ts';
export * from './tiles.ts';
export * from './streamed.ts';
export * from './events.ts';
export * from './pass.ts';
export * from './climate.ts';
