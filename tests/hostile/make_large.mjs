// make_large.mjs - writes the two large inputs behind the README's memory figures (too big to check
// in; the test suite uses a smaller bomb, see tests/node/hostile.test.mjs):
//   big16.png  16384x2441 16-bit RGBA, 40 megapixels: the largest image the limits allow (10 MB)
//   bomb.png   64x64 RGB whose data inflate to 1 GiB of zeros (1 MB)
//
//   node tests/hostile/make_large.mjs DIR && /usr/bin/time -v build/cifake-detect DIR/big16.png DIR/bomb.png
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { crc32 } from '../node/helpers.mjs';

const u32be = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const chunk = (type, data) => {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(data.length), body, u32be(crc32(body))]);
};

// A PNG from an IHDR and its raw (filter byte + pixels) rows, deflated as a stream.
async function png(width, height, bitDepth, colourType, rowCount, row) {
  const deflate = zlib.createDeflate({ level: 9 });
  const parts = [];
  deflate.on('data', (c) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  for (let y = 0; y < rowCount; y++) deflate.write(row);
  deflate.end();
  await done;
  const ihdr = Buffer.concat([u32be(width), u32be(height), Buffer.from([bitDepth, colourType, 0, 0, 0])]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: node tests/hostile/make_large.mjs DIR');
fs.mkdirSync(dir, { recursive: true });
const row = Buffer.alloc(1 + 16384 * 8);
for (let i = 1; i < row.length; i++) row[i] = (i * 7) & 255;
fs.writeFileSync(path.join(dir, 'big16.png'), await png(16384, 2441, 16, 6, 2441, row));
fs.writeFileSync(path.join(dir, 'bomb.png'), await png(64, 64, 8, 2, 1024, Buffer.alloc(1 << 20)));
