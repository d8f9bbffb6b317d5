// Calendar mapping between the ensemble layer's times (Hours since 1970-01-01, proleptic Gregorian) and the planet's
// noleap clock (hours since 2000-01-01 00:00, 365-day years): the same YYYY-MM-DDTHH in both; 29 February has no twin.
import { type Hours, isoFromHours } from './model.ts';

/** Days before each month in a 365-day year (index 0 = January). */
const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
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

/** The proleptic Gregorian calendar date of an ensemble time. */
export function calendarFromHours(h: Hours): CalendarTime {
  const days = Math.floor(h / 24);
  const d = new Date(days * 86400e3);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: h - days * 24 };
}

/** An ensemble time from a Gregorian calendar date (any year, 0–99 included). */
export function hoursFromCalendar(c: CalendarTime): Hours {
  const d = new Date(0);
  d.setUTCFullYear(c.year, c.month - 1, c.day);
  return Math.round(d.getTime() / 86400e3) * 24 + c.hour;
}

/** Whether an ensemble time falls on 29 February (a date the noleap calendar lacks). */
export function isLeapDay(h: Hours): boolean {
  const c = calendarFromHours(h);
  return c.month === 2 && c.day === 29;
}

/**
 * Noleap hours since 2000-01-01 00:00 of the same calendar date and hour. 29 February has no noleap twin: it is
 * refused (`leapDay: 'refuse'`, the default; the error names `what` and the time) or treated as 28 February
 * (`'previous'`, for the models' season and forcing, whose clock then repeats a day).
 */
export function noleapHoursFromHours(h: Hours, options: { leapDay?: 'refuse' | 'previous'; what?: string } = {}): number {
  const c = calendarFromHours(h);
  let day = c.day;
  if (c.month === 2 && c.day === 29) {
    if ((options.leapDay ?? 'refuse') === 'refuse') {
      throw new RangeError(`${options.what ?? 'time'}: ${isoFromHours(h)} is 29 February, which the noleap calendar of the planet does not have`);
    }
    day = 28;
  }
  return ((c.year - NOLEAP_EPOCH_YEAR) * NOLEAP_DAYS_PER_YEAR + DAYS_BEFORE_MONTH[c.month - 1] + day - 1) * 24 + c.hour;
}

/** The noleap calendar date of noleap hours since 2000-01-01. */
export function calendarFromNoleapHours(nh: number): CalendarTime {
  const days = Math.floor(nh / 24);
  const years = Math.floor(days / NOLEAP_DAYS_PER_YEAR);
  let doy = days - years * NOLEAP_DAYS_PER_YEAR;
  let month = 0;
  while (month < 11 && doy >= DAYS_IN_MONTH[month]) doy -= DAYS_IN_MONTH[month++];
  return { year: NOLEAP_EPOCH_YEAR + years, month: month + 1, day: doy + 1, hour: nh - days * 24 };
}

/** The ensemble time of the same calendar date and hour as noleap hours since 2000-01-01. */
export function hoursFromNoleapHours(nh: number): Hours {
  return hoursFromCalendar(calendarFromNoleapHours(nh));
}

/** "YYYY-MM-DDTHH:MMZ" of noleap hours since 2000-01-01 (for messages). */
export function isoFromNoleapHours(nh: number): string {
  const c = calendarFromNoleapHours(nh);
  const hh = Math.floor(c.hour);
  const mm = Math.round((c.hour - hh) * 60);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(c.year, 4)}-${p(c.month)}-${p(c.day)}T${p(hh)}:${p(mm)}Z`;
}

/**
 * The fractional noleap day of year in [0, 365) of an ensemble time (the SFNO season feature); 29 February counts
 * as 28 February.
 */
export function noleapDayOfYear(h: Hours): number {
  const days = noleapHoursFromHours(h, { leapDay: 'previous' }) / 24;
  return days - Math.floor(days / NOLEAP_DAYS_PER_YEAR) * NOLEAP_DAYS_PER_YEAR;
}

/** Noleap hours since 2000-01-01 of "hours since YYYY-MM-DD[ HH:MM[:SS]]" time units' reference date. */
export function noleapReferenceHours(units: string, where: string): number {
  const m = /^\s*hours\s+since\s+(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(units);
  if (!m) throw new RangeError(`${where}: time units ${JSON.stringify(units)} are not "hours since YYYY-MM-DD HH:MM:SS"`);
  const [year, month, day, hour = '0', minute = '0'] = m.slice(1);
  const mo = Number(month);
  const d = Number(day);
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]) throw new RangeError(`${where}: time units ${JSON.stringify(units)} name no date of the noleap calendar`);
  return ((Number(year) - NOLEAP_EPOCH_YEAR) * NOLEAP_DAYS_PER_YEAR + DAYS_BEFORE_MONTH[mo - 1] + d - 1) * 24 + Number(hour) + Number(minute) / 60;
}

/** Noleap hours since 2000-01-01 of a noleap date "YYYY-MM-DD[THH[:MM]][Z]" (e.g. a training record's period). */
export function noleapHoursFromDate(text: string, where: string): number {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2}))?)?Z?\s*$/.exec(text);
  if (!m) throw new RangeError(`${where}: expected a date YYYY-MM-DD[THH], got ${JSON.stringify(text)}`);
  return noleapReferenceHours(`hours since ${m[1]}-${m[2]}-${m[3]} ${m[4] ?? '00'}:${m[5] ?? '00'}`, where);
}
