// Fractional ranks, ported from board/ranks.py (keep the two in step).
// A rank is a base-62 fraction over ASCII-ordered digits, with no trailing "0";
// comparing two ranks as strings compares the fractions.

export const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE = DIGITS.length;

function after(a) {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== DIGITS[BASE - 1]) return a.slice(0, i) + DIGITS[DIGITS.indexOf(a[i]) + 1];
  }
  return a + DIGITS[BASE >> 1];
}

function midpoint(a, b) {
  const zero = DIGITS[0];
  if (b !== null) {
    let n = 0;
    while (n < b.length && (n < a.length ? a[n] : zero) === b[n]) n++;
    if (n > 0) return b.slice(0, n) + midpoint(a.slice(n), b.slice(n));
  }
  const da = a ? DIGITS.indexOf(a[0]) : 0;
  const db = b !== null ? DIGITS.indexOf(b[0]) : BASE;
  if (db - da > 1) return DIGITS[Math.floor((da + db + 1) / 2)];
  if (b !== null && b.length > 1) return b.slice(0, 1);
  return DIGITS[da] + midpoint(a.slice(1), null);
}

/** A rank strictly between a and b (null or undefined: the open end). */
export function between(a, b) {
  a = a || null;
  b = b || null;
  if (a !== null && b !== null && !(a < b)) return null;
  if (b === null && a) return after(a);
  return midpoint(a || "", b);
}
