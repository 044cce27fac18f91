/**
 * The two date texts every request writes: the HTTP-date of `Last-Modified` (RFC 9110 IMF-fixdate,
 * what `Date.prototype.toUTCString` gives) and the ISO 8601 time of the access log and S3 listings
 * (what `toISOString` gives). Both are built from the Unix time by arithmetic: the runtime's date
 * formatter goes through its time-zone cache and a printf for every call, several times the cost
 * of the rest of a HEAD's header work (docs/performance.md). Years outside 0000–9999, which the
 * runtime writes in an expanded form, go to the runtime.
 */

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MS_PER_DAY = 86_400_000;
/** 0000-01-01T00:00:00Z and the first instant of 10000, in ms since the epoch. */
const FIRST_MS = -62_167_219_200_000;
const PAST_LAST_MS = 253_402_300_800_000;

const two = (n: number): string => (n < 10 ? "0" : "") + n;
const three = (n: number): string => (n < 10 ? "00" : n < 100 ? "0" : "") + n;
const four = (n: number): string => (n < 10 ? "000" : n < 100 ? "00" : n < 1000 ? "0" : "") + n;

/** The proleptic Gregorian date of a day number (days since 1970-01-01): civil-from-days, in integers. */
function civil(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // March = 0
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day: dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1 };
}

const inRange = (ms: number): boolean => Number.isInteger(ms) && ms >= FIRST_MS && ms < PAST_LAST_MS;

/** `Sun, 06 Dec 2026 19:15:05 GMT` for Unix seconds (as `new Date(seconds * 1000).toUTCString()`). */
export function httpDate(seconds: number): string {
  const ms = seconds * 1000;
  if (!inRange(ms)) return new Date(ms).toUTCString();
  const days = Math.floor(ms / MS_PER_DAY);
  const inDay = (ms - days * MS_PER_DAY) / 1000;
  const { year, month, day } = civil(days);
  const weekday = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return `${WEEKDAYS[weekday]}, ${two(day)} ${MONTHS[month - 1]} ${four(year)} ${two(Math.floor(inDay / 3600))}:${two(Math.floor(inDay / 60) % 60)}:${two(Math.floor(inDay) % 60)} GMT`;
}

/** `2026-12-06T19:15:05.123Z` for ms since the epoch (as `new Date(ms).toISOString()`). */
export function isoTimeMs(ms: number): string {
  if (!inRange(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / MS_PER_DAY);
  const inDay = ms - days * MS_PER_DAY;
  const { year, month, day } = civil(days);
  const seconds = Math.floor(inDay / 1000);
  return `${four(year)}-${two(month)}-${two(day)}T${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}.${three(inDay % 1000)}Z`;
}
