// Tidy verification results: one record per (metric, variable, lead, region, ensemble[, extra keys]) with a value,
// validated with zod, written and read as JSON (array of records) and CSV (header + RFC 4180 quoting), atomically.
//
// Formats (both written deterministically: same records → same bytes):
// - JSON: an array of record objects, one per line. A NaN value is written as null and read back as NaN;
//   ±Infinity (value or extra key) is written as the strings "Infinity" / "-Infinity" and read back as numbers.
//   This is the lossless format (except that an extra string "Infinity" comes back as the number).
// - CSV: header `metric,variable,lead_hours,region,ensemble,value` followed by the extra keys in sorted order.
//   Numbers are written in JavaScript's shortest round-trip form; NaN is written as `NaN` (pandas reads it as NaN),
//   ±Infinity as `Infinity` / `-Infinity`. On reading, an empty or `NaN` value cell is NaN; an empty extra cell means
//   the record has no such key; an extra cell that reads as a number becomes a number, anything else a string
//   (so an extra string such as "95" comes back as the number 95 — use JSON where that matters).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';

/** The fixed columns of a tidy result, in output order. */
export const CORE_COLUMNS = ['metric', 'variable', 'lead_hours', 'region', 'ensemble', 'value'] as const;
export type CoreColumn = (typeof CORE_COLUMNS)[number];

/** Value of an optional extra key (threshold, bin, size, …): a string or a number that is not NaN. */
export type ExtraValue = string | number;

/** One tidy verification result. */
export interface ResultRecord {
  /** Metric name, e.g. 'rmse', 'crps', 'rank_histogram' (the report's vocabulary is in bundle.ts). */
  metric: string;
  /** Verified variable, e.g. 'z500', 't2m'. */
  variable: string;
  /** Forecast lead time in hours (finite, >= 0). */
  lead_hours: number;
  /** Region the score is averaged over, e.g. 'global', 'tropics', '70S-70N'. */
  region: string;
  /** Ensemble (system) name, e.g. 'sfno-bvmc', 'physics'. */
  ensemble: string;
  /** Score value; NaN where undefined (e.g. an empty reliability bin). */
  value: number;
  /** Optional extra keys, e.g. threshold, bin, size, point. */
  [extra: string]: ExtraValue;
}

const EXTRA_KEY = /^[a-z][a-z0-9_]*$/;
const nonEmpty = z
  .string({ required_error: 'expected a non-empty string', invalid_type_error: 'expected a non-empty string' })
  .min(1, 'expected a non-empty string');

/** zod schema of a record; `value` may be NaN or ±Infinity, `lead_hours` must be finite and >= 0. */
export const resultRecordSchema = z
  .object({
    metric: nonEmpty,
    variable: nonEmpty,
    lead_hours: z.custom<number>((x) => typeof x === 'number', 'expected a number (hours)').refine((x) => Number.isFinite(x) && x >= 0, 'expected a finite number of hours >= 0'),
    region: nonEmpty,
    ensemble: nonEmpty,
    value: z.custom<number>((x) => typeof x === 'number', 'expected a number (NaN allowed)'),
  })
  .catchall(z.unknown())
  .superRefine((rec, ctx) => {
    for (const [key, v] of Object.entries(rec)) {
      if ((CORE_COLUMNS as readonly string[]).includes(key)) continue;
      if (!EXTRA_KEY.test(key)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: 'extra key names must match [a-z][a-z0-9_]*' });
      } else if (typeof v === 'number' && Number.isNaN(v)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: 'extra numeric keys may not be NaN' });
      } else if (typeof v !== 'number' && typeof v !== 'string') {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: 'expected a string or a number' });
      }
    }
  });

/** Error for a bad result record or file: names the source, the row and the field. */
export class ResultsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsFormatError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * Validates one record; `where` names it in errors (e.g. 'results.csv row 3 (line 4)').
 * Returns a clean copy with the core keys first and extra keys sorted.
 */
export function validateRecord(input: unknown, where: string): ResultRecord {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ResultsFormatError(`${where}: expected an object with ${CORE_COLUMNS.join(', ')}, got ${describe(input)}`);
  }
  if (passesFastCheck(input as Record<string, unknown>)) return cleanCopy(input as Record<string, ExtraValue>);
  const parsed = resultRecordSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? String(issue.path[0]) : '(record)';
    const got = (input as Record<string, unknown>)[field];
    throw new ResultsFormatError(`${where}: field '${field}': ${issue.message}, got ${describe(got)}`);
  }
  return cleanCopy(parsed.data as Record<string, ExtraValue>);
}

function cleanCopy(rec: Record<string, ExtraValue>): ResultRecord {
  const out: Record<string, ExtraValue> = {};
  for (const c of CORE_COLUMNS) out[c] = rec[c]!;
  for (const k of extraKeysOf(rec)) out[k] = rec[k]!;
  return out as ResultRecord;
}

const CORE_SET = new Set<string>(CORE_COLUMNS);

/**
 * The same rules as `resultRecordSchema`, checked without allocation (validating ~10⁵ records through zod costs
 * seconds); a record that fails here goes through zod, which stays the authority and words the error.
 */
function passesFastCheck(r: Record<string, unknown>): boolean {
  for (const k of ['metric', 'variable', 'region', 'ensemble'] as const) {
    const v = r[k];
    if (typeof v !== 'string' || v.length === 0) return false;
  }
  const lead = r.lead_hours;
  if (typeof lead !== 'number' || !Number.isFinite(lead) || lead < 0) return false;
  if (typeof r.value !== 'number') return false;
  for (const k in r) {
    if (CORE_SET.has(k)) continue;
    if (!EXTRA_KEY.test(k)) return false;
    const v = r[k];
    if (typeof v === 'number' ? Number.isNaN(v) : typeof v !== 'string') return false;
  }
  return true;
}

/** Extra keys of a record, sorted. */
export function extraKeysOf(record: Record<string, unknown>): string[] {
  return Object.keys(record)
    .filter((k) => !(CORE_COLUMNS as readonly string[]).includes(k))
    .sort();
}

/** Validates every record (errors name the row, 1-based). */
export function validateRecords(records: readonly unknown[], source = 'results'): ResultRecord[] {
  return records.map((r, i) => validateRecord(r, `${source} row ${i + 1}`));
}

// ---------------------------------------------------------------------------------------------------------------
// Atomic files

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory is written, fsync-ed and renamed over
 * `path`, so readers see the old file or the new one, never a partial one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

function jsonNumber(x: number): number | string | null {
  if (Number.isNaN(x)) return null;
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

/** Serialises records as a JSON array, one record per line (validated first). */
export function resultsToJson(records: readonly ResultRecord[]): string {
  const clean = validateRecords(records);
  if (clean.length === 0) return '[]\n';
  const lines = clean.map((r) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) o[k] = typeof v === 'number' ? jsonNumber(v) : v;
    return '  ' + JSON.stringify(o);
  });
  return '[\n' + lines.join(',\n') + '\n]\n';
}

/** Parses the JSON format: null value → NaN, "Infinity"/"-Infinity" (value or numeric fields) → ±Infinity. */
export function resultsFromJson(text: string, source = 'results.json'): ResultRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsFormatError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(data)) throw new ResultsFormatError(`${source}: expected a JSON array of result records, got ${describe(data)}`);
  return data.map((item, i) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const o: Record<string, unknown> = { ...(item as Record<string, unknown>) };
      if (o.value === null) o.value = NaN;
      for (const k of Object.keys(o)) {
        if (k === 'metric' || k === 'variable' || k === 'region' || k === 'ensemble') continue;
        if (o[k] === 'Infinity') o[k] = Infinity;
        else if (o[k] === '-Infinity') o[k] = -Infinity;
      }
      return validateRecord(o, `${source} row ${i + 1}`);
    }
    return validateRecord(item, `${source} row ${i + 1}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

function csvNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

/** RFC 4180 field quoting: fields containing comma, quote, CR or LF (or edge spaces) are quoted, quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** Serialises records as CSV (CRLF line ends as RFC 4180; header = core columns + sorted union of extra keys). */
export function resultsToCsv(records: readonly ResultRecord[]): string {
  const clean = validateRecords(records);
  const extras = Array.from(new Set(clean.flatMap((r) => extraKeysOf(r)))).sort();
  const header = [...CORE_COLUMNS, ...extras];
  const rows = [header.map(csvField).join(',')];
  for (const r of clean) {
    rows.push(
      header
        .map((k) => {
          const v = r[k];
          if (v === undefined) return '';
          return typeof v === 'number' ? csvNumber(v) : csvField(v);
        })
        .join(','),
    );
  }
  return rows.join('\r\n') + '\r\n';
}

/** One parsed CSV row with the 1-based line number where it starts. */
interface CsvRow {
  fields: string[];
  line: number;
}

/** Splits RFC 4180 CSV text into rows of fields (accepts LF or CRLF line ends); errors name the line. */
export function parseCsv(text: string, source = 'results.csv'): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  let quotedField = false;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // UTF-8 byte-order mark
  const endRow = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !quotedField)) rows.push({ fields, line: rowLine });
    fields = [];
    field = '';
    quotedField = false;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '"' && field === '' && !quotedField) {
      quotedField = true;
      const start = line;
      i++;
      for (;;) {
        if (i >= n) throw new ResultsFormatError(`${source} line ${start}: quoted field is not closed before the end of the file`);
        const d = text[i]!;
        if (d === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === '\n') line++;
        field += d;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new ResultsFormatError(`${source} line ${line}: unexpected character ${JSON.stringify(next)} after a closing quote`);
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      quotedField = false;
      i++;
    } else if (c === '\r' || c === '\n') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      rowLine = line;
    } else if (c === '"') {
      throw new ResultsFormatError(`${source} line ${line}: a quote inside an unquoted field (quote the field and double the quote)`);
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || fields.length > 0 || quotedField) endRow();
  return rows;
}

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumberCell(s: string): number | undefined {
  const t = s.trim();
  if (t === 'NaN') return NaN;
  if (t === 'Infinity' || t === '+Infinity' || t === 'inf' || t === '+inf') return Infinity;
  if (t === '-Infinity' || t === '-inf') return -Infinity;
  return NUMBER_TEXT.test(t) ? Number(t) : undefined;
}

/** Parses the CSV format (see the file header for NaN and typing rules); errors name the row, line and field. */
export function resultsFromCsv(text: string, source = 'results.csv'): ResultRecord[] {
  const rows = parseCsv(text, source);
  if (rows.length === 0) throw new ResultsFormatError(`${source}: empty file (expected a header line ${CORE_COLUMNS.join(',')})`);
  const header = rows[0]!.fields.map((h) => h.trim());
  for (const c of CORE_COLUMNS) {
    if (!header.includes(c)) throw new ResultsFormatError(`${source} header: missing column '${c}' (header is ${header.join(',')})`);
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new ResultsFormatError(`${source} header: column '${h}' appears twice`);
    seen.add(h);
  }
  const out: ResultRecord[] = [];
  for (let r = 1; r < rows.length; r++) {
    const { fields, line } = rows[r]!;
    const where = `${source} row ${r} (line ${line})`;
    if (fields.length !== header.length) {
      throw new ResultsFormatError(`${where}: ${fields.length} fields, but the header has ${header.length}`);
    }
    const o: Record<string, unknown> = {};
    header.forEach((h, j) => {
      const cell = fields[j]!;
      if (h === 'value') {
        const x = cell.trim() === '' ? NaN : parseNumberCell(cell);
        o[h] = x === undefined ? cell : x;
      } else if (h === 'lead_hours') {
        const x = cell.trim() === '' ? undefined : parseNumberCell(cell);
        o[h] = x === undefined ? (cell === '' ? undefined : cell) : x;
      } else if ((CORE_COLUMNS as readonly string[]).includes(h)) {
        o[h] = cell === '' ? undefined : cell;
      } else if (cell !== '') {
        const x = parseNumberCell(cell);
        o[h] = x === undefined || Number.isNaN(x) ? cell : x;
      }
    });
    out.push(validateRecord(o, where));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Files

/** Writes records to `path` atomically; the format follows the extension (.json or .csv). */
export function writeResults(path: string, records: readonly ResultRecord[]): void {
  if (path.endsWith('.json')) writeFileAtomic(path, resultsToJson(records));
  else if (path.endsWith('.csv')) writeFileAtomic(path, resultsToCsv(records));
  else throw new ResultsFormatError(`writeResults: '${path}' should end in .json or .csv`);
}

/** Reads records from a .json or .csv file. */
export function readResults(path: string): ResultRecord[] {
  const text = readFileSync(path, 'utf8');
  const name = basename(path);
  if (path.endsWith('.json')) return resultsFromJson(text, name);
  if (path.endsWith('.csv')) return resultsFromCsv(text, name);
  throw new ResultsFormatError(`readResults: '${path}' should end in .json or .csv`);
}
