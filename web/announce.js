// announce.js - what the live region says. Per-file results are gathered and spoken together at
// most once per interval, for batches of any size: a screen reader hears every result of a small
// batch and, for a large one, each group's first few and how many more there were. No DOM (speak is
// given): also used by the Node tests.

export class Announcer {
  #pending = [];
  #timer = 0;

  constructor({ speak, interval = 1500, maxListed = 8, timers = globalThis }) {
    this.speak = speak;
    this.interval = interval;
    this.maxListed = maxListed;
    this.timers = timers;
  }

  /** A per-file result, spoken with others that arrive within the interval. */
  result(text) {
    this.#pending.push(text);
    if (!this.#timer) this.#timer = this.timers.setTimeout(() => this.flush(), this.interval);
  }

  /** A message of its own, right away, after the results gathered so far (in one message: a live
   *  region read twice in one moment speaks only the last text). */
  say(text) {
    const gathered = this.#take();
    this.speak(gathered ? `${gathered} ${text}` : text);
  }

  flush() {
    const gathered = this.#take();
    if (gathered) this.speak(gathered);
  }

  #take() {
    if (this.#timer) this.timers.clearTimeout(this.#timer);
    this.#timer = 0;
    if (!this.#pending.length) return '';
    const shown = this.#pending.slice(0, this.maxListed);
    const more = this.#pending.length - shown.length;
    this.#pending = [];
    return shown.join(' ') + (more ? ` And ${more} more ${more === 1 ? 'result' : 'results'}: see the table.` : '');
  }

  /** Drops what is gathered (the results were cleared). */
  reset() {
    if (this.#timer) this.timers.clearTimeout(this.#timer);
    this.#timer = 0;
    this.#pending = [];
  }
}
