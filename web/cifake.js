// cifake.js - the npm package's entry: web/detector.js with the shipped module and weights as
// defaults, found next to this file (import { loadDetector } from 'cifake').
//
//   import { loadDetector } from 'cifake';
//   const d = await loadDetector();                  // web/cifake.wasm + weights/cifake.bin
//   const r = d.classify(fs.readFileSync('photo.jpg'));   // { label, pFake, scope, reason, ... }
//
// Options are detector.js's: { wasm, weights } override the shipped files (URLs, paths or bytes).
import { loadDetector as load } from './detector.js';

export const wasmUrl = new URL('./cifake.wasm', import.meta.url);
export const weightsUrl = new URL('../weights/cifake.bin', import.meta.url);

export function loadDetector(options = {}) {
  return load({ wasm: wasmUrl, weights: weightsUrl, ...options });
}
