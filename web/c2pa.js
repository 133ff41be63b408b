// c2pa.js - checks Content Credentials (C2PA) with the C2PA project's own WebAssembly library, for
// detector.js: the claim signature, the hash binding of the pixels and the signer against the
// bundled C2PA trust list. No cryptography here: this file only maps the library's validation
// codes to cifake's statuses, which detector.js hands to the core's verdict rules (src/provenance.h).
//
//   import { verifyC2pa } from './c2pa.js';
//   const v = await verifyC2pa(bytes);   // { verified, signer, problem }
//     // verified: 'valid' | 'untrusted' | 'expired' | 'invalid' | 'not-checked' (problem says why,
//     //   in the native verifier's words up to the first ':', ';' or '(')
//
// The library is @contentauth/c2pa-wasm, the engine of @contentauth/c2pa-web (which runs the same
// module in a Web Worker of its own, which a page's worker and Node cannot start). It is loaded only
// when a file carries a manifest: in the browser from vendor/c2pa/ next to this file (copied there
// by `make wasm`), in Node from the npm package (an optional peer dependency of cifake's: without
// it, Content Credentials are 'not-checked', saying so). Nothing is fetched from the network: the trust list
// is the bundled trust/C2PA-TRUST-LIST.pem, OCSP and remote manifests are not fetched, so a
// certificate's revocation cannot be known offline.

const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

const TRUST_LIST = new URL('./trust/C2PA-TRUST-LIST.pem', import.meta.url);
const VENDOR_MODULE = new URL('./vendor/c2pa/c2pa.js', import.meta.url);
const VENDOR_WASM = new URL('./vendor/c2pa/c2pa_bg.wasm', import.meta.url);

// The problem sentences begin as the native verifier's do (tools/lib/c2pa_verify.c), up to the
// first ':', ';' or '(' (what follows is detail only one of the two can give).
export const PROBLEMS = {
  signature: 'signature invalid: the claim\'s signature does not match its certificate',
  pixels: 'pixels changed after signing (the file\'s hash does not match the signed one)',
  assertion: 'signature invalid: a signed assertion does not match its hash',
  untrusted: 'signature and hash valid; the signer is not on the C2PA trust list',
  alsoExpired: '; its certificate has expired',
  expired: 'certificate expired: the signer\'s certificate has expired',
  credential: 'certificate invalid: the signing certificate is revoked or malformed',
};

// Validation codes of the C2PA specification (section 15, "Validation"), most serious first.
const SIGNATURE_FAILURES = ['claimSignature.mismatch', 'claimSignature.missing', 'claim.missing', 'claim.malformed',
  'manifest.missing', 'general.error'];
const CREDENTIAL_FAILURES = ['signingCredential.invalid', 'signingCredential.revoked'];
const PIXEL_FAILURES = ['assertion.dataHash.mismatch', 'assertion.boxesHash.mismatch', 'assertion.bmffHash.mismatch',
  'assertion.collectionHash.mismatch', 'assertion.dataHash.malformed', 'assertion.boxesHash.unknownBox'];
const ASSERTION_FAILURES = ['assertion.hashedURI.mismatch', 'assertion.missing', 'assertion.notRedacted'];

let library = null; // Promise of { wasm module namespace, trust list text }
// A trap inside the library (a Rust panic) leaves its instance unusable: the next file then gets a
// fresh one, from the module imported anew under another query string.
let generation = 0;
const fresh = (href) => (generation ? `${href}?instance=${generation}` : href);

async function readUrl(url, text) {
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return text ? readFile(url, 'utf8') : new Uint8Array(await readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${url.pathname.split('/').pop()}: HTTP ${res.status}`);
  return text ? res.text() : new Uint8Array(await res.arrayBuffer());
}

// Node's Blob cannot be read synchronously, and the library reads blobs with FileReaderSync (which
// only workers have): in Node, blobs handed to it carry their bytes and a FileReaderSync reads those.
class BytesBlob extends Blob {
  constructor(bytes, type) {
    super([bytes], { type });
    this.bytes = bytes;
  }

  slice(start = 0, end = this.bytes.length, type = this.type) {
    return new BytesBlob(this.bytes.subarray(start, end), type);
  }
}

async function loadNodeModule() {
  if (typeof globalThis.FileReaderSync === 'undefined') {
    globalThis.FileReaderSync = class {
      readAsArrayBuffer(blob) {
        if (!(blob instanceof BytesBlob)) throw new Error('FileReaderSync (cifake shim): only blobs of c2pa.js');
        return blob.bytes.slice().buffer;
      }
    };
  }
  const [{ createRequire }, { pathToFileURL }] = await Promise.all([import('node:module'), import('node:url')]);
  const require = createRequire(import.meta.url);
  const mod = await import(fresh(pathToFileURL(require.resolve('@contentauth/c2pa-wasm')).href));
  const wasmFile = require.resolve('@contentauth/c2pa-wasm/c2pa.wasm');
  const { readFile } = await import('node:fs/promises');
  mod.initSync({ module: await WebAssembly.compile(await readFile(wasmFile)) });
  return mod;
}

async function loadBrowserModule() {
  const mod = await import(fresh(VENDOR_MODULE.href));
  mod.initSync({ module: await WebAssembly.compile(await readUrl(VENDOR_WASM, false)) });
  return mod;
}

function loadLibrary() {
  library ||= (async () => {
    const [mod, trust] = await Promise.all([isNode ? loadNodeModule() : loadBrowserModule(), readUrl(TRUST_LIST, true)]);
    if (!trust.includes('-----BEGIN CERTIFICATE-----')) throw new Error('the bundled C2PA trust list holds no certificate');
    return { mod, trust };
  })();
  // a failed load is tried again with the next file (e.g. after the page comes back online)
  library.catch(() => { library = null; });
  return library;
}

function settingsJson(trust) {
  return JSON.stringify({
    verify: { verify_trust: true, verify_after_reading: true, ocsp_fetch: false, remote_manifest_fetch: false },
    trust: { trust_anchors: trust },
  });
}

/** @type {Array<[number[], string]>} each format's first bytes and its MIME type */
const MIME = [
  [[0xff, 0xd8, 0xff], 'image/jpeg'], [[0x89, 0x50, 0x4e, 0x47], 'image/png'], [[0x52, 0x49, 0x46, 0x46], 'image/webp'],
  [[0x47, 0x49, 0x46], 'image/gif'], [[0x42, 0x4d], 'image/bmp'],
];

function mimeOf(bytes) {
  for (const [magic, type] of MIME) if (magic.every((b, i) => bytes[i] === b)) return type;
  return 'application/octet-stream';
}

const codes = (list) => new Set((list || []).map((s) => s.code));

/** Maps the library's manifest store (its active manifest's validation results and signature
 *  information) to { verified, signer, problem }. Exported for the tests. */
export function statusOf(store) {
  const manifest = store && store.manifests && store.manifests[store.active_manifest];
  if (!manifest) return { verified: 'not-checked', signer: '', problem: 'not checked: the C2PA library found no active manifest' };
  const info = manifest.signature_info || {};
  const signer = info.issuer || info.common_name || '';
  const results = (store.validation_results && store.validation_results.activeManifest) || null;
  const failed = codes(results ? results.failure : store.validation_status);
  const passed = codes(results && results.success);
  const any = (list) => list.some((c) => failed.has(c));
  if (any(SIGNATURE_FAILURES)) return { verified: 'invalid', signer, problem: PROBLEMS.signature };
  if (any(PIXEL_FAILURES)) return { verified: 'invalid', signer, problem: PROBLEMS.pixels };
  if (any(ASSERTION_FAILURES)) return { verified: 'invalid', signer, problem: PROBLEMS.assertion };
  if (results && !passed.has('claimSignature.validated'))
    return { verified: 'not-checked', signer, problem: 'not checked: the C2PA library did not validate the claim signature' };
  // the chain: as the native verifier, a signer off the trust list first (its certificate's dates
  // matter only for a signer one trusts), then an expired certificate
  const expired = failed.has('signingCredential.expired');
  if (failed.has('signingCredential.untrusted'))
    return { verified: 'untrusted', signer, problem: PROBLEMS.untrusted + (expired ? PROBLEMS.alsoExpired : '') };
  if (expired) return { verified: 'expired', signer, problem: PROBLEMS.expired };
  if (any(CREDENTIAL_FAILURES)) return { verified: 'invalid', signer, problem: PROBLEMS.credential };
  return { verified: 'valid', signer, problem: '' };
}

/** Verifies the Content Credentials of an encoded image (bytes: Uint8Array). Never throws: a failure
 *  to load or run the library is status 'not-checked' with the reason in problem. */
export async function verifyC2pa(bytes) {
  let lib;
  try {
    lib = await loadLibrary();
  } catch (e) {
    return { verified: 'not-checked', signer: '', problem: `not checked: the C2PA library could not be loaded (${e.message || e})` };
  }
  const type = mimeOf(bytes);
  const blob = isNode ? new BytesBlob(bytes, type) : new Blob([bytes], { type });
  let reader = null;
  try {
    reader = await lib.mod.WasmReader.fromBlob(type, blob, settingsJson(lib.trust));
    return statusOf(reader.manifestStore());
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      library = null;
      generation++;
      return { verified: 'not-checked', signer: '', problem: `not checked: the C2PA library failed on this file (${e.message})` };
    }
    // a store the library cannot read at all, or a format it does not take
    const why = String(e && e.message ? e.message : e).slice(0, 160);
    return { verified: 'not-checked', signer: '', problem: `not checked: the C2PA library could not read the manifest (${why})` };
  } finally {
    try {
      if (reader) reader.free();
    } catch {
      // an instance that trapped cannot free: it is dropped whole
    }
  }
}
