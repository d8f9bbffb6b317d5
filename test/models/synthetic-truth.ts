// A small synthetic truth dataset in the planet's Zarr layout (u, v, height, tracer [time, lat, lon], time in
// "hours since 2000-01-01 00:00:00" noleap, lat, lon, orography, land_fraction) for the models tests.
import { createZarrArray, createZarrStore, writeZarrArray } from '../../src/io/zarr.ts';
import { gridGeometry, type GridKind } from '../../src/sphere/grid.ts';
import type { TrainOptions } from '../../src/models/train.ts';

export interface SyntheticTruthOptions {
  kind?: GridKind;
  nlat?: number;
  nlon?: number;
  /** 6-hourly times as hours since 2000-01-01 */
  hours: number[];
  /** the store's `physics` attribute (planet config overrides; its stirring becomes forcing channels) */
  physics?: Record<string, unknown>;
}

/**
 * Fields are smooth, slowly rotating and decaying patterns (so the next state is predictable from the current one):
 * height = 100 + 10·cos φ·cos(λ − Ωt) + 5·sin φ, tracer advected by the same rotation, winds from the height pattern.
 */
export async function writeSyntheticTruth(path: string, o: SyntheticTruthOptions): Promise<void> {
  const kind = o.kind ?? 'equiangular';
  const nlat = o.nlat ?? 8;
  const nlon = o.nlon ?? 16;
  const geo = gridGeometry({ kind, nlat, nlon });
  const nt = o.hours.length;
  const root = await createZarrStore(path, { overwrite: true, attrs: { title: 'synthetic truth for tests', ...(o.physics ? { physics: o.physics } : {}) } });
  const P = nlat * nlon;
  const fields = { u: new Float32Array(nt * P), v: new Float32Array(nt * P), height: new Float32Array(nt * P), tracer: new Float32Array(nt * P) };
  o.hours.forEach((h, t) => {
    const rot = (2 * Math.PI * h) / (24 * 10); // one revolution in 10 days
    for (let k = 0; k < nlat; k++) {
      const phi = geo.latitudes[k];
      for (let j = 0; j < nlon; j++) {
        const lam = geo.longitudes[j];
        const i = t * P + k * nlon + j;
        fields.height[i] = 100 + 10 * Math.cos(phi) * Math.cos(lam - rot) + 5 * Math.sin(phi) + 2 * Math.cos(phi) ** 2 * Math.sin(2 * (lam - 0.5 * rot));
        fields.u[i] = 3 * Math.cos(phi) + Math.cos(phi) * Math.sin(lam - rot);
        fields.v[i] = Math.cos(phi) * Math.cos(lam - rot) * Math.sin(phi);
        fields.tracer[i] = Math.exp(-((Math.sin(phi) - 0.3) ** 2) * 4) * (1 + Math.cos(lam - rot));
      }
    }
  });
  const write = async (name: string, data: Float32Array | Float64Array, shape: number[], dims: string[], attrs: Record<string, unknown> = {}) => {
    const arr = await createZarrArray(root, name, { shape, chunks: shape, dtype: data instanceof Float64Array ? 'float64' : 'float32', dims, attrs });
    await writeZarrArray(arr, { data, shape });
  };
  await write('time', Float64Array.from(o.hours), [nt], ['time'], { units: 'hours since 2000-01-01 00:00:00', calendar: 'noleap' });
  await write('lat', Float64Array.from(geo.latitudesDeg), [nlat], ['lat'], { units: 'degrees_north' });
  await write('lon', Float64Array.from(geo.longitudesDeg), [nlon], ['lon'], { units: 'degrees_east' });
  for (const [name, data] of Object.entries(fields)) await write(name, data, [nt, nlat, nlon], ['time', 'lat', 'lon']);
  const oro = new Float32Array(P);
  const land = new Float32Array(P);
  for (let k = 0; k < nlat; k++)
    for (let j = 0; j < nlon; j++) {
      oro[k * nlon + j] = Math.max(0, 500 * Math.cos(geo.latitudes[k]) * Math.cos(geo.longitudes[j] - 1));
      land[k * nlon + j] = oro[k * nlon + j] > 0 ? 1 : 0;
    }
  await write('orography', oro, [nlat, nlon], ['lat', 'lon'], { units: 'm' });
  await write('land_fraction', land, [nlat, nlon], ['lat', 'lon']);
}

/** 6-hourly hours covering the last `daysA` days of 2000 and the first `daysB` days of 2001 (noleap). */
export function yearBoundaryHours(daysA: number, daysB: number): number[] {
  const out: number[] = [];
  for (let h = (365 - daysA) * 24; h < (365 + daysB) * 24; h += 6) out.push(h);
  return out;
}

/**
 * Options of a seconds-long training run on a synthetic truth: embed 8, 2 layers, MLP ratio 1, 3 epochs of batch 4,
 * lr 5e-3, one thread, no progress lines; `extra` overrides any of them.
 */
export function tinyTrainOptions(data: string, out: string, seed: number, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { data, out, seed, model: { embedDim: 8, numLayers: 2, mlpRatio: 1 }, epochs: 3, batchSize: 4, lr: 5e-3, threads: 1, progress: false, ...extra };
}
