// The shallow-water model against torch-harmonics' solver: the Galewsky fixture (12 steps of 600 s, float64, run as
// three session calls of 4 steps whose Adams–Bashforth history continues), a second batch member rotated in
// longitude (members independent, the dynamics rotation-invariant), float32 agreement (δ is ~60× smaller than ζ, so its
// relative error is larger), and bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { ShallowWaterModel, type SweState } from '../../src/world/swe.ts';

const fixture = loadSafetensors(new URL('../fixtures/torch-harmonics/swe_galewsky_64x128_l22.safetensors', import.meta.url).pathname);
const arr = (name: string) => Float64Array.from(fixture.tensors.get(name)!.data as ArrayLike<number>);
const meta = fixture.metadata ?? {};
const L = Number(meta.lmax);
const M = Number(meta.mmax);

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function galewskyModel(dtype: 'float32' | 'float64') {
  assert.equal(meta.grid, 'equiangular');
  return new ShallowWaterModel({ nlat: Number(meta.nlat), nlon: Number(meta.nlon), grid: 'equiangular', lmax: L, mmax: M, dt: Number(meta.dt), dtype }, 1);
}

/** Spectra [3, L, M] rotated eastwards by a quarter turn: coefficient × e^{−imπ/2}. */
function rotateQuarter(re: Float64Array, im: Float64Array): { re: Float64Array; im: Float64Array } {
  const r = new Float64Array(re.length);
  const i = new Float64Array(im.length);
  for (let k = 0; k < re.length; k++) {
    const m = k % M;
    const c = [1, 0, -1, 0][m % 4];
    const s = [0, -1, 0, 1][m % 4]; // e^{−imπ/2} = c + i·s
    r[k] = re[k] * c - im[k] * s;
    i[k] = re[k] * s + im[k] * c;
  }
  return { re: r, im: i };
}

async function run12(model: ShallowWaterModel, state: SweState): Promise<SweState> {
  for (let k = 0; k < 3; k++) state = await model.step(state, 4);
  assert.equal(state.history.steps, 12);
  return state;
}

test('Galewsky jet: 12 steps of 600 s reproduce torch-harmonics (float64, ≤ 1e-8), members independent', async () => {
  const model = galewskyModel('float64');
  const ic = { re: arr('ic_re'), im: arr('ic_im') };
  const rot = rotateQuarter(ic.re, ic.im);
  const both = model.stateFromLM(Float64Array.from([...ic.re, ...rot.re]), Float64Array.from([...ic.im, ...rot.im]), 2);
  const out = await run12(model, both);
  const { re, im } = model.lmFromState(out);
  const n = 3 * L * M;
  const refRe = arr('after_12_steps_re');
  const refIm = arr('after_12_steps_im');
  for (let f = 0; f < 3; f++) {
    const sl = (a: Float64Array) => a.subarray(f * L * M, (f + 1) * L * M);
    const e = relErr([...sl(re), ...sl(im)], [...sl(refRe), ...sl(refIm)]);
    assert.ok(e <= 1e-8, `field ${f}: relative spectral error ${e}`);
  }
  const grid = await model.grid(out);
  // fields [F, B, nlat, nlon]: member 0's Φ, ζ, δ
  const nlat = Number(meta.nlat);
  const nlon = Number(meta.nlon);
  const P = nlat * nlon;
  const member0 = new Float64Array(3 * P);
  for (let f = 0; f < 3; f++) member0.set(grid.fields.subarray((f * 2) * P, (f * 2 + 1) * P), f * P);
  const eg = relErr(member0, arr('grid_after_12_steps'));
  assert.ok(eg <= 1e-8, `grid relative error ${eg}`);
  // member 1 = member 0 rotated by a quarter turn
  const expect = rotateQuarter(re.subarray(0, n), im.subarray(0, n));
  const er = relErr([...re.subarray(n), ...im.subarray(n)], [...expect.re, ...expect.im]);
  assert.ok(er <= 1e-12, `rotated member differs by ${er}`);
  // the run really moved: ζ after 12 steps differs from the initial ζ well beyond the tolerance
  assert.ok(relErr(re.subarray(L * M, 2 * L * M), ic.re.subarray(L * M, 2 * L * M)) > 1e-3);
});

test('Galewsky jet in float32 stays within single-precision error of torch-harmonics', async () => {
  const model = galewskyModel('float32');
  const out = await run12(model, model.stateFromLM(arr('ic_re'), arr('ic_im'), 1));
  const { re, im } = model.lmFromState(out);
  const refRe = arr('after_12_steps_re');
  const refIm = arr('after_12_steps_im');
  for (let f = 0; f < 3; f++) {
    const sl = (a: Float64Array) => a.subarray(f * L * M, (f + 1) * L * M);
    const e = relErr([...sl(re), ...sl(im)], [...sl(refRe), ...sl(refIm)]);

    assert.ok(e <= [1e-6, 1e-5, 1e-3][f], `field ${f}: relative spectral error ${e}`);
  }
});

test('shallow-water options are checked with clear messages', () => {
  assert.throws(() => new ShallowWaterModel({ nlat: 64, nlon: 128, lmax: 22, dt: -1 }), /dt must be a positive/);
  assert.throws(() => new ShallowWaterModel({ nlat: 64, nlon: 128, lmax: 22, dt: 600, orography: new Float64Array(5) }), /orography has 5 values/);
  assert.throws(() => new ShallowWaterModel({ nlat: 64, nlon: 128, lmax: 22, dt: 600, relaxationRates: { tracer: 1e-5 } }), /'tracer' is not a field/);
  const model = galewskyModel('float64');
  assert.throws(() => model.stateFromLM(new Float64Array(3), new Float64Array(3), 1), /must hold members/);
});
