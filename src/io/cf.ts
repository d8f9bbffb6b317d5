// CF-convention helpers over NetCDF headers: find latitude/longitude/vertical/time coordinates, check monotone axes and
// units, decode times, and read a field as (…, nlat, nlon) with row 0 northernmost — each failure a clear error.
import type { NetcdfFile, NetcdfHeader, NetcdfVariableInfo } from './netcdf.ts';

export type CoordinateRole = 'latitude' | 'longitude' | 'vertical' | 'time';

const UNIT_ALIASES: Record<string, string[]> = {
  degrees_north: ['degrees_north', 'degree_north', 'degree_n', 'degrees_n', 'degreen', 'degreesn'],
  degrees_east: ['degrees_east', 'degree_east', 'degree_e', 'degrees_e', 'degreee', 'degreese'],
  K: ['k', 'kelvin', 'degk', 'deg_k', 'degrees_k', 'degree_k'],
  degC: ['degc', 'deg_c', 'degrees_c', 'degree_c', 'celsius', 'degree_celsius', 'degrees_celsius', '°c'],
  'm s-1': ['m s-1', 'm/s', 'm s^-1', 'm s**-1', 'm.s-1', 'm.s**-1', 'm sec-1', 'meter/second', 'meters/second', 'metre/second', 'metres/second', 'm*s-1', 'm s-1'],
  m: ['m', 'meter', 'meters', 'metre', 'metres', 'gpm'],
  km: ['km', 'kilometer', 'kilometers', 'kilometre', 'kilometres'],
  Pa: ['pa', 'pascal', 'pascals'],
  hPa: ['hpa', 'hectopascal', 'hectopascals', 'mbar', 'mb', 'millibar', 'millibars'],
  '1': ['1', 'dimensionless', '-', ''],
  '%': ['%', 'percent'],
  'm2 s-2': ['m2 s-2', 'm**2 s**-2', 'm^2 s^-2', 'm2/s2', 'm^2/s^2'],
};
const CANONICAL = new Map<string, string>();
for (const [canon, aliases] of Object.entries(UNIT_ALIASES)) for (const a of aliases) CANONICAL.set(a, canon);

/** Canonical spelling of a unit string (e.g. "m/s" → "m s-1", "degree_N" → "degrees_north"); unknown units unchanged. */
export function canonicalUnits(units: string): string {
  const key = units.trim().toLowerCase().replace(/\s+/g, ' ');
  return CANONICAL.get(key) ?? units.trim();
}

/** Affine conversions between canonical units: value_to = value_from * scale + offset. */
const CONVERSIONS: Record<string, { scale: number; offset: number }> = {
  'degC>K': { scale: 1, offset: 273.15 },
  'K>degC': { scale: 1, offset: -273.15 },
  'hPa>Pa': { scale: 100, offset: 0 },
  'Pa>hPa': { scale: 0.01, offset: 0 },
  'km>m': { scale: 1000, offset: 0 },
  'm>km': { scale: 0.001, offset: 0 },
};

function unitsOf(info: NetcdfVariableInfo): string | undefined {
  const u = info.attrs.units;
  return typeof u === 'string' ? u : undefined;
}

function unitHint(units: string): string {
  return units.trim() === 'C' ? ' ("C" is the coulomb in UDUNITS; Celsius is "degC")' : '';
}

/** Throw unless `info` has units equal to `expected` up to spelling (e.g. "m/s" satisfies "m s-1"). */
export function checkUnits(info: NetcdfVariableInfo, expected: string): void {
  const u = unitsOf(info);
  if (u === undefined) throw new Error(`variable ${info.name} has no units attribute; expected units "${expected}"`);
  if (canonicalUnits(u) !== canonicalUnits(expected)) {
    throw new Error(`variable ${info.name} has units "${u}"${unitHint(u)}; expected "${expected}"`);
  }
}

/** Convert values from one unit to another (same units, K↔degC, hPa↔Pa, km↔m); other pairs are an error. */
export function convertUnits(values: ArrayLike<number>, from: string, to: string, what = 'values'): Float64Array {
  const [f, t] = [canonicalUnits(from), canonicalUnits(to)];
  const out = Float64Array.from(values);
  if (f === t) return out;
  const c = CONVERSIONS[`${f}>${t}`];
  if (!c) throw new Error(`${what}: cannot convert units "${from}"${unitHint(from)} to "${to}"`);
  for (let i = 0; i < out.length; i++) out[i] = out[i] * c.scale + c.offset;
  return out;
}

const PRESSURE_UNITS = new Set(['Pa', 'hPa']);
const VERTICAL_STANDARD_NAMES = new Set(['air_pressure', 'altitude', 'height', 'depth', 'model_level_number', 'atmosphere_sigma_coordinate', 'atmosphere_hybrid_sigma_pressure_coordinate', 'geopotential_height']);

/** Does this variable play `role` under CF rules (units first, then standard_name, then axis)? */
export function hasRole(info: NetcdfVariableInfo, role: CoordinateRole): boolean {
  const units = unitsOf(info);
  const canon = units === undefined ? undefined : canonicalUnits(units);
  const std = info.attrs.standard_name;
  const axis = typeof info.attrs.axis === 'string' ? info.attrs.axis.toUpperCase() : undefined;
  switch (role) {
    case 'latitude': return canon === 'degrees_north' || std === 'latitude' || (axis === 'Y' && canon === 'degrees_north');
    case 'longitude': return canon === 'degrees_east' || std === 'longitude' || (axis === 'X' && canon === 'degrees_east');
    case 'time': return (units !== undefined && /^\s*\S+\s+since\s+/i.test(units)) || std === 'time' || axis === 'T';
    case 'vertical':
      return axis === 'Z' || (canon !== undefined && PRESSURE_UNITS.has(canon)) || (typeof std === 'string' && VERTICAL_STANDARD_NAMES.has(std)) ||
        info.attrs.positive === 'up' || info.attrs.positive === 'down';
  }
}

/**
 * The coordinate variable (1-D, named after its dimension) playing `role` for variable `varName`. Errors name the
 * variable, its dimensions and what was looked for; a dimension that looks right by name but has wrong units is
 * reported as such.
 */
export function findCoordinate(header: NetcdfHeader, varName: string, role: CoordinateRole): string {
  const v = header.vars[varName];
  if (!v) throw new Error(`no variable "${varName}" in ${header.path} (it has: ${Object.keys(header.vars).join(', ')})`);
  const found = v.dims.filter((d) => header.vars[d] && header.vars[d].dims.length === 1 && hasRole(header.vars[d], role));
  if (found.length === 1) return found[0];
  if (found.length > 1) throw new Error(`variable ${varName} in ${header.path} has several ${role} coordinates (${found.join(', ')})`);
  const guesses: Record<CoordinateRole, RegExp> = { latitude: /^(lat|latitude|y)$/i, longitude: /^(lon|long|longitude|x)$/i, vertical: /^(lev|level|plev|z|height|depth|pressure)$/i, time: /^(time|t)$/i };
  const wanted: Record<CoordinateRole, string> = {
    latitude: 'units degrees_north, standard_name latitude',
    longitude: 'units degrees_east, standard_name longitude',
    vertical: 'axis Z, pressure units, a vertical standard_name or a positive attribute',
    time: 'units "<unit> since <date>", standard_name time or axis T',
  };
  const lookalike = [...v.dims, ...Object.keys(header.vars)].find((d) => guesses[role].test(d) && header.vars[d]);
  if (lookalike) {
    const u = unitsOf(header.vars[lookalike]);
    const inDims = v.dims.includes(lookalike);
    throw new Error(`variable ${varName} in ${header.path}: ${lookalike} looks like its ${role} coordinate but ${inDims ? '' : 'is not one of its dimensions (' + v.dims.join(', ') + ') and '}has units ${u === undefined ? '(none)' : `"${u}"`}; a ${role} coordinate needs ${wanted[role]}`);
  }
  throw new Error(`variable ${varName} in ${header.path} has no ${role} coordinate among its dimensions (${v.dims.join(', ')}); expected a coordinate variable with ${wanted[role]}`);
}

/** Throw unless `values` are strictly monotone; returns the direction. */
export function checkMonotone(values: ArrayLike<number>, name: string): 'increasing' | 'decreasing' {
  if (values.length < 2) return 'increasing';
  const dir = values[1] > values[0] ? 1 : -1;
  for (let i = 1; i < values.length; i++) {
    const step = values[i] - values[i - 1];
    if (!(step * dir > 0)) {
      throw new Error(`axis ${name} is not strictly monotone: value ${values[i]} at index ${i} follows ${values[i - 1]} (the axis ${dir > 0 ? 'increases' : 'decreases'} before that)`);
    }
  }
  return dir > 0 ? 'increasing' : 'decreasing';
}

// ---------------------------------------------------------------------------------------------------------------
// Time

const SECONDS_PER: Record<string, number> = {
  second: 1, seconds: 1, sec: 1, secs: 1, s: 1,
  minute: 60, minutes: 60, min: 60, mins: 60,
  hour: 3600, hours: 3600, hr: 3600, hrs: 3600, h: 3600,
  day: 86400, days: 86400, d: 86400,
};

function civilFromDays(z: number): [number, number, number] {
  // Days since 1970-01-01 to proleptic Gregorian (y, m, d), after H. Hinnant's published algorithm.
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Decode CF time values to ISO strings "YYYY-MM-DDTHH:MM:SS". Calendars: standard/gregorian/proleptic_gregorian
 * (all as proleptic Gregorian; they differ only before 1582), noleap/365_day, 360_day. "months since"/"years since"
 * are taken as calendar months/years and must be whole numbers.
 */
export function decodeTimes(values: ArrayLike<number>, units: string, calendar = 'standard'): string[] {
  const m = /^\s*(\w+)\s+since\s+(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?\s*(?:Z|UTC|[+-]00:?00)?\s*$/i.exec(units);
  if (!m) throw new Error(`time units "${units}" are not of the form "<unit> since YYYY-MM-DD[ hh:mm:ss]"`);
  const unit = m[1].toLowerCase();
  const [y0, mo0, d0] = [Number(m[2]), Number(m[3]), Number(m[4])];
  const secs0 = Number(m[5] ?? 0) * 3600 + Number(m[6] ?? 0) * 60 + Number(m[7] ?? 0);
  const cal = calendar.toLowerCase();
  const gregorian = ['standard', 'gregorian', 'proleptic_gregorian'].includes(cal);
  if (!gregorian && !['noleap', '365_day', '360_day'].includes(cal)) throw new Error(`calendar "${calendar}" is not supported (standard, gregorian, proleptic_gregorian, noleap, 365_day, 360_day)`);
  const monthDays365 = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const toDayNumber = (y: number, mo: number, d: number): number => {
    if (gregorian) return daysFromCivil(y, mo, d);
    if (cal === '360_day') return y * 360 + (mo - 1) * 30 + (d - 1);
    return y * 365 + monthDays365.slice(0, mo - 1).reduce((a, b) => a + b, 0) + (d - 1);
  };
  const fromDayNumber = (n: number): [number, number, number] => {
    if (gregorian) return civilFromDays(n);
    if (cal === '360_day') return [Math.floor(n / 360), Math.floor((n % 360 + 360) % 360 / 30) + 1, ((n % 360 + 360) % 360) % 30 + 1];
    const y = Math.floor(n / 365);
    let r = n - y * 365;
    let mo = 0;
    while (r >= monthDays365[mo]) r -= monthDays365[mo++];
    return [y, mo + 1, r + 1];
  };
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error(`time value ${v} at index ${i} is not finite`);
    let y = y0, mo = mo0, d = d0, secs = secs0;
    if (unit === 'month' || unit === 'months' || unit === 'year' || unit === 'years') {
      if (!Number.isInteger(v)) throw new Error(`time value ${v} at index ${i} in "${units}" is not a whole number of ${unit}`);
      const months = (unit.startsWith('year') ? 12 : 1) * v + (mo0 - 1);
      y = y0 + Math.floor(months / 12);
      mo = (months % 12 + 12) % 12 + 1;
    } else {
      const per = SECONDS_PER[unit];
      if (per === undefined) throw new Error(`time unit "${m[1]}" in "${units}" is not supported (seconds, minutes, hours, days, months, years)`);
      secs += Math.round(v * per * 1000) / 1000;
    }
    const dayShift = Math.floor(secs / 86400);
    const sod = secs - dayShift * 86400;
    const [yy, mm, dd] = fromDayNumber(toDayNumber(y, mo, d) + dayShift);
    const hh = Math.floor(sod / 3600), mi = Math.floor((sod % 3600) / 60), ss = Math.round(sod % 60);
    out.push(`${pad(yy, 4)}-${pad(mm)}-${pad(dd)}T${pad(hh)}:${pad(mi)}:${pad(ss)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Fields on latitude-longitude grids

/** A field on a latitude-longitude grid, shape (…, nlat, nlon), row 0 northernmost, longitudes increasing. */
export interface LatLonField {
  name: string;
  dims: string[];
  shape: number[];
  data: Float32Array | Float64Array;
  lat: Float64Array;
  lon: Float64Array;
  units: string | undefined;
  /** Values of the dimensions fixed by `select`, in their coordinate's units. */
  selected: Record<string, number>;
}

/** A selection along a non-horizontal dimension: an index, or a coordinate value (optionally in other units). */
export type DimensionSelection = { index: number } | { value: number; units?: string };

/**
 * Read variable `varName` as a latitude-longitude field. `select` fixes other dimensions (keyed by dimension name or, when no
 * dimension has that name, by role 'vertical'/'time'), e.g. `{ vertical: { value: 500, units: 'hPa' } }`. With `units`, the values are checked
 * (and converted where an affine rule exists). Rows are flipped when the file stores latitudes south to north.
 */
export function readLatLonField(
  file: NetcdfFile,
  varName: string,
  options: { select?: Record<string, DimensionSelection>; units?: string } = {},
): LatLonField {
  const info = file.vars[varName];
  if (!info) throw new Error(`no variable "${varName}" in ${file.path} (it has: ${Object.keys(file.vars).join(', ')})`);
  const latName = findCoordinate(file, varName, 'latitude');
  const lonName = findCoordinate(file, varName, 'longitude');
  const rank = info.dims.length;
  if (info.dims[rank - 2] !== latName || info.dims[rank - 1] !== lonName) {
    throw new Error(`variable ${varName} in ${file.path} has dimensions (${info.dims.join(', ')}); expected latitude ${latName} and longitude ${lonName} as the last two`);
  }
  const lat = Float64Array.from(file.read(latName).data as ArrayLike<number>);
  const lon = Float64Array.from(file.read(lonName).data as ArrayLike<number>);
  const latDir = checkMonotone(lat, `${latName} of ${file.path}`);
  const lonDir = checkMonotone(lon, `${lonName} of ${file.path}`);
  if (lonDir !== 'increasing') throw new Error(`longitude ${lonName} of ${file.path} decreases; expected increasing longitudes`);
  for (const v of lat) if (v < -90 || v > 90) throw new Error(`latitude ${latName} of ${file.path} has value ${v}, outside [-90, 90]`);

  // Resolve selections to indices.
  const start = new Array<number>(rank).fill(0);
  const count = info.shape.slice();
  const selected: Record<string, number> = {};
  const roleDims: Partial<Record<string, string>> = {};
  for (const key of Object.keys(options.select ?? {})) {
    if (info.dims.includes(key)) continue;
    if (key === 'vertical' || key === 'time') roleDims[key] = findCoordinate(file, varName, key);
    else throw new Error(`cannot select ${key}: variable ${varName} has dimensions (${info.dims.join(', ')})`);
  }
  for (const [key, sel] of Object.entries(options.select ?? {})) {
    const dim = roleDims[key] ?? key;
    const axis = info.dims.indexOf(dim);
    if (axis >= rank - 2) throw new Error(`cannot select along ${dim}: it is a horizontal dimension of ${varName}`);
    let index: number;
    if ('index' in sel) {
      index = sel.index;
      if (!Number.isInteger(index) || index < 0 || index >= info.shape[axis]) throw new Error(`index ${index} along ${dim} of ${varName} is outside 0..${info.shape[axis] - 1}`);
    } else {
      const coordInfo = file.vars[dim];
      if (!coordInfo) throw new Error(`cannot select ${dim} = ${sel.value}: dimension ${dim} of ${varName} has no coordinate variable; select by index instead`);
      const coordUnits = unitsOf(coordInfo);
      let coord: Float64Array = Float64Array.from(file.read(dim).data as ArrayLike<number>);
      if (sel.units !== undefined) {
        if (coordUnits === undefined) throw new Error(`cannot select ${dim} = ${sel.value} ${sel.units}: coordinate ${dim} has no units`);
        coord = convertUnits(coord, coordUnits, sel.units, `coordinate ${dim}`);
      }
      index = coord.findIndex((c) => Math.abs(c - sel.value) <= 1e-6 * Math.max(1, Math.abs(sel.value)));
      if (index < 0) throw new Error(`${dim} = ${sel.value}${sel.units ? ' ' + sel.units : ''} is not among the values of coordinate ${dim} of ${file.path}: ${Array.from(coord).join(', ')}`);
    }
    start[axis] = index;
    count[axis] = 1;
    selected[dim] = file.vars[dim] ? Number((file.read(dim, { start: [index], count: [1] }).data as ArrayLike<number>)[0]) : index;
  }
  const keep = info.dims.map((_, i) => i).filter((i) => count[i] !== 1 || i >= rank - 2 || !Object.keys(selected).includes(info.dims[i]));
  const variable = file.read(varName, { start, count });
  let data = variable.data;
  if (Array.isArray(data)) throw new Error(`variable ${varName} of ${file.path} holds text, not a field`);
  if (!(data instanceof Float32Array || data instanceof Float64Array)) data = Float64Array.from(data as ArrayLike<number>);
  let units = unitsOf(info);
  if (options.units !== undefined) {
    if (units === undefined) throw new Error(`variable ${varName} has no units attribute; expected units "${options.units}"`);
    if (canonicalUnits(units) !== canonicalUnits(options.units)) {
      data = convertUnits(data as Float64Array, units, options.units, `variable ${varName}`);
    }
    units = options.units;
  }
  const shape = keep.map((i) => count[i]);
  const dims = keep.map((i) => info.dims[i]);
  const [nlat, nlon] = [lat.length, lon.length];
  if (latDir === 'increasing') {
    const flipped = new (data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(data.length);
    const plane = nlat * nlon;
    for (let p = 0; p < data.length; p += plane) {
      for (let r = 0; r < nlat; r++) flipped.set(data.subarray(p + r * nlon, p + (r + 1) * nlon), p + (nlat - 1 - r) * nlon);
    }
    data = flipped;
    lat.reverse();
  }
  return { name: varName, dims, shape, data: data as Float32Array | Float64Array, lat, lon, units, selected };
}
