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

/** What a file declares about its origin, as `cifake-detect --json` prints it (empty members left out). */
export type Declares = 'ai-generated' | 'ai-edited' | 'capture' | 'other' | 'none';
export type SignalKind = 'c2pa' | 'xmp' | 'png-text' | 'exif' | 'stealth';
/** The check of a signal: only Content Credentials (c2pa) are signed; the others are 'n/a'. */
export type Verified = 'valid' | 'untrusted' | 'expired' | 'invalid' | 'not-checked' | 'n/a';

export interface Signal {
  kind: SignalKind;
  /** What it declares, in one plain sentence. */
  says?: string;
  /** The generator it names (one table in src/generators.c). */
  generator?: string;
  /** Content Credentials: the signing certificate's organisation or common name. */
  signer?: string;
  verified: Verified;
  /** invalid: which check failed; not-checked: why; untrusted / expired: the detail. */
  problem?: string;
  /** The generation prompt or parameters where the file carries them. */
  prompt?: string;
}

export interface Provenance {
  /** The strongest declaration among the signals (credentials whose check failed declare nothing). */
  declares: Declares;
  signals: Signal[];
  /** Why some metadata could not be read (damaged or hostile); absent when all of it could. */
  unreadable?: string;
}

/** A Content Credentials check (web/c2pa.js), to apply instead of checking again. */
export interface C2paCheck { verified: Verified; signer?: string; problem?: string }

export interface ClassifyOptions {
  /** Also compute a heatmap of the thumbnail model (result.cam); default none. */
  cam?: CamMethod | false;
  /** Also return result.input, the normalised 3 x S x S floats (CHW) the first model saw. */
  input?: boolean;
  /** The result of checking the file's Content Credentials; without it classify() marks them
   *  'not-checked' (classifyAsync() checks them). */
  c2pa?: C2paCheck | null;
}

export interface PixelsOptions extends ClassifyOptions {
  /** The encoded file the pixels came from, for its provenance (metadata). */
  file?: ArrayBuffer | ArrayBufferView;
}

export interface Result {
  /** UNSURE is a result, not an error: scope and reason say why. */
  label: Label;
  /** Calibrated P(FAKE); null when the model did not judge the image. */
  pFake: number | null;
  /** Why the label, in words: why UNSURE, or what the file's provenance says (and, when the pixel
   *  model disagrees, what it says too); null for a pixel verdict with nothing to add. */
  reason: string | null;
  /** Why UNSURE in the model's terms, with its numbers (sizes, P(fake), the band); null otherwise. */
  detail: string | null;
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
  /** What the file declares about its origin; label and reason follow the core's rules on it
   *  (src/provenance.h): a declaration of generative AI gives FAKE, missing metadata never REAL. */
  provenance: Provenance;
  /** The pixel model's own label, before the provenance rules. */
  pixelLabel: Label;
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
  classifyPixels(pixels: ArrayBuffer | ArrayBufferView, width: number, height: number, options?: PixelsOptions): Result;
  /** classify, with the file's Content Credentials checked first by the C2PA project's library
   *  (loaded only when the file carries them; a failure to check is 'not-checked', never an error). */
  classifyAsync(bytes: ArrayBuffer | ArrayBufferView, options?: ClassifyOptions): Promise<Result>;
  /** The check of the file's Content Credentials, or null when it carries none. */
  verifyC2pa(bytes: ArrayBuffer | ArrayBufferView): Promise<C2paCheck | null>;
  /** What the file declares, without classifying its pixels (rgba: decoded pixels for stealth data). */
  provenance(bytes: ArrayBuffer | ArrayBufferView,
    options?: { rgba?: ArrayBufferView; width?: number; height?: number; c2pa?: C2paCheck | null }): Provenance;
  /** n normalised inputs in one batch, one view each (the network alone: a file's tta=flip is applied by classify only). */
  predict(inputs: Float32Array, n?: number): { pFake: Float32Array; score: Float32Array };
  /** The map of the last image classified, as options.cam would have given it, without judging the
   *  image again (null where that cam would be null, and when the last call failed). */
  explain(cam?: CamMethod): Float32Array | null;
  /** Draws cam over the square the thumbnail model analysed (cam null: the square alone). */
  render(cam: Float32Array | null, options?: { side?: number; colormap?: Colormap; alpha?: number }): Rgba;
  /** A weight file's metadata (spec, threshold, temperature, reliability, ...), model 0 by default. */
  info(model?: number): Record<string, string>;
  dispose(): void;
}

export declare function loadDetector(options?: LoadOptions): Promise<Detector>;
