// Usage: node scripts/pretrained_tfjs_check.cjs build/pretrained URL
// nsfwjs's own TensorFlow.js (its browser bundle, CPU backend; no tfjs-node) classifies the 224x224 RGBA
// inputs that `scripts/pretrained_probe.py tfjs-inputs` wrote to build/pretrained/tfjs/in*.rgba, so its
// probabilities can be compared with the PyTorch re-implementation's (printed by that step). URL serves
// build/pretrained/tfjs/ over HTTP (nsfwjs.load fetches model.json and its shard).
global.window = global; // the bundle's platform check: a browser with a document (WebGL is tried, then CPU)
global.document = {};
global.self = global;
const fs = require("fs");
const path = require("path");
const dir = process.argv[2];
require(path.resolve(dir, "v2/package/dist/browser/nsfwjs.min.js"));
const classes = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];
(async () => {
  const model = await global.nsfwjs.load(process.argv[3] + "/model.json", { size: 224 });
  const inputs = fs.readdirSync(path.join(dir, "tfjs")).filter((f) => f.endsWith(".rgba")).sort();
  for (const name of inputs) {
    const data = new Uint8Array(fs.readFileSync(path.join(dir, "tfjs", name)));
    const out = await model.classify({ data, width: 224, height: 224 }, classes.length);
    const p = Object.fromEntries(out.map((c) => [c.className, c.probability.toFixed(4)]));
    console.log(name, classes.map((c) => p[c]).join(" "));
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
