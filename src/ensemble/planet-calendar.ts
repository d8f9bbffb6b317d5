// Calendar mapping between the ensemble layer's times (Hours since 1970-01-01, proleptic Gregorian) and the planet's
// noleap clock (hours since 2000-01-01 00:00, 365-day years): the same YYYY-MM-DDTHH in both; 29 February has no twin.
import { type Hours, isoFromHours } from './model.ts';
import {
  type CalendarTime,
  NOLEAP_DAYS_PER_YEAR,
  calendarFromNoleapHours,
  noleapHoursFromCalendar,
} from '../world/calendar.ts';

export { type CalendarTime, NOLEAP_DAYS_PER_YEAR, NOLEAP_EPOCH_YEAR, calendarFromNoleapHours, isoFromNoleapHours, noleapHoursFromDate, noleapReferenceHours } from '../world/calendar.ts';

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
  return noleapHoursFromCalendar({ ...c, day });
}

/** The ensemble time of the same calendar date and hour as noleap hours since 2000-01-01. */
export function hoursFromNoleapHours(nh: number): Hours {
  return hoursFromCalendar(calendarFromNoleapHours(nh));
}

/**
 * The fractional noleap day of year in [0, 365) of an ensemble time (the SFNO season feature); 29 February counts
 * as 28 February.
 */
export function noleapDayOfYear(h: Hours): number {
  const days = noleapHoursFromHours(h, { leapDay: 'previous' }) / 24;
  return days - Math.floor(days / NOLEAP_DAYS_PER_YEAR) * NOLEAP_DAYS_PER_YEAR;
}


