import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { DAY_MS, dateErrorDetail, parseDate, parseDateFilter } from './dates.js';

const span = (raw: unknown) => {
  const r = parseDate(raw);
  if (!r.ok) throw new Error(`${String(raw)}: ${r.failure}`);
  return r.span;
};
const failure = (raw: unknown) => {
  const r = parseDate(raw);
  return r.ok ? 'ok' : r.failure;
};

describe('parseDate', () => {
  it.each(['2024-05-06', '2024-02-29', '2000-02-29', '1999-12-31', '0001-01-01', '9999-12-31'])('reads %s as that whole UTC day', (raw) => {
    const s = span(raw);
    expect(s.kind).toBe('day');
    expect(new Date(s.start).toISOString()).toBe(`${raw}T00:00:00.000Z`);
    expect(s.end).toBe(s.start + DAY_MS - 1);
  });

  it('does not read years below 100 as the 1900s', () => {
    expect(new Date(span('0050-03-01').start).getUTCFullYear()).toBe(50);
  });

  it.each([
    ['2024-05-06T12:20:00Z', '2024-05-06T12:20:00.000Z'],
    ['2024-05-06T12:20Z', '2024-05-06T12:20:00.000Z'],
    ['2024-05-06T12:20:00.5Z', '2024-05-06T12:20:00.500Z'],
    ['2024-05-06T12:20:00.123456789Z', '2024-05-06T12:20:00.123Z'],
    ['2024-05-06T14:20:00+02:00', '2024-05-06T12:20:00.000Z'],
    ['2024-05-06T02:20:00-10:00', '2024-05-06T12:20:00.000Z'],
    ['2024-05-06T00:30:00+01:00', '2024-05-05T23:30:00.000Z'],
    ['2024-12-31T23:59:59.999Z', '2024-12-31T23:59:59.999Z'],
    // RFC 3339's space for the T: Python's str(datetime), as SignalWire's Python SDK sends it.
    ['2024-05-06 12:20:00Z', '2024-05-06T12:20:00.000Z'],
    ['2024-05-06 14:20:00.123456+02:00', '2024-05-06T12:20:00.123Z'],
  ])('reads %s as the instant %s', (raw, iso) => {
    expect(span(raw)).toEqual({ kind: 'instant', start: Date.parse(iso), end: Date.parse(iso) });
  });

  it.each(['2024-02-30', '2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-05-00', '2024-05-32', '2024-05-06T24:00:00Z', '2024-05-06T12:60:00Z', '2024-05-06T12:00:60Z', '2024-05-06T12:00:00+24:00', '2024-05-06T12:00:00+01:60', '2024-02-30T10:00:00Z'])(
    'refuses the impossible %s',
    (raw) => {
      expect(failure(raw)).toBe('impossible');
    },
  );

  it.each(['2024-05-06T12:20:00', '2024-05-06T12:20', '2024-05-06T12:20:00.123'])('refuses the zone-less date-time %s', (raw) => {
    expect(failure(raw)).toBe('zone-missing');
  });

  it.each(['', 'yesterday', 'May 6 2024', '05/06/2024', '2024-5-6', '20240506', '1714998000000', '2024-05-06Tnoon', '2024-05-06  12:20:00Z', '2024-05-06 ', '2024-05-06t12:20:00z', '2024-05-06T12:20:00+0200', '2024-05-06T12:20:00+02', '2024-05-06T12Z', '2024-05-06T12:20:00.Z', '2024-05-06T12:20:00.1234567890Z', ' 2024-05-06', '2024-05-06\n', '+02024-05-06'])(
    'refuses the malformed %j',
    (raw) => {
      expect(failure(raw)).toBe('malformed');
    },
  );

  it.each([undefined, null, 20240506, ['2024-05-06'], {}])('refuses the non-string %j', (raw) => {
    expect(failure(raw)).toBe('malformed');
  });
});

describe('dateErrorDetail', () => {
  it('is datetime_required naming the parameter and saying why', () => {
    expect(dateErrorDetail('created_on', 'impossible', '2024-02-30')).toEqual({ key: 'DATETIME_REQUIRED', attribute: 'created_on', message: 'created_on is not a real date or time (got "2024-02-30").' });
    expect(dateErrorDetail('since', 'zone-missing', '2024-05-06T12:00').message).toMatch(/without a zone.*Z \(UTC\)/);
    expect(dateErrorDetail('DateSent', 'malformed', 'x'.repeat(100)).message).toContain(`"${'x'.repeat(40)}…"`);
    expect(dateErrorDetail('DateSent', 'malformed', ['a', 'b']).message).not.toContain('got');
  });
});

describe('parseDateFilter', () => {
  it('is undefined for an absent or empty parameter, and the span for a good one', () => {
    expect(parseDateFilter(undefined, 'created_on')).toBeUndefined();
    expect(parseDateFilter('', 'created_on')).toBeUndefined();
    expect(parseDateFilter('2024-05-06', 'created_on')).toEqual(span('2024-05-06'));
  });

  it('throws datetime_required naming the parameter for a bad one', () => {
    const err = (() => {
      try {
        parseDateFilter('2024-02-30', 'DateSent<');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details).toEqual([dateErrorDetail('DateSent<', 'impossible', '2024-02-30')]);
  });
});
