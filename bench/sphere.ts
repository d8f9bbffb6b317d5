// Sphere benchmarks: graph SHTs (forward/inverse) on the cases the issue names, in the internal layout the models
// use and including the conversion from/to torch-harmonics' layout, with achieved GFLOP/s.
import { Graph } from '../src/engine/graph.ts';
import { compile, releaseSessions } from '../src/engine/runtime.ts';
import { ShtPlan, analysis, synthesis, shtForward, shtInverse, dftCost } from '../src/sphere/sht.ts';
import type { GridKind } from '../src/sphere/grid.ts';

interface Case {
  grid: GridKind;
  nlat: number;
  nlon: number;
  lmax: number;
  batch: number;
}

const CASES: Case[] = [
  { grid: 'equiangular', nlat: 180, nlon: 360, lmax: 90, batch: 8 },
  { grid: 'equiangular', nlat: 721, nlon: 1440, lmax: 360, batch: 1 },
  { grid: 'legendre-gauss', nlat: 64, nlon: 128, lmax: 64, batch: 1 },
  { grid: 'legendre-gauss', nlat: 64, nlon: 128, lmax: 43, batch: 64 },
];

/** Median of timed repeats after warm-up, in ms. */
async function time(fn: () => Promise<unknown>, repeats: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/** Useful flops of one transform: DFT (plan's flop model) plus the Legendre triangle on the half grid. */
function flops(plan: ShtPlan, batch: number): number {
  const { nlat, nlon } = plan.config.grid;
  const rows = batch * nlat;
  let leg = 0;
  for (const b of plan.blocks) leg += 2 * b.ms.length * b.ls.length * (b.parity === 'even' ? plan.nHalf : plan.nHalfAnti) * 2 * batch;
  return rows * dftCost(nlon, plan.config.mmax, plan.dft.n1) + leg;
}

export async function benchSphere(options: { threads?: number[] } = {}): Promise<object[]> {
  const lines: object[] = [];
  const threadList = options.threads ?? [1];
  for (const c of CASES) {
    for (const threads of threadList) {
      const plan = new ShtPlan({ kind: c.grid, nlat: c.nlat, nlon: c.nlon }, { lmax: c.lmax, mmax: c.lmax, dtype: 'float32' });
      const repeats = c.nlat > 300 ? 7 : 25;
      // internal layout: field [nlon, B, nlat_f] → packed spectra → field
      const gf = new Graph('sht-forward');
      const x = gf.input('x', 'float32', [c.nlon, c.batch, c.nlat]);
      analysis(gf, plan, x).forEach((b, i) => gf.output(`b${i}`, b));
      const gi = new Graph('sht-inverse');
      const ins = plan.blocks.map((b, i) => gi.input(`b${i}`, 'float32', [b.ms.length, 2 * c.batch, b.ls.length]));
      gi.output('y', synthesis(gi, plan, ins));
      const ef = await compile(gf, { threads });
      const ei = await compile(gi, { threads });
      const xd = new Float32Array(c.nlon * c.batch * c.nlat).map((_, i) => Math.sin(i * 0.37));
      const feeds: Record<string, Float32Array> = {};
      plan.blocks.forEach((b, i) => (feeds[`b${i}`] = new Float32Array(b.ms.length * 2 * c.batch * b.ls.length).map((_, k) => Math.cos(k * 0.11))));
      const forward = await time(() => ef.run({ x: xd }), repeats);
      const inverse = await time(() => ei.run(feeds), repeats);
      // public layout (torch-harmonics'): [B, nlat, nlon] ↔ [B, lmax, mmax]
      const gpf = new Graph('sht-forward-api');
      const xp = gpf.input('x', 'float32', [c.batch, c.nlat, c.nlon]);
      const cp = shtForward(gpf, plan, xp);
      gpf.output('re', cp.re);
      gpf.output('im', cp.im);
      const gpi = new Graph('sht-inverse-api');
      const re = gpi.input('re', 'float32', [c.batch, c.lmax, c.lmax]);
      const im = gpi.input('im', 'float32', [c.batch, c.lmax, c.lmax]);
      gpi.output('y', shtInverse(gpi, plan, { re, im }));
      const epf = await compile(gpf, { threads });
      const epi = await compile(gpi, { threads });
      const xpd = new Float32Array(c.batch * c.nlat * c.nlon).map((_, i) => Math.sin(i * 0.37));
      const cd = new Float32Array(c.batch * c.lmax * c.lmax).map((_, i) => Math.cos(i * 0.11));
      const forwardApi = await time(() => epf.run({ x: xpd }), repeats);
      const inverseApi = await time(() => epi.run({ re: cd, im: cd }), repeats);
      const f = flops(plan, c.batch);
      lines.push({
        bench: 'sht',
        grid: c.grid,
        nlat: c.nlat,
        nlon: c.nlon,
        lmax: c.lmax,
        mmax: c.lmax,
        batch: c.batch,
        threads,
        dtype: 'float32',
        forward_ms: +forward.toFixed(3),
        inverse_ms: +inverse.toFixed(3),
        forward_api_ms: +forwardApi.toFixed(3),
        inverse_api_ms: +inverseApi.toFixed(3),
        dft: plan.dft.n1 === 1 ? 'direct' : `${plan.dft.n1}x${plan.dft.n2}`,
        gflop: +(f / 1e9).toFixed(4),
        forward_gflops: +(f / forward / 1e6).toFixed(2),
        inverse_gflops: +(f / inverse / 1e6).toFixed(2),
        layout: 'forward_ms/inverse_ms: internal layout [nlon,B,nlat] <-> packed spectra; *_api_ms: [B,nlat,nlon] <-> [B,lmax,mmax]',
      });
      await releaseSessions();
    }
  }
  return lines;
}
