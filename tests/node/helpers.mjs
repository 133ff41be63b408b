// Shared helpers for the Node tests: paths, running the native tools, small datasets, weight files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const build = path.join(root, 'build');
export const sampleDir = process.env.CIFAKE_SAMPLE_DIR || path.resolve(root, '../shared/data/cifake-sample');
export const shippedWeights = path.join(root, 'weights/cifake.bin');

export function run(tool, args, opts = {}) {
  const r = spawnSync(path.join(build, tool), args, { encoding: 'utf8', ...opts });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function sampleImages() {
  const out = [];
  for (const label of ['REAL', 'FAKE'])
    for (const f of fs.readdirSync(path.join(sampleDir, label)).sort())
      out.push({ path: path.join(sampleDir, label, f), label });
  return out;
}

// Every temporary folder a test makes is removed when its test process exits, passed or failed
// (node --test runs each file in a process of its own); CIFAKE_KEEP_TEMP=1 keeps them to look into.
const tempDirs = [];
process.on('exit', () => {
  if (process.env.CIFAKE_KEEP_TEMP === '1') return;
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'cifake-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

// A tiny dataset in the Kaggle layout made of the shared samples: train and test both hold them all.
export function tinyDataset() {
  const dir = tempDir('cifake-data-');
  for (const split of ['train', 'test'])
    for (const { path: p, label } of sampleImages()) {
      fs.mkdirSync(path.join(dir, split, label), { recursive: true });
      fs.copyFileSync(p, path.join(dir, split, label, path.basename(p)));
    }
  return dir;
}

// The tensor section of a weight file (everything after the metadata, before the checksum), which
// is what two runs must agree on when only provenance such as the date differs.
export function tensorBytes(file) {
  const b = fs.readFileSync(file);
  let pos = 12;
  const u32 = () => { const v = b.readUInt32LE(pos); pos += 4; return v; };
  const nMeta = u32();
  for (let i = 0; i < 2 * nMeta; i++) { const n = u32(); pos += n; }
  return b.subarray(pos, b.length - 4);
}

export function metadata(file) {
  const b = fs.readFileSync(file);
  let pos = 12;
  const u32 = () => { const v = b.readUInt32LE(pos); pos += 4; return v; };
  const str = () => { const n = u32(); const s = b.toString('utf8', pos, pos + n); pos += n; return s; };
  const meta = {};
  const n = u32();
  for (let i = 0; i < n; i++) { const k = str(); meta[k] = str(); }
  return meta;
}

// Decodes an 8-bit RGBA, non-interlaced PNG (what stb_image_write produces) into
// { width, height, data }, undoing the per-row filters; enough to compare pixels in tests.
export function decodePng(buf) {
  const { inflateSync } = zlib;
  let pos = 8, width = 0, height = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[9] !== 6 || body[12] !== 0) throw new Error('decodePng: only 8-bit RGBA, not interlaced');
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = width * 4, data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)], src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? data[y * stride + x - 4] : 0, b = y > 0 ? data[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? data[(y - 1) * stride + x - 4] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter];
      data[y * stride + x] = (src[x] + pred) & 255;
    }
  }
  return { width, height, data };
}

// The hostile-input table (tests/hostile/cases.tsv): [{ file, path, kind, arg, bytes }], where kind
// is error (arg: text the message contains), ok, same or differs (arg: the other file). WebP files are
// decoded by the native builds only: for a decoder without WebP (the default, the WebAssembly module),
// each .webp row becomes an error whose message names WebP as not supported; { webp: true } for the CLI.
export const hostileDir = path.join(root, 'tests/hostile');
export const WEBP_UNSUPPORTED = 'WebP is not supported';
export function hostileTable({ webp = false } = {}) {
  const rows = [];
  for (const line of fs.readFileSync(path.join(hostileDir, 'cases.tsv'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    let [file, kind, arg = ''] = line.split('\t');
    if (!webp && file.endsWith('.webp')) [kind, arg] = ['error', WEBP_UNSUPPORTED];
    const p = path.join(hostileDir, 'cases', file);
    rows.push({ file, path: p, kind, arg, bytes: fs.readFileSync(p) });
  }
  return rows;
}

// One byte over the 64 MiB limit on encoded input (the messages name the limit in bytes).
export const OVER_LIMIT_BYTES = 64 * 1024 * 1024 + 1;
export const OVER_LIMIT_MESSAGE = 'over the limit of 67108864 bytes';

// CRC-32 as PNG and the weight file use it.
export function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

// web/detector.js with one change, for the tests of what happens when the core traps: an image whose
// bytes start with TRAP_MAGIC is handed to the core at an address far outside its memory, so the
// core's first read of it is a genuine WebAssembly trap ("memory access out of bounds") in the middle
// of cfw_classify. Every other input goes through unchanged.
export const TRAP_MAGIC = Buffer.from('!TRAP');
const CLASSIFY_CALL = 'rc = x.cfw_classify(this.#h, p, data.length);';
export function trappingDetectorSource() {
  const source = fs.readFileSync(path.join(root, 'web/detector.js'), 'utf8');
  if (source.split(CLASSIFY_CALL).length !== 2) throw new Error(`web/detector.js no longer has "${CLASSIFY_CALL}" once`);
  const magic = [...TRAP_MAGIC].map((b, i) => `data[${i}] === ${b}`).join(' && ');
  return source.replace(CLASSIFY_CALL, `rc = x.cfw_classify(this.#h, ${magic} ? 0x7ffffff0 : p, data.length);`);
}

// ---- provenance test files (../shared/provenance) and JPEG metadata surgery ----
export const provenanceDir = process.env.CIFAKE_PROVENANCE_DIR || path.resolve(root, '../shared/provenance');

// tests/provenance/expected.tsv: what each shared provenance file must give (path under
// provenanceDir, declares, the C2PA check or n/a, the label with an UNSURE pixel verdict, generator).
export function provenanceExpected() {
  const [head, ...rows] = fs.readFileSync(path.join(root, 'tests/provenance/expected.tsv'), 'utf8')
    .split('\n').filter((l) => l && !l.startsWith('#'));
  const cols = head.split('\t');
  return rows.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v === '-' ? '' : v])));
}

// The segments of a JPEG up to its first scan: [{ marker, start, end }] (end exclusive, header included).
export function jpegSegments(buf) {
  const out = [];
  let pos = 2;
  while (pos + 4 <= buf.length && buf[pos] === 0xff) {
    const marker = buf[pos + 1];
    if (marker === 0xda) break;
    const end = pos + 2 + buf.readUInt16BE(pos + 2);
    out.push({ marker, start: pos, end });
    pos = end;
  }
  return { segments: out, rest: pos };
}

// A copy of a JPEG without its APPn segments (EXIF, XMP, C2PA, ...), as most sites re-save uploads.
export function stripJpegMetadata(buf) {
  const { segments, rest } = jpegSegments(buf);
  const kept = segments.filter((s) => s.marker < 0xe0 || s.marker > 0xef).map((s) => buf.subarray(s.start, s.end));
  return Buffer.concat([buf.subarray(0, 2), ...kept, buf.subarray(rest)]);
}

// The APP11 (C2PA) segments of one JPEG moved into another, after its SOI: a manifest transplanted
// onto pixels it was never signed for.
export function transplantC2pa(from, to) {
  const app11 = jpegSegments(from).segments.filter((s) => s.marker === 0xeb).map((s) => from.subarray(s.start, s.end));
  return Buffer.concat([to.subarray(0, 2), ...app11, to.subarray(2)]);
}

// A minimal 8-bit RGBA PNG of the given pixels.
export function encodePng(width, height, rgba) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4), crc = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (1 + width * 4) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

