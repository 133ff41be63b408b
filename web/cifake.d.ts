// Types of the npm package's entry (web/cifake.js).
import type { Detector, LoadOptions } from './detector.js';
export type * from './detector.js';

/** The shipped WebAssembly module (web/cifake.wasm). */
export declare const wasmUrl: URL;
/** The shipped weight file (weights/cifake.bin). */
export declare const weightsUrl: URL;
/** detector.js's loadDetector with the shipped module and weights as defaults. */
export declare function loadDetector(options?: LoadOptions): Promise<Detector>;
