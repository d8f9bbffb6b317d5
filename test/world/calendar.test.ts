// The noleap calendar against JavaScript's Gregorian Date in a non-leap year (2001), where the two calendars agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calendarFromNoleapHours, isoFromNoleapHours, noleapHoursFromIso, noleapMonth, noleapReferenceHours } from '../../src/world/calendar.ts';

test('every day of 2001 maps like the Gregorian calendar and back', () => {
  const start = Date.UTC(2001, 0, 1);
  for (let d = 0; d < 365; d++) {
    const date = new Date(start + d * 86400e3);
    const iso = date.toISOString().slice(0, 13) + 'Z';
    const nh = noleapHoursFromIso(iso);
    assert.equal(nh, (365 + d) * 24, iso);
    const c = calendarFromNoleapHours(nh + 18);
    assert.deepEqual([c.year, c.month, c.day, c.hour], [2001, date.getUTCMonth() + 1, date.getUTCDate(), 18]);
    assert.equal(noleapMonth(nh + 23.5), date.getUTCMonth());
    assert.equal(isoFromNoleapHours(nh), `${iso.slice(0, 13)}:00Z`);
  }
});

test('29 February and malformed times are refused with the time named', () => {
  assert.throws(() => noleapHoursFromIso('2004-02-29T00Z'), /2004-02-29T00Z.*29 February does not exist/);
  assert.throws(() => noleapHoursFromIso('2001-13-01T00Z'), /not a whole hour of the noleap calendar/);
  assert.throws(() => noleapHoursFromIso('yesterday'), /expected YYYY-MM-DDTHH/);
  assert.throws(() => noleapReferenceHours('hours since 2000-02-30 00:00:00', 'store.zarr'), /store\.zarr.*no date of the noleap calendar/);
  assert.equal(noleapReferenceHours('hours since 1999-12-31 12:30:00', 'x'), -11.5);
});
