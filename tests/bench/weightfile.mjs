// weightfile.mjs - reads a cifake weight file (format in src/weights.h) into its metadata and the
// model's layers with their tensors, and counts multiply-adds, for the benchmark's other engines.
import fs from 'node:fs';

// Parses the layer tokens of a spec (grammar in src/model.h) and works out every layer's shapes.
export function layersOf(spec, input = [3, 32, 32]) {
  let [c, h, w] = input;
  return spec.split(',').filter(Boolean).map((tok, index) => {
    const layer = { index, tok, in: [c, h, w] };
    let m;
    if ((m = /^c(\d+)(?:k(\d+))?(v?)$/.exec(tok))) {
      const k = Number(m[2] || 3), pad = m[3] ? 0 : (k - 1) / 2;
      Object.assign(layer, { kind: 'conv', filters: Number(m[1]), k, pad });
      [c, h, w] = [layer.filters, h + 2 * pad - k + 1, w + 2 * pad - k + 1];
    } else if ((m = /^d(\d+)$/.exec(tok))) {
      Object.assign(layer, { kind: 'dense', units: Number(m[1]) });
      [c, h, w] = [layer.units, 1, 1];
    } else if (tok === 'mp') {
      layer.kind = 'mp';
      [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
    } else if (tok === 'gap') {
      layer.kind = 'gap';
      [h, w] = [1, 1];
    } else if (tok === 'flat') {
      layer.kind = 'flat';
      [c, h, w] = [c * h * w, 1, 1];
    } else if (tok === 'bn' || tok === 'relu') layer.kind = tok;
    else if (tok.startsWith('drop')) layer.kind = 'dropout';
    else throw new Error(`unknown layer token ${tok}`);
    layer.out = [c, h, w];
    return layer;
  });
}

// Multiply-adds of one image's forward pass (convolutions and dense layers).
export function multiplyAdds(layers) {
  let macs = 0;
  for (const L of layers) {
    const inputs = L.in[0] * L.in[1] * L.in[2];
    if (L.kind === 'conv') macs += L.filters * L.in[0] * L.k * L.k * L.out[1] * L.out[2];
    if (L.kind === 'dense') macs += L.units * inputs;
  }
  return macs;
}

// { meta, layers } with layers[i].weight / .bias / .running_mean / .running_var as Float32Arrays.
export function readWeightFile(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 8) !== 'CIFAKEWT') throw new Error(`${file}: not a cifake weight file`);
  let pos = 12;
  const u32 = () => { const v = b.readUInt32LE(pos); pos += 4; return v; };
  const str = () => { const n = u32(); const s = b.toString('utf8', pos, pos + n); pos += n; return s; };
  const meta = {};
  for (let i = 0, n = u32(); i < n; i++) { const k = str(); meta[k] = str(); }
  const input = meta.input.split('x').map(Number);
  const layers = layersOf(meta.spec, input);
  for (let i = 0, n = u32(); i < n; i++) {
    const name = str();
    const dims = Array.from({ length: u32() }, u32);
    const count = dims.reduce((a, d) => a * d, 1);
    const data = new Float32Array(b.buffer.slice(b.byteOffset + pos, b.byteOffset + pos + 4 * count));
    pos += 4 * count;
    const m = /^L(\d+)\.(\w+)$/.exec(name);
    if (m && layers[Number(m[1])]) layers[Number(m[1])][m[2]] = data;
  }
  return { meta, layers };
}
