// pixels.js - helpers of the worker that need no browser: which decoder a file needs, the model's
// input as a picture, hashes, and the module's own byte limit. Also used by the Node tests.

import { META } from './meta-keys.js';

/** The format of bytes the C core decodes (JPEG, PNG, BMP, GIF), or null. */
export function coreFormat(b) {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'JPEG';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'PNG';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'BMP';
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'GIF';
  return null;
}

const ascii = (b, from, to) => String.fromCharCode(...b.subarray(from, to));

/** A name for the format of bytes, also for those only the browser decodes; null if unknown. */
export function formatName(b) {
  const core = coreFormat(b);
  if (core) return core;
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'WebP';
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12);
    if (/^avi[fs]$/.test(brand)) return 'AVIF';
    if (/^(hei[cxms]|hev[cxms]|mif1|msf1)$/.test(brand)) return 'HEIC';
    return 'HEIF/AVIF';
  }
  return null;
}

/** The model's normalised input (3 x side x side floats, CHW) back as RGBA pixels:
 *  (v * std + mean) * 255 per channel, with mean and std from the weight file. */
export function inputToRgba(input, info) {
  const mean = String(info[META.mean] || '').split(',').map(Number);
  const std = String(info[META.std] || '').split(',').map(Number);
  if (mean.length !== 3 || std.length !== 3 || ![...mean, ...std].every(Number.isFinite)) return null;
  const plane = input.length / 3, side = Math.round(Math.sqrt(plane));
  if (side * side !== plane) return null;
  const out = new Uint8ClampedArray(plane * 4);
  for (let k = 0; k < plane; k++) {
    for (let c = 0; c < 3; c++) out[k * 4 + c] = Math.round((input[c * plane + k] * std[c] + mean[c]) * 255);
    out[k * 4 + 3] = 255;
  }
  return { width: side, height: side, data: out };
}

/** The 54-byte header of a 24-bit BMP of width x height pixels (rows bottom-up: the core refuses
 *  the negative height of top-down BMPs). */
export function bmpHeader(width, height) {
  const row = Math.ceil((width * 3) / 4) * 4;
  const b = new Uint8Array(54);
  const v = new DataView(b.buffer);
  b[0] = 0x42;
  b[1] = 0x4d;
  v.setUint32(2, Math.min(0xffffffff, 54 + row * height), true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, 24, true);
  v.setUint32(34, Math.min(0xffffffff, row * height), true);
  return b;
}

/** RGBA pixels (e.g. ImageData.data) as an uncompressed 24-bit BMP, alpha over white as the core
 *  does for PNG: the way to the core for pixels the browser decoded when detector.js has no
 *  classifyPixels. */
export function rgbaToBmp(rgba, width, height) {
  const row = Math.ceil((width * 3) / 4) * 4;
  const b = new Uint8Array(54 + row * height);
  b.set(bmpHeader(width, height));
  for (let y = 0; y < height; y++) {
    let o = 54 + (height - 1 - y) * row, k = y * width * 4;
    for (let x = 0; x < width; x++, o += 3, k += 4) {
      const a = rgba[k + 3];
      const over = (c) => (a === 255 ? c : Math.floor((c * a + 255 * (255 - a) + 127) / 255));
      b[o] = over(rgba[k + 2]);
      b[o + 1] = over(rgba[k + 1]);
      b[o + 2] = over(rgba[k]);
    }
  }
  return b;
}

export async function sha256Hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...d].map((x) => x.toString(16).padStart(2, '0')).join('');
}
