// Ambient types the page's JavaScript needs beyond the DOM's, for the type check only (tsconfig.json).

// boot.js, a classic script, hands the first worker to app.js through the page's global object.
interface CifakeBoot {
  /** The worker's init message (pool.js sends it to every later worker). */
  init: { type: string; wasm: string; weights: string; weightsName: string };
  /** The worker started early, or null when it could not be started. */
  worker: Worker | null;
  /** What the worker sent before the pool took it over, in order. */
  events: Array<{ type: 'message' | 'error'; event: any }>;
}
interface Window { cifakeBoot: CifakeBoot }

// c2pa.js also runs in Node (the npm package), where it reads files with Node's modules; the page's
// check does not need Node's own types for these few uses.
declare var process: { versions?: { node?: string } } | undefined;
declare module 'node:fs/promises';
declare module 'node:module';
declare module 'node:url';
/** Workers' classic-script loader: its absence tells c2pa.js it is not in a worker. */
declare function importScripts(...urls: string[]): void;
