// table.js - the results table: one row per image, sortable by any column (the order itself is
// order.js's, shared with the cards).

import { formatCount, formatPFake, groupNumbers } from './format.js';
import { describeError } from './result.js';

const STATUS_TEXT = { queued: 'queued', working: 'analysing…', done: 'done', stopped: 'stopped' };

/** @typedef {import('./store.js').Item} Item */

export class Table {
  /** @type {WeakMap<Item, HTMLTableRowElement>} each item's row, kept here rather than on the item */
  #rows = new WeakMap();

  constructor({ table, store, onShow }) {
    this.table = table;
    this.tbody = table.tBodies[0];
    this.store = store;
    for (const th of table.tHead.rows[0].cells)
      th.querySelector('button').addEventListener('click', () => store.sortBy(th.dataset.key));
    this.showSort(store.sort);
    this.onShow = onShow;
  }

  add(item) {
    const tr = document.createElement('tr');
    tr.dataset.id = String(item.index);
    tr.innerHTML = '<td class="num"></td><td class="file"><button type="button" class="linklike"></button></td>' +
      '<td class="verdict-cell"></td><td class="num"></td><td class="num"></td><td class="status-cell"></td>';
    tr.cells[0].textContent = String(item.index);
    const btn = /** @type {HTMLButtonElement} */ (tr.cells[1].firstElementChild);
    btn.textContent = item.name;
    btn.title = `Show the card of ${item.path || item.name}`;
    btn.addEventListener('click', () => this.onShow(item));
    this.#rows.set(item, tr);
    this.update(item);
    return tr;
  }

  remove(item) {
    const tr = this.#rows.get(item);
    if (tr) tr.remove();
    this.#rows.delete(item);
  }

  update(item) {
    const tr = this.#rows.get(item);
    if (!tr) return;
    const c = tr.cells, r = item.status === 'done' ? item.result : null;
    c[2].replaceChildren();
    if (r) {
      const tag = document.createElement('span');
      tag.className = `tag ${r.label.toLowerCase()}`;
      tag.textContent = r.label;
      c[2].append(tag);
    } else if (item.status === 'error') {
      // on a phone the status column is hidden: the verdict column says the file failed
      const tag = document.createElement('span');
      tag.className = 'tag failed';
      tag.textContent = 'ERROR';
      tag.title = describeError(item.error).headline;
      c[2].append(tag);
    }
    c[3].textContent = r && r.pFake !== null ? formatPFake(r.pFake) : '';
    c[3].dataset.value = r && r.pFake !== null ? String(r.pFake) : '';
    c[4].textContent = item.result ? `${formatCount(item.result.width)}×${formatCount(item.result.height)}` : '';
    const failure = item.status === 'error' ? describeError(item.error) : null;
    c[5].textContent = failure ? `${failure.short}: ${groupNumbers(failure.detail)}`
      : r && (r.label === 'UNSURE' || r.byProvenance) ? `done: ${r.reason || 'no verdict'}` : STATUS_TEXT[item.status] || item.status;
    c[5].title = c[5].textContent;
    tr.classList.toggle('row-error', item.status === 'error');
  }

  order(items) {
    const want = items.map((i) => this.#rows.get(i)).filter(Boolean);
    const have = [...this.tbody.rows];
    if (want.length === have.length && want.every((r, k) => r === have[k])) return;
    this.tbody.append(...want);
  }

  showSort({ key, dir }) {
    for (const th of this.table.tHead.rows[0].cells) {
      if (th.dataset.key === key) th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }
}
