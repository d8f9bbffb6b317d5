// Real initial states: 500-hPa winds of January 1988 (nc4uvt.nc, NetCDF4/HDF5) regridded to the T21 model grid,
// height from nonlinear balance (looks like a 500-hPa height field), 10 days without blowing up and with mass
// conserved; files with missing coordinates, a non-monotone axis or the wrong units are refused clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShallowWaterModel } from '../../src/world/swe.ts';
import { realInitialState, bilinearRegrid } from '../../src/world/initial.ts';
import { fluidVolume, memberGrid } from '../../src/world/diagnostics.ts';

const fixture = (name: string) => new URL(`../fixtures/ncl/${name}`, import.meta.url).pathname;

test('500-hPa winds of nc4uvt.nc start a balanced run that lasts 10 days and conserves mass', async () => {
  const model = new ShallowWaterModel({ nlat: 32, nlon: 64, lmax: 22, dt: 600, dtype: 'float64', groupSize: 16 }, 1);
  const { state, wind, height } = await realInitialState(model, fixture('nc4uvt.nc'), { levelHPa: 500 });
  // January 500-hPa winds: westerlies in the northern mid-latitudes, jet speeds of tens of m/s
  const lat = model.geometry.latitudesDeg;
  const zonal = (k: number) => wind.u.subarray(k * 64, (k + 1) * 64).reduce((a, b) => a + b, 0) / 64;
  const nhMid = lat.map((la, k) => (la > 30 && la < 50 ? zonal(k) : -Infinity)).reduce((a, b) => Math.max(a, b));
  assert.ok(nhMid > 10 && nhMid < 60, `NH mid-latitude zonal-mean u ${nhMid}`);
  // balanced height: higher in the tropics than over the pole, by hundreds of metres (like Z500)
  const rowMean = (k: number) => height.subarray(k * 64, (k + 1) * 64).reduce((a, b) => a + b, 0) / 64;
  const drop = rowMean(16) - rowMean(0);
  assert.ok(drop > 200 && drop < 1500, `equator-to-pole height drop ${drop}`);
  const g0 = memberGrid(model, await model.grid(state), 0, 1);
  const m0 = fluidVolume(model, g0);
  let s = state;
  for (let k = 0; k < 1440 / 48; k++) s = await model.step(s, 48);
  const g = memberGrid(model, await model.grid(s), 0, 1);
  const umax = Math.max(...g.u.map(Math.abs), ...g.v.map(Math.abs));
  assert.ok(Number.isFinite(umax) && umax < 120, `max wind after 10 days ${umax}`);
  const h = g.phi.map((p) => p / 9.80616);
  assert.ok(Math.min(...h) > 3500 && Math.max(...h) < 7000, `height range ${Math.min(...h)}..${Math.max(...h)}`);
  assert.ok(Math.abs(fluidVolume(model, g) - m0) / m0 <= 1e-12, 'mass conserved to 1e-12');
});

test('a NetCDF3 single-level file (uv300.nc, July) starts a balanced state with the southern winter jet', async () => {
  const model = new ShallowWaterModel({ nlat: 32, nlon: 64, lmax: 22, dt: 600, dtype: 'float64', groupSize: 16 }, 1);
  const { wind, height } = await realInitialState(model, fixture('uv300.nc'), { levelHPa: null, timeIndex: 1, meanHeight: 9000 });
  const lat = model.geometry.latitudesDeg;
  const zonal = (k: number) => wind.u.subarray(k * 64, (k + 1) * 64).reduce((a, b) => a + b, 0) / 64;
  const shMid = lat.map((la, k) => (la < -20 && la > -50 ? zonal(k) : -Infinity)).reduce((a, b) => Math.max(a, b));
  assert.ok(shMid > 20 && shMid < 70, `SH subtropical jet (zonal mean) ${shMid}`);
  const rowMean = (k: number) => height.subarray(k * 64, (k + 1) * 64).reduce((a, b) => a + b, 0) / 64;
  assert.ok(rowMean(16) - rowMean(31) > 200, 'height drops towards the south pole');
  await assert.rejects(realInitialState(model, fixture('uv300.nc'), { levelHPa: 300 }), /none is a pressure axis/);
});

test('bilinear regridding reproduces a linear function of latitude and longitude', () => {
  const lat = Float64Array.from({ length: 10 }, (_, i) => 85 - i * 19);
  const lon = Float64Array.from({ length: 36 }, (_, j) => j * 10);
  const data = new Float64Array(360);
  for (let i = 0; i < 10; i++) for (let j = 0; j < 36; j++) data[i * 36 + j] = 2 * lat[i] + Math.sin((lon[j] * Math.PI) / 180) * 0 + 0.5 * Math.min(lon[j], 350);
  const out = bilinearRegrid({ name: 'x', dims: ['lat', 'lon'], shape: [10, 36], data, lat, lon, units: '1', selected: {} }, [50.5, -30.2], [12.5, 101]);
  assert.ok(Math.abs(out[0] - (2 * 50.5 + 0.5 * 12.5)) < 1e-9);
  assert.ok(Math.abs(out[3] - (2 * -30.2 + 0.5 * 101)) < 1e-9);
});

test('bad files are refused with clear messages', async () => {
  const model = new ShallowWaterModel({ nlat: 32, nlon: 64, lmax: 22, dt: 600, dtype: 'float64' }, 1);
  await assert.rejects(realInitialState(model, fixture('no_coordinates.nc'), { u: 'u', v: 'u' }), /latitude/);
  await assert.rejects(realInitialState(model, fixture('nonmonotone_lat.nc'), { u: 'z', v: 'z' }), /not strictly monotone/);
  await assert.rejects(realInitialState(model, fixture('nc4uvt.nc'), { u: 'T', v: 'V' }), /cannot convert units "C"/);
  await assert.rejects(realInitialState(model, fixture('nc4uvt.nc'), { levelHPa: 567 }), /567/);
  await assert.rejects(realInitialState(model, fixture('nc4uvt.nc'), { u: 'W' }), /no wind variable "W"/);
});
