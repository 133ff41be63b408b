// meta-keys.js - the weight file's metadata keys the page reads, under the names of the C side's one
// key table (src/meta_keys.h; `cifake-export --keys` prints it with what each key means). A test
// (tests/node/page-results.test.mjs) checks that every name here is in that table.

export const META = Object.freeze({
  input: 'input', // "3x32x32": channels x height x width of the model's input
  mean: 'mean', // per-channel normalisation, "r,g,b"
  std: 'std',
  threshold: 'threshold', // P(fake) from which a verdict is FAKE
  temperature: 'temperature',
  scopeMaxSide: 'scope_max_side', // the largest image side the model was tested on (0 or absent: any)
  unsureBand: 'unsure_band', // "low,high": P(fake) in it gives no verdict
  verdictAccuracy: 'verdict_accuracy',
  verdictCoverage: 'verdict_coverage',
  spec: 'spec',
  date: 'date', // when the model was trained (ISO 8601)
  trainerVersion: 'trainer_version',
});
