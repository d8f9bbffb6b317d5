// The planet's noleap calendar (365-day years; truth stores count "hours since 2000-01-01 00:00:00"): month tables and
// the conversions between noleap hours and calendar dates, in one place for the world and every layer above it.

/** Days in each month of a 365-day year (index 0 = January). */
export const NOLEAP_DAYS_IN_MONTH: readonly number[] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Days before each month in a 365-day year (index 0 = January). */
export const NOLEAP_DAYS_BEFORE_MONTH: readonly number[] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
/** The noleap clock's reference year (truth stores: "hours since 2000-01-01 00:00:00", calendar "noleap"). */
export const NOLEAP_EPOCH_YEAR = 2000;
export const NOLEAP_DAYS_PER_YEAR = 365;

/** A calendar date and hour of day (hour may carry a fraction). */
export interface CalendarTime {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  hour: number;
}

/** Whether (month, day) is a date of the noleap calendar (29 February is not). */
export function isNoleapDate(month: number, day: number): boolean {
  return Number.isInteger(month) && Number.isInteger(day) && month >= 1 && month <= 12 && day >= 1 && day <= NOLEAP_DAYS_IN_MONTH[month - 1];
}

/** Noleap hours since 2000-01-01 of a noleap calendar date and hour (no validation: see isNoleapDate). */
export function noleapHoursFromCalendar(c: CalendarTime): number {
  return ((c.year - NOLEAP_EPOCH_YEAR) * NOLEAP_DAYS_PER_YEAR + NOLEAP_DAYS_BEFORE_MONTH[c.month - 1] + c.day - 1) * 24 + c.hour;
}

/** The noleap calendar date of noleap hours since 2000-01-01. */
export function calendarFromNoleapHours(nh: number): CalendarTime {
  const days = Math.floor(nh / 24);
  const years = Math.floor(days / NOLEAP_DAYS_PER_YEAR);
  let doy = days - years * NOLEAP_DAYS_PER_YEAR;
  let month = 0;
  while (month < 11 && doy >= NOLEAP_DAYS_IN_MONTH[month]) doy -= NOLEAP_DAYS_IN_MONTH[month++];
  return { year: NOLEAP_EPOCH_YEAR + years, month: month + 1, day: doy + 1, hour: nh - days * 24 };
}

/** Month (0–11) of a noleap time in hours since 2000-01-01. */
export function noleapMonth(hours: number): number {
  return calendarFromNoleapHours(hours).month - 1;
}

/** "YYYY-MM-DDTHH:MMZ" of noleap hours since 2000-01-01 (for messages). */
export function isoFromNoleapHours(nh: number): string {
  const c = calendarFromNoleapHours(nh);
  const hh = Math.floor(c.hour);
  const mm = Math.round((c.hour - hh) * 60);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(c.year, 4)}-${p(c.month)}-${p(c.day)}T${p(hh)}:${p(mm)}Z`;
}

/** Noleap hours since 2000-01-01 of a calendar time "YYYY-MM-DDTHH[:MM][Z]" (whole hours; 29 February does not exist). */
export function noleapHoursFromIso(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2}))?)?Z?$/.exec(iso.trim());
  if (!m) throw new RangeError(`time ${JSON.stringify(iso)}: expected YYYY-MM-DDTHH[:MM]Z`);
  const [year, month, day, hour, minute] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0)];
  if (!isNoleapDate(month, day) || hour > 23 || minute !== 0)
    throw new RangeError(`time ${JSON.stringify(iso)}: not a whole hour of the noleap calendar${month === 2 && day === 29 ? ' (29 February does not exist in it)' : ''}`);
  return noleapHoursFromCalendar({ year, month, day, hour });
}

/** Noleap hours since 2000-01-01 of "hours since YYYY-MM-DD[ HH:MM[:SS]]" time units' reference date. */
export function noleapReferenceHours(units: string, where: string): number {
  const m = /^\s*hours\s+since\s+(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(units);
  if (!m) throw new RangeError(`${where}: time units ${JSON.stringify(units)} are not "hours since YYYY-MM-DD HH:MM:SS"`);
  const [year, month, day, hour = '0', minute = '0'] = m.slice(1);
  if (!isNoleapDate(Number(month), Number(day))) throw new RangeError(`${where}: time units ${JSON.stringify(units)} name no date of the noleap calendar`);
  return noleapHoursFromCalendar({ year: Number(year), month: Number(month), day: Number(day), hour: Number(hour) + Number(minute) / 60 });
}

/** Noleap hours since 2000-01-01 of a noleap date "YYYY-MM-DD[THH[:MM]][Z]" (e.g. a training record's period). */
export function noleapHoursFromDate(text: string, where: string): number {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2}))?)?Z?\s*$/.exec(text);
  if (!m) throw new RangeError(`${where}: expected a date YYYY-MM-DD[THH], got ${JSON.stringify(text)}`);
  return noleapReferenceHours(`hours since ${m[1]}-${m[2]}-${m[3]} ${m[4] ?? '00'}:${m[5] ?? '00'}`, where);
}
