/**
 * Units of metering (docs/metering.md). D1 keeps raw counters (requests, bytes, byte-seconds);
 * the API speaks GB·day, GB and 万次. GB is 1024³ bytes; days are UTC days.
 */
export const DAY_SECONDS = 86_400;
export const BYTES_PER_GB = 1024 ** 3;
export const BYTE_SECONDS_PER_GB_DAY = BYTES_PER_GB * DAY_SECONDS;
/** 万次: the API counts requests in ten-thousands. */
export const REQUESTS_PER_UNIT = 10_000;

/** Start (unix seconds) of the UTC day holding `t`. */
export const dayStart = (t: number): number => Math.floor(t / DAY_SECONDS) * DAY_SECONDS;

export const gbDays = (byteSeconds: number): number => byteSeconds / BYTE_SECONDS_PER_GB_DAY;
export const gigabytes = (bytes: number): number => bytes / BYTES_PER_GB;
export const tenThousands = (requests: number): number => requests / REQUESTS_PER_UNIT;
