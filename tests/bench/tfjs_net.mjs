// tfjs_net.mjs - the same network as a cifake weight file, built from its tensors with TensorFlow.js
// ops (for the benchmark against @tensorflow/tfjs-backend-wasm).
//
// TensorFlow.js convolutions want NHWC, so the input is NHWC (the caller transposes our CHW images
// once, outside the timed region). Convolution and dense layers use the fused ops with their bias
// and a following ReLU, as a TensorFlow.js model would; a flatten goes back to C,H,W order first so
// the dense weights are used as stored. A softmax head becomes the FAKE score z1 - z0, and the output
// is p_fake = sigmoid(score / temperature), exactly as the C engine computes it.
import { readWeightFile } from './weightfile.mjs';

export function buildTfjsNet(tf, file) {
  const { meta, layers } = readWeightFile(file);
  const temperature = Number(meta.temperature);
  const ops = [];
  for (let i = 0; i < layers.length; i++) {
    const L = layers[i];
    const fuseRelu = layers[i + 1] && layers[i + 1].kind === 'relu';
    if (L.kind === 'conv') {
      const [cin] = L.in, k = L.k;
      const filter = new Float32Array(L.weight.length); // [out][in][ky][kx] -> [ky][kx][in][out]
      for (let o = 0; o < L.filters; o++)
        for (let c = 0; c < cin; c++)
          for (let y = 0; y < k; y++)
            for (let x = 0; x < k; x++)
              filter[((y * k + x) * cin + c) * L.filters + o] = L.weight[((o * cin + c) * k + y) * k + x];
      const f = tf.tensor4d(filter, [k, k, cin, L.filters]), bias = tf.tensor1d(L.bias);
      const pad = L.pad === 0 ? 'valid' : 'same';
      ops.push((x) => tf.fused.conv2d({ x: spatial(tf, x), filter: f, strides: 1, pad, bias,
        activation: fuseRelu ? 'relu' : 'linear' }));
      if (fuseRelu) i++;
    } else if (L.kind === 'dense') {
      const inputs = L.weight.length / L.units, last = i === layers.length - 1;
      let w = L.weight, b = L.bias, units = L.units;
      if (last && units === 2) { // the softmax head as one FAKE-minus-REAL unit
        w = w.subarray(inputs).map((v, j) => v - L.weight[j]);
        b = Float32Array.of(L.bias[1] - L.bias[0]);
        units = 1;
      }
      // weights as [inputs][units]: tfjs-backend-wasm 4.22's fused matMul adds the bias wrongly with
      // transposeB (seen here: off by up to 26 on a 300x64 layer), and is right without it
      const wt = new Float32Array(w.length);
      for (let u = 0; u < units; u++) for (let j = 0; j < inputs; j++) wt[j * units + u] = w[u * inputs + j];
      const weights = tf.tensor2d(wt, [inputs, units]), bias = tf.tensor1d(b);
      ops.push((x) => tf.fused.matMul({ a: flatCHW(tf, x), b: weights, bias, activation: fuseRelu ? 'relu' : 'linear' }));
      if (fuseRelu) i++;
    } else if (L.kind === 'relu') ops.push((x) => tf.relu(x));
    else if (L.kind === 'mp') ops.push((x) => tf.maxPool(spatial(tf, x), 2, 2, 'valid'));
    else if (L.kind === 'gap') ops.push((x) => (x.rank === 4 ? tf.mean(x, [1, 2]) : x));
    else if (L.kind === 'flat') ops.push((x) => flatCHW(tf, x));
    else if (L.kind === 'bn') {
      const mean = tf.tensor1d(L.running_mean), variance = tf.tensor1d(L.running_var);
      const scale = tf.tensor1d(L.weight), offset = tf.tensor1d(L.bias);
      ops.push((x) => tf.batchNorm(x, mean, variance, offset, scale, 1e-5));
    } else if (L.kind !== 'dropout') throw new Error(`tfjs: layer ${L.tok} is not supported here`);
  }
  const t = tf.scalar(temperature);
  // x: NHWC float32 tensor; returns p_fake [N, 1]
  return (x) => tf.tidy(() => tf.sigmoid(tf.div(ops.reduce((h, op) => op(h), x), t)));
}

// [N, H, W, C] -> [N, C*H*W] in our C,H,W order; a 2-D tensor is already flat.
function flatCHW(tf, x) {
  if (x.rank === 2) return x;
  const [n, h, w, c] = x.shape;
  return h === 1 && w === 1 ? tf.reshape(x, [n, c]) : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, c * h * w]);
}

// [N, F] (after a flatten or dense layer: F channels of 1x1) -> [N, 1, 1, F]; 4-D stays as it is.
function spatial(tf, x) {
  return x.rank === 4 ? x : tf.reshape(x, [x.shape[0], 1, 1, x.shape[1]]);
}

// Our CHW images (n x 3 x 32 x 32 floats) as one NHWC array.
export function toNHWC(chw, n, c = 3, h = 32, w = 32) {
  const out = new Float32Array(chw.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < h * w; p++) out[(i * h * w + p) * c + ch] = chw[(i * c + ch) * h * w + p];
  return out;
}
