// median.mjs - folds the JSON lines of repeated benchmark runs (stdin) into one JSON object (stdout):
// the first run's fields, with every speed (*_per_s, *_gflops) replaced by its median over the runs
// and the individual runs kept beside it as FIELD_runs. On a shared machine single runs scatter by
// tens of percent; the median of alternating rounds is what the ratios are taken from.
//
//   node tests/bench/median.mjs < runs.jsonl
import fs from 'node:fs';

const runs = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
if (runs.length === 0) throw new Error('median.mjs: no runs on stdin');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const out = { ...runs[0], rounds: runs.length };
for (const key of Object.keys(runs[0])) {
  if (!/_per_s$|_gflops$/.test(key)) continue;
  const values = runs.map((r) => r[key]);
  out[key] = Number(median(values).toFixed(2));
  out[`${key}_runs`] = values;
}
process.stdout.write(`${JSON.stringify(out)}\n`);
