// generate.mjs - writes the non-JPEG cases of the hostile-input table into tests/hostile/cases/,
// deterministically (no randomness, no dates), and the cases derived from the JPEGs and WebPs that
// make_jpegs.c and make_webp.c wrote there (the JPEG ones by editing or dropping their marker
// segments). The outputs are checked in; tests/node/hostile.test.mjs regenerates them into a temporary
// folder and checks they are byte-identical, so the files and this script agree.
//
//   node tests/hostile/generate.mjs [OUT_DIR]     (default: tests/hostile/cases)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../node/helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const jpegDir = path.join(here, 'cases');

const u32be = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const u16le = (v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32le = (v) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };

function pngChunk(type, data = Buffer.alloc(0)) {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(data.length), body, u32be(crc32(body))]);
}

// PNG with the given IHDR fields; rows: Buffers of raw (unfiltered) row bytes. extra: chunks before IDAT.
function png(width, height, bitDepth, colourType, rows, extra = []) {
  const ihdr = Buffer.concat([u32be(width), u32be(height), Buffer.from([bitDepth, colourType, 0, 0, 0])]);
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr),
    ...extra, pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })), pngChunk('IEND')]);
}

// Header only: a valid IHDR claiming width x height RGB, a token IDAT and IEND.
const pngHeaderOnly = (w, h) => png(w, h, 8, 2, [Buffer.from([1, 2, 3])]);

const rgbRows = (w, h) => Array.from({ length: h }, (_, y) => Buffer.from(Array.from({ length: w * 3 },
  (_, i) => (Math.floor(i / 3) * 9 + y * 5 + (i % 3) * 70) % 256)));

// GIF with a 4-colour global palette; frames: arrays of w*h indices (0..3). Minimal LZW: a clear
// code before every pixel keeps codes at 3 bits (not compact, but valid and simple).
function gif(w, h, palette, frames) {
  const parts = [Buffer.from('GIF89a', 'latin1'), u16le(w), u16le(h), Buffer.from([0xf1, 0, 0]), Buffer.from(palette)];
  if (frames.length > 1) // NETSCAPE looping extension, as animated GIFs carry
    parts.push(Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0', 'latin1'), 3, 1, 0, 0, 0]));
  for (const indices of frames) {
    parts.push(Buffer.from([0x21, 0xf9, 4, 0x04, 10, 0, 0, 0])); // graphic control: 0.1 s, keep frame
    parts.push(Buffer.from([0x2c]), u16le(0), u16le(0), u16le(w), u16le(h), Buffer.from([0, 2]));
    const bytes = [];
    let acc = 0, nbits = 0;
    const put = (code) => { acc |= code << nbits; nbits += 3; while (nbits >= 8) { bytes.push(acc & 255); acc >>= 8; nbits -= 8; } };
    for (const i of indices) { put(4); put(i); }
    put(5);
    if (nbits) bytes.push(acc & 255);
    for (let k = 0; k < bytes.length; k += 255) {
      const block = bytes.slice(k, k + 255);
      parts.push(Buffer.from([block.length, ...block]));
    }
    parts.push(Buffer.from([0]));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

// 8-bit bottom-up BMP with the given palette (4-byte entries, BGR0) and one index per pixel.
function bmp8(w, h, palette, index) {
  const stride = Math.ceil(w / 4) * 4, offset = 14 + 40 + palette.length;
  const pixels = Buffer.alloc(stride * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[y * stride + x] = index(x, y);
  const info = Buffer.concat([u32le(40), u32le(w), u32le(h), u16le(1), u16le(8), u32le(0), u32le(pixels.length),
    u32le(2835), u32le(2835), u32le(palette.length / 4), u32le(0)]);
  return Buffer.concat([Buffer.from('BM', 'latin1'), u32le(offset + pixels.length), u32le(0), u32le(offset), info,
    palette, pixels]);
}

// 24-bit bottom-up BMP.
function bmp(w, h) {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const pixels = Buffer.alloc(stride * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) pixels[y * stride + x * 3 + c] = (x * 11 + y * 3 + c * 80) % 256;
  const info = Buffer.concat([u32le(40), u32le(w), u32le(h), u16le(1), u16le(24), u32le(0), u32le(pixels.length),
    u32le(2835), u32le(2835), u32le(0), u32le(0)]);
  return Buffer.concat([Buffer.from('BM', 'latin1'), u32le(14 + 40 + pixels.length), u32le(0), u32le(54), info, pixels]);
}

// WebP: a RIFF container of chunks (FourCC, 32-bit little-endian size, data, a pad byte after an odd size).
const u24le = (v) => Buffer.from([v & 255, (v >> 8) & 255, (v >> 16) & 255]);
const webpChunk = (type, data) => Buffer.concat([Buffer.from(type, 'latin1'), u32le(data.length), data,
  Buffer.alloc(data.length & 1)]);
function webp(chunks) {
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), ...chunks]);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), u32le(body.length), body]);
}
// The extended header: flags (0x02 animation), canvas width x height.
const vp8x = (flags, w, h) => webpChunk('VP8X', Buffer.concat([Buffer.from([flags, 0, 0, 0]), u24le(w - 1), u24le(h - 1)]));
// The image chunk's data of a simple WebP (its first chunk, after the 12-byte RIFF header).
const imageData = (file) => file.subarray(20, 20 + file.readUInt32LE(16));

// The offset of a JPEG's frame header marker (FF C0 or FF C2).
function sofOffset(jpeg) {
  for (let i = 2; i + 9 < jpeg.length; i++) if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) return i;
  throw new Error('no frame header');
}

// A JPEG's marker segments in order: { marker, start, end }, start at the 0xFF of the marker, end
// after the segment; a scan (SOS) includes its entropy-coded data, up to the next marker that is not
// byte stuffing (FF 00) or a restart marker (FF D0..D7). The last entry is the end-of-image marker.
function jpegSegments(jpeg) {
  const out = [];
  let pos = 2;
  while (pos + 1 < jpeg.length) {
    const marker = jpeg[pos + 1];
    if (marker === 0xd9) {
      out.push({ marker, start: pos, end: pos + 2 });
      break;
    }
    let end = pos + 2 + jpeg.readUInt16BE(pos + 2);
    if (marker === 0xda)
      while (!(jpeg[end] === 0xff && jpeg[end + 1] !== 0 && (jpeg[end + 1] & 0xf8) !== 0xd0)) end++;
    out.push({ marker, start: pos, end });
    pos = end;
  }
  return out;
}

// The JPEG without the segments (or scans with their data) that pick returns true for; pick gets
// the segment and, for scans, their parameters { components, ss, se, ah, al } and index among scans.
function withoutSegments(jpeg, pick) {
  let scan = 0;
  const kept = [jpeg.subarray(0, 2)];
  for (const seg of jpegSegments(jpeg)) {
    let info = null;
    if (seg.marker === 0xda) {
      const ns = jpeg[seg.start + 4], p = seg.start + 5 + 2 * ns;
      info = { index: scan++, components: ns, ss: jpeg[p], se: jpeg[p + 1], ah: jpeg[p + 2] >> 4, al: jpeg[p + 2] & 15 };
    }
    if (!pick(seg, info)) kept.push(jpeg.subarray(seg.start, seg.end));
  }
  return Buffer.concat(kept);
}

// The offset of the first segment with this marker.
const segmentOffset = (jpeg, marker) => jpegSegments(jpeg).find((s) => s.marker === marker).start;

// JPEGs whose scans would make stb_image read memory the file never wrote (a Huffman or quantisation
// table that is not defined, coefficients no first scan initialised, a component no scan decodes,
// blocks skipped after a missing restart marker), or whose scan names a component the frame lacks.
function jpegTableCases() {
  const read = (name) => fs.readFileSync(path.join(jpegDir, name));
  const colour = read('colour.jpg'), progressive = read('progressive.jpg'), scans = read('scans.jpg');
  const sos = segmentOffset(colour, 0xda), sof = segmentOffset(colour, 0xc0);
  const dcTable = Buffer.from(colour);
  dcTable[sos + 8] = 0x20; // the second scan component's tables: DC 2 (the file defines 0 and 1), AC 0
  const quantTable = Buffer.from(colour);
  quantTable[sof + 18] = 2; // the third frame component's quantisation table: 2 (defined: 0 and 1)
  const unknownComponent = Buffer.from(colour);
  unknownComponent[sos + 9] = 9; // the third scan component's id: 9 (the frame has 1, 2, 3)
  let firstAcTable = true;
  return {
    // the first AC table's definition dropped: the first AC scan then uses a table never defined
    'jpeg-undefined-huffman-table.jpg': withoutSegments(progressive, (seg) => {
      const drop = seg.marker === 0xc4 && progressive[seg.start + 4] >> 4 === 1 && firstAcTable;
      if (drop) firstAcTable = false;
      return drop;
    }),
    'jpeg-undefined-dc-table.jpg': dcTable,
    'jpeg-undefined-quant-table.jpg': quantTable,
    'jpeg-unknown-scan-component.jpg': unknownComponent,
    // the first DC scan dropped: the AC scans after it would refine coefficients nothing zeroed
    'jpeg-ac-before-dc.jpg': withoutSegments(progressive, (seg, scan) => scan && scan.index === 0),
    // the first pass over coefficients 6..63 of component 1 dropped: its refinement comes first
    'jpeg-refinement-before-first-scan.jpg': withoutSegments(progressive, (seg, scan) => scan && scan.ss === 6),
    // the third component's scan dropped: its samples would never be decoded
    'jpeg-component-without-scan.jpg': withoutSegments(scans, (seg, scan) => scan && scan.index === 2),
    // a restart interval of 3 MCUs declared for the 4 MCUs of a file that has no restart markers:
    // stb_image would decode 3 of them and leave the fourth undecoded
    'jpeg-missing-restart-marker.jpg': Buffer.concat([colour.subarray(0, sos), Buffer.from([0xff, 0xdd, 0, 4, 0, 3]),
      colour.subarray(sos)]),
  };
}

// Hostile metadata around valid pixels (the metadata reader, src/provenance.h): each must leave the
// pixel verdict exactly that of the same pixels without it, and give "metadata unreadable" or a
// bounded reading (tests/c/test_provenance.c reads these files too).
function provenanceCases(rgbPng, colourJpeg) {
  const app = (marker, body) => Buffer.concat([Buffer.from([0xff, marker]), Buffer.from([(body.length + 2) >> 8, (body.length + 2) & 255]), body]);
  const afterSoi = (jpeg, segments) => Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
  const beforeIdat = (file, chunks) => {
    const idat = file.indexOf(Buffer.from('IDAT', 'latin1')) - 4;
    return Buffer.concat([file.subarray(0, idat), ...chunks, file.subarray(idat)]);
  };
  // A zTXt chunk inflating to 6 MiB of zeros: past the reader's 1 MiB cap for one text (checked-in
  // cases stay under 8 KiB; the C tests build bigger bombs and 10,000 text chunks in memory)
  const bomb = pngChunk('zTXt', Buffer.concat([Buffer.from('parameters\0\0', 'latin1'), zlib.deflateSync(Buffer.alloc(6 << 20), { level: 9 })]));
  const tiny = Array.from({ length: 400 }, () => pngChunk('tEXt', Buffer.from('k\0v', 'latin1')));
  // APP11 JPEG XT segments of one C2PA store: sequence 1 twice, and a store that claims more bytes than sent
  const box = Buffer.concat([u32be(100000), Buffer.from('jumb', 'latin1'), u32be(30), Buffer.from('jumdc2pa', 'latin1'), Buffer.alloc(40, 7)]);
  const xt = (seq, payload) => app(0xeb, Buffer.concat([Buffer.from('JP', 'latin1'), Buffer.from([2, 17]), u32be(seq), payload]));
  const overlap = [xt(1, box), xt(1, box), xt(2, Buffer.concat([box.subarray(0, 8), Buffer.alloc(60, 9)]))];
  const xmp = Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description Iptc4xmpExt:DigitalSourceType="', 'latin1'),
    Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from('"/></x:xmpmeta>', 'latin1')]);
  // EXIF whose IFD0 offset and tag offsets point past the data
  const exif = Buffer.concat([Buffer.from('Exif\0\0MM\0\x2a', 'latin1'), u32be(8), Buffer.from([0, 2]),
    Buffer.from([0x01, 0x0f, 0, 2]), u32be(1000), u32be(0x7ffffff0), Buffer.from([0x87, 0x69, 0, 4]), u32be(1), u32be(0xfffffff0), u32be(0)]);
  // C2PA stores whose insides are hostile (src/c2pa.c, cbor.c, jumbf.c): a claim of CBOR arrays nested
  // 1000 deep and an actions assertion announcing a byte string of 2^64-1 bytes; and the same store
  // with its manifest box claiming to run past the store
  const plainBox = (type, payload) => Buffer.concat([u32be(8 + payload.length), Buffer.from(type, 'latin1'), payload]);
  // JUMBF content types: the first four bytes name it ("c2pa" store, "c2ma" manifest, ...), the rest
  // is the ISO suffix 0011-0010-8000-00AA00389B71
  const superbox = (type, label, content) => plainBox('jumb', Buffer.concat([plainBox('jumd', Buffer.concat([
    Buffer.from(type, 'latin1'), Buffer.from('00110010800000aa00389b71', 'hex'), Buffer.from([3]),
    Buffer.from(`${label}\0`, 'latin1')])), content]));
  const deepClaim = plainBox('cbor', Buffer.concat([Buffer.alloc(1000, 0x81), Buffer.from([0])]));
  const hugeString = plainBox('cbor', Buffer.concat([Buffer.from([0xa1, 0x67]), Buffer.from('actions', 'latin1'),
    Buffer.from([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]));
  const store = superbox('c2pa', 'c2pa', superbox('c2ma', 'urn:uuid:hostile', Buffer.concat([
    superbox('c2as', 'c2pa.assertions', superbox('cbor', 'c2pa.actions', hugeString)), superbox('c2cl', 'c2pa.claim', deepClaim)])));
  const lyingStore = Buffer.from(store);
  lyingStore.writeUInt32BE(0x7fffffff, 8 + 8 + 17 + 5); // the manifest's LBox, after the store's jumd ("c2pa\0")
  return {
    'prov-c2pa-deep-cbor.jpg': afterSoi(colourJpeg, [xt(1, store)]),
    'prov-c2pa-lying-box.jpg': afterSoi(colourJpeg, [xt(1, lyingStore)]),
    'prov-ztxt-bomb.png': beforeIdat(rgbPng, [bomb]),
    'prov-400-text-chunks.png': beforeIdat(rgbPng, tiny),
    'prov-app11-overlapping.jpg': afterSoi(colourJpeg, overlap),
    'prov-xmp-invalid-utf8.jpg': afterSoi(colourJpeg, [app(0xe1, xmp)]),
    'prov-exif-offsets-past-end.jpg': afterSoi(colourJpeg, [app(0xe1, exif)]),
  };
}

export function hostileCases() {
  const colourJpeg = fs.readFileSync(path.join(jpegDir, 'colour.jpg'));
  const hugeJpeg = Buffer.from(colourJpeg);
  const sof = sofOffset(hugeJpeg);
  hugeJpeg.writeUInt16BE(60000, sof + 5); // height
  hugeJpeg.writeUInt16BE(60000, sof + 7); // width

  const palette = [0, 0, 0, 230, 40, 30, 20, 90, 220, 250, 250, 250];
  const first = Array.from({ length: 16 * 16 }, (_, i) => ((i % 16) < 8 ? 1 : 2));
  const second = Array.from({ length: 16 * 16 }, (_, i) => (Math.floor(i / 16) < 8 ? 3 : 0));
  const animated = gif(16, 16, palette, [first, second]);
  const firstFrame = gif(16, 16, palette, [first]);
  const secondFrame = gif(16, 16, palette, [second]);

  const rgb16 = Array.from({ length: 20 }, (_, y) => Buffer.from(Array.from({ length: 20 * 6 }, (_, i) => (i * 13 + y * 29) % 256)));
  const paletteRows = Array.from({ length: 18 }, (_, y) => Buffer.from(Array.from({ length: 18 }, (_, x) => (x + y) % 4)));
  const plte = pngChunk('PLTE', Buffer.from(palette));
  const trns = pngChunk('tRNS', Buffer.from([255, 128, 255, 0]));
  const greyAlphaRows = Array.from({ length: 12 }, (_, y) => Buffer.from(Array.from({ length: 12 * 2 }, (_, i) => (i % 2 ? (y * 20) % 256 : (i * 10) % 256))));
  const rgbPng = png(16, 16, 8, 2, rgbRows(16, 16));
  // indices 0..3 and 200..203 into a palette of 4 entries: the decoder pads the palette with black,
  // so this must decode exactly as the same indices into a palette of 256 entries, the rest black
  const pastRows = Array.from({ length: 12 }, (_, y) =>
    Buffer.from(Array.from({ length: 12 }, (_, x) => (x + y) % 4 + (x >= 6 ? 200 : 0))));
  const fullPalette = Buffer.concat([Buffer.from(palette), Buffer.alloc(768 - palette.length)]);
  const bmpPalette = Buffer.from([30, 40, 230, 0, 220, 90, 20, 0, 250, 250, 250, 0, 0, 0, 0, 0]);
  const bmpPast = (x, y) => (x + y) % 4 + (x >= 5 ? 100 : 0);
  const bmpWithoutPalette = bmp8(10, 10, Buffer.alloc(0), bmpPast);
  const bmpFile = bmp(10, 10);
  const bmpHuge = Buffer.from(bmpFile);
  bmpHuge.writeInt32LE(100000, 18);
  bmpHuge.writeInt32LE(100000, 22);
  const gifHuge = gif(1, 1, palette, [[1]]);
  gifHuge.writeUInt16LE(65535, 6);
  gifHuge.writeUInt16LE(65535, 8);

  // rgba.png: the pixels of make_webp.c's rgba-lossless.webp
  const rgbaRows = Array.from({ length: 12 }, (_, y) => Buffer.from(Array.from({ length: 12 * 4 },
    (_, i) => ((i % 4) === 3 ? (Math.floor(i / 4) * 23 + y * 41) % 256 : (Math.floor(i / 4) * 13 + y * 7 + (i % 4) * 50) % 256))));

  const lossyWebp = fs.readFileSync(path.join(jpegDir, 'lossy.webp'));
  const losslessWebp = fs.readFileSync(path.join(jpegDir, 'rgb-lossless.webp'));
  const vp8l = imageData(losslessWebp);
  const hugeLossless = Buffer.from(losslessWebp); // VP8L header: 0x2F, then 14-bit width-1 and height-1
  hugeLossless.writeUInt32LE((hugeLossless.readUInt32LE(21) & ~0x0fffffff) | 16383 | (16383 << 14), 21);
  const hugeLossy = Buffer.from(lossyWebp); // VP8 key frame: 3-byte tag, 9D 01 2A, 14-bit width, height
  hugeLossy.writeUInt16LE(16383, 26);
  hugeLossy.writeUInt16LE(16383, 28);
  const note = webpChunk('JUNK', Buffer.from('a chunk no decoder knows, to be skipped', 'latin1'));
  const damagedLossless = Buffer.from(losslessWebp);
  damagedLossless.fill(0xff, 25);

  let seed = 12345;
  const random = Buffer.from(Array.from({ length: 512 }, () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed >>> 16 & 255; }));
  random[0] = 0x42 ^ 0x01; // not 'B' (BMP), nor any other signature

  return {
    'empty.bin': Buffer.alloc(0),
    'text.txt': Buffer.from('REAL,FAKE\nthis is a CSV file, not a picture\n'),
    'random.bin': random,
    'truncated.jpg': colourJpeg.subarray(0, Math.floor(colourJpeg.length / 2)),
    'truncated-header.jpg': colourJpeg.subarray(0, 40),
    'truncated.png': rgbPng.subarray(0, Math.floor(rgbPng.length * 0.7)),
    'truncated.gif': firstFrame.subarray(0, firstFrame.length - 30),
    'truncated.bmp': bmpFile.subarray(0, bmpFile.length - 40),
    'huge-100000x100000.png': pngHeaderOnly(100000, 100000),
    'huge-60000x60000.jpg': hugeJpeg,
    'huge-65535x65535.gif': gifHuge,
    'huge-100000x100000.bmp': bmpHuge,
    'pixel-1x1.png': png(1, 1, 8, 2, [Buffer.from([200, 30, 40])]),
    'tall-1x300.png': png(1, 300, 8, 2, rgbRows(1, 300)),
    'wide-300x1.png': png(300, 1, 8, 2, rgbRows(300, 1)),
    'wide-16384x1.png': png(16384, 1, 8, 2, rgbRows(16384, 1)),
    'tall-1x16385.png': png(1, 16385, 8, 2, rgbRows(1, 16385)),
    'animated.gif': animated,
    'first-frame.gif': firstFrame,
    'second-frame.gif': secondFrame,
    'rgb16.png': png(20, 20, 16, 2, rgb16),
    'palette.png': png(18, 18, 8, 3, paletteRows, [plte, trns]),
    'grey-alpha.png': png(12, 12, 8, 4, greyAlphaRows),
    'rgb.png': rgbPng,
    'empty-first-idat.png': png(16, 16, 8, 2, rgbRows(16, 16), [pngChunk('IDAT')]),
    'rgb.bmp': bmpFile,
    'palette-index-past-palette.png': png(12, 12, 8, 3, pastRows, [plte]),
    'palette-padded-with-black.png': png(12, 12, 8, 3, pastRows, [pngChunk('PLTE', fullPalette)]),
    'bmp-index-past-palette.bmp': bmp8(10, 10, bmpPalette, bmpPast),
    'bmp-palette-padded-with-black.bmp': bmp8(10, 10, Buffer.concat([bmpPalette, Buffer.alloc(1024 - 16)]), bmpPast),
    'bmp-without-palette.bmp': bmpWithoutPalette,
    ...jpegTableCases(),
    'rgba.png': png(12, 12, 8, 6, rgbaRows),
    'truncated.webp': lossyWebp.subarray(0, Math.floor(lossyWebp.length / 2)),
    'huge-16384x16384.webp': hugeLossless,
    'huge-16383x16383-lossy.webp': hugeLossy,
    'huge-100000x100000.webp': webp([vp8x(0, 100000, 100000), webpChunk('VP8L', vp8l)]),
    'extended.webp': webp([vp8x(0, 16, 16), note, webpChunk('VP8L', vp8l)]),
    'garbage-chunk.webp': webp([vp8x(0, 16, 16), webpChunk('\x00\xff\x13\x07', Buffer.alloc(16, 0xab)), webpChunk('VP8L', vp8l)]),
    'chunk-past-end.webp': webp([vp8x(0, 16, 16), Buffer.concat([Buffer.from('VP8L', 'latin1'), u32le(vp8l.length + 1000), vp8l])]),
    'no-image.webp': webp([vp8x(0, 16, 16), note]),
    'bad-first-chunk.webp': webp([note, webpChunk('VP8L', vp8l)]),
    'animated.webp': webp([vp8x(0x02, 16, 16), webpChunk('ANIM', Buffer.alloc(6)), webpChunk('VP8L', vp8l)]),
    'damaged-lossless.webp': damagedLossless,
    ...provenanceCases(rgbPng, colourJpeg),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = path.resolve(process.argv[2] || jpegDir);
  fs.mkdirSync(out, { recursive: true });
  for (const [name, bytes] of Object.entries(hostileCases())) fs.writeFileSync(path.join(out, name), bytes);
}
