// Test helper (not a test file): finds the independent NetCDF readers (netCDF4-python, xarray, CDO) and runs them.
import { spawnSync } from 'node:child_process';

/** Debian's python3 (which sees python3-netcdf4 / python3-xarray), else whatever python3 is on PATH. */
function findPython(module: string): string | undefined {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return undefined;
}

export const pythonWithNetcdf4 = findPython('netCDF4');
export const pythonWithXarray = findPython('xarray, netCDF4');
export const hasCdo = spawnSync('cdo', ['--version'], { encoding: 'utf8' }).status === 0;

export const skipNoNetcdf4 = pythonWithNetcdf4 ? false : 'netCDF4-python not installed (Debian package python3-netcdf4; npm test installs it)';
export const skipNoXarray = pythonWithXarray ? false : 'xarray not installed (Debian package python3-xarray; npm test installs it)';
export const skipNoCdo = hasCdo ? false : 'CDO not installed (Debian package cdo; npm test installs it)';

/** Run a Python script with the given interpreter and return stdout parsed as JSON (fails loudly on error). */
export function runPythonJson(python: string, script: string, args: string[] = []): unknown {
  const r = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Run CDO and return stdout (fails loudly on a non-zero exit). */
export function runCdo(args: string[]): string {
  const r = spawnSync('cdo', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`cdo ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * netCDF4-python dump of a file: per variable its dims, shape, attributes, and values with masking and scaling applied
 * (masked → null), as float64 base64 for numbers, strings for integers (exact) and joined strings for char arrays.
 */
export const NETCDF4_DUMP_SCRIPT = `
import sys, json, base64
import numpy as np
import netCDF4
def attr(v):
    if isinstance(v, str): return v
    a = np.atleast_1d(np.asarray(v))
    if a.dtype.kind in 'SU': return [str(x) for x in a]
    if a.dtype.kind == 'f': return ['NaN' if np.isnan(x) else float(x) for x in a]
    return [int(x) for x in a]
ds = netCDF4.Dataset(sys.argv[1])
out = {'dims': {k: len(d) for k, d in ds.dimensions.items()}, 'unlimited': [k for k, d in ds.dimensions.items() if d.isunlimited()],
       'attrs': {k: attr(ds.getncattr(k)) for k in ds.ncattrs()}, 'format': ds.data_model, 'vars': {}}
for name, v in ds.variables.items():
    rec = {'dims': list(v.dimensions), 'shape': list(v.shape), 'dtype': str(v.dtype), 'attrs': {k: attr(v.getncattr(k)) for k in v.ncattrs()}}
    if v.dtype == 'S1' or v.dtype.kind == 'S':
        rec['strings'] = [str(s) for s in np.atleast_1d(netCDF4.chartostring(v[:]))]
    else:
        x = v[:]
        if v.dtype.kind in 'iu' and not np.ma.is_masked(x) and not hasattr(v, 'scale_factor') and not hasattr(v, 'add_offset'):
            rec['ints'] = [str(int(i)) for i in np.asarray(x).ravel()]
        else:
            rec['f8'] = base64.b64encode(np.ma.filled(np.ma.asarray(x).astype('f8'), np.nan).ravel().tobytes()).decode()
    out['vars'][name] = rec
print(json.dumps(out))
`;

export interface Netcdf4Dump {
  dims: Record<string, number>;
  unlimited: string[];
  attrs: Record<string, string | (number | string)[]>;
  format: string;
  vars: Record<string, { dims: string[]; shape: number[]; dtype: string; attrs: Record<string, string | (number | string)[]>; strings?: string[]; ints?: string[]; f8?: string }>;
}

export function decodeF8(b64: string): Float64Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
