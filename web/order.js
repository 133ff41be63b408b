// order.js - the one order of the results table and the cards. Images without the sorted value (not
// analysed yet, failed, stopped, or no P(fake) because the model did not judge them) come after the
// others in either direction; ties keep the newest first. No DOM: also used by the Node tests.

const LABEL_RANK = { REAL: 0, UNSURE: 1, FAKE: 2 };
const STATUS_RANK = { done: 0, working: 1, queued: 2, stopped: 3, error: 4 };
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

// The sorted value of an item, or null when it has none.
const KEYS = {
  index: (i) => i.index,
  name: (i) => i.name,
  label: (i) => (i.status === 'done' ? LABEL_RANK[i.result.label] : null),
  pFake: (i) => (i.status === 'done' && i.result.pFake !== null ? i.result.pFake : null),
  pixels: (i) => (i.result ? i.result.width * i.result.height : null),
  status: (i) => STATUS_RANK[i.status] ?? null,
};

export const SORT_KEYS = Object.keys(KEYS);

export function compareItems(a, b, { key, dir }) {
  const value = KEYS[key] || KEYS.index;
  const va = value(a), vb = value(b);
  if (va === null || vb === null) {
    if (va !== vb) return va === null ? 1 : -1; // missing values last, whichever the direction
  } else {
    const d = typeof va === 'string' ? collator.compare(va, vb) : va - vb;
    if (d) return d * dir;
  }
  return b.index - a.index;
}

export function sortItems(items, sort) {
  return [...items].sort((a, b) => compareItems(a, b, sort));
}
