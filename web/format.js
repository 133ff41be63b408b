// format.js - numbers and texts as the page shows them. No DOM: also imported by the Node tests.

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 40000000 -> "40,000,000". */
export function formatCount(n) {
  return grouped.format(n);
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

// The calibrated probability as the page shows it: whole percent, and only "< 1 %" or "> 99 %" in the
// tails. The temperature was fitted on a few thousand validation images, which cannot tell 99.9 %
// from 99.99 %, and images unlike CIFAKE's move it by more than a point; "100.0 %" is never shown.
export const P_FLOOR = 0.01;
export const P_CEIL = 0.99;

export function formatPFake(p) {
  if (typeof p !== 'number' || !Number.isFinite(p)) return '—';
  if (p < P_FLOOR) return '< 1 %';
  if (p > P_CEIL) return '> 99 %';
  return `${Math.round(p * 100)} %`;
}

/** Thousands separators in the numbers of a message (the core writes "40000000 pixels"); decimals,
 *  hexadecimal and numbers glued to words are left alone. */
export function groupNumbers(message) {
  return String(message).replace(/\d{5,}/g, (digits, at, s) => {
    const before = s[at - 1] || '', after = s[at + digits.length] || '';
    if (/[A-Za-wyz_.,]/.test(before) || /(^|\D)0x$/.test(s.slice(Math.max(0, at - 3), at))) return digits;
    if (/[A-Za-wyz_]/.test(after) || (after === '.' && /\d/.test(s[at + digits.length + 1] || ''))) return digits;
    return formatCount(Number(digits));
  });
}

/** "1 file" / "3 files". */
export function plural(n, one, many = `${one}s`) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
