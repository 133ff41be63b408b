// Types of web/detector.js, the cifake detector as an ES module (browser, Web Worker or Node 20+).

/** A URL (fetched in the browser; in Node a path or file: URL is read from disk) or the bytes. */
export type Source = string | URL | ArrayBuffer | ArrayBufferView;

export interface LoadOptions {
  /** The WebAssembly module (default 'cifake.wasm'). */
  wasm?: Source;
  /** A weight file, or several: tried in order, the first whose scope holds an image judges it. */
  weights?: Source | Source[];
}

export type Label = 'REAL' | 'FAKE' | 'UNSURE';
/** Why a result is what it is: judged, or why not (then label is 'UNSURE'). */
export type Scope = 'judged' | 'too-small' | 'out-of-scope' | 'weak-evidence';
export type CamMethod = 'gradcam' | 'gradcampp';
export type Colormap = 'turbo' | 'jet' | 'viridis';

export interface Region { x: number; y: number; width: number; height: number }

export interface Patches {
  /** Side of each square patch, in pixels of the original image. */
  side: number;
  cols: number;
  rows: number;
  /** Top-left corner of each patch, in original pixels. */
  x: Int32Array;
  y: Int32Array;
  /** One calibrated probability per patch. */
  pFake: Float32Array;
}

export interface ClassifyOptions {
  /** Also compute a heatmap of the thumbnail model (result.cam); default none. */
  cam?: CamMethod | false;
  /** Also return result.input, the normalised 3 x S x S floats (CHW) the first model saw. */
  input?: boolean;
}

export interface Result {
  /** UNSURE is a result, not an error: scope and reason say why. */
  label: Label;
  /** Calibrated P(FAKE); null when the model did not judge the image. */
  pFake: number | null;
  /** Why UNSURE, in words; null otherwise. */
  reason: string | null;
  scope: Scope;
  /** The weight file's measured sentence about how often this model is right on such images. */
  reliability: string | null;
  model: { index?: number; name: string; view: 'thumbnail' | 'patches' } | null;
  /** The analysed part of the original image, in its pixels (the centre square for a thumbnail model). */
  region: Region;
  /** A patch model's scores, one per patch; null for a thumbnail model. */
  patches: Patches | null;
  width: number;
  height: number;
  /** The heatmap (S x S floats in [0, 1]) when options.cam was given and a thumbnail model judged. */
  cam: Float32Array | null;
  input?: Float32Array;
}

export interface Rgba { width: number; height: number; data: Uint8ClampedArray }

export interface Detector {
  /** The vector instruction set of the module ("wasm-simd128"). */
  readonly simd: string;
  readonly modelCount: number;
  readonly memoryBytes: number;
  /** The largest encoded image classify takes, in bytes. */
  readonly maxImageBytes: number;
  /** An encoded image (JPEG, PNG, BMP or GIF). Throws an Error saying why on bad input. */
  classify(bytes: ArrayBuffer | ArrayBufferView, options?: ClassifyOptions): Result;
  /** Pixels decoded elsewhere (e.g. ImageData.data of a WebP): width * height * 4 (RGBA) or * 3 (RGB) bytes. */
  classifyPixels(pixels: ArrayBuffer | ArrayBufferView, width: number, height: number, options?: ClassifyOptions): Result;
  /** n normalised inputs in one batch, one view each (the network alone: a file's tta=flip is applied by classify only). */
  predict(inputs: Float32Array, n?: number): { pFake: Float32Array; score: Float32Array };
  /** Draws cam over the square the thumbnail model analysed (cam null: the square alone). */
  render(cam: Float32Array | null, options?: { side?: number; colormap?: Colormap; alpha?: number }): Rgba;
  /** A weight file's metadata (spec, threshold, temperature, reliability, ...), model 0 by default. */
  info(model?: number): Record<string, string>;
  dispose(): void;
}

export declare function loadDetector(options?: LoadOptions): Promise<Detector>;
