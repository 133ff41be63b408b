# emscripten/wasm.mk - the WebAssembly module, the web page and their tests (included by the Makefile).
#
#   make wasm           web/cifake.wasm: the core library + emscripten/exports.c, SIMD128, standalone (no JS glue),
#                       and the C2PA library in web/vendor/c2pa/ (web-vendor)
#   make web-vendor     copies @contentauth/c2pa-wasm (the C2PA project's verifier, which web/c2pa.js loads
#                       when a file carries Content Credentials) into web/vendor/c2pa/: from node_modules,
#                       else fetched alone (scripts/vendor-c2pa.sh)
#   make serve          copies the weights into web/ and serves web/ on http://127.0.0.1:8000
#                       (PORT=8080, HOST=0.0.0.0, WEB_WEIGHTS=other.bin to change); installs only
#                       what serving needs (emscripten, python3, nodejs and npm for the C2PA library)
#   make test-wasm-c    the C unit tests compiled with emcc -msimd128 and run under Node: the WASM SIMD
#                       kernels against their reference twins
#   make test-node      node --test tests/node/   (the CLI tests, the WebAssembly detector tests, the
#                       ONNX export checked with onnxruntime-web and the page's type check)
#   make typecheck      the page's JavaScript checked by TypeScript (tsconfig.json, tsconfig.worker.json)
#   make test-e2e       the page in headless Chromium (playwright-core driving /usr/bin/chromium)
#   make test-web       the three tests above, in that order
#
# The Node and browser tests take the weights from $CIFAKE_WEIGHTS (default weights/cifake.bin).

EMCC        ?= emcc
NODE        ?= node
# Debian's emcc finds acorn (for its JS optimiser) only through NODE_PATH.
EM_ENV      := NODE_PATH=/usr/share/nodejs
PORT        ?= 8000
HOST        ?= 127.0.0.1
WEB_WEIGHTS ?= weights/cifake.bin

EMAR        ?= emar
# bulk-memory turns memcpy/memset into single instructions; every browser with SIMD128 has these too.
# The module is single-threaded: stb_image's thread-local flags would need the atomics feature.
WASM_ARCH   := -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext -DSTBI_NO_THREAD_LOCALS
WASM_CFLAGS := -std=c11 -Wall -Wextra -Werror -O3 $(WASM_ARCH)
# A browser compiles each WebAssembly function when it is first called, and again, optimised, once it
# is hot; the first verdict calls everything once. A function made of everything inlined into it costs
# both compilers far more than the parts that run (the JPEG path compiled stb's PNG, GIF and BMP
# decoders too; opening a model compiled the whole weight reader twice): about 0.2 s of the page's
# time to its first verdict (docs/performance.md). So stb_image's decoders stay apart, and binaryen
# inlines a function with one caller only when it is small. Decoding and inference speed are unchanged.
WASM_SMALL_FUNCTIONS := -sBINARYEN_EXTRA_PASSES=--one-caller-inline-max-function-size=400
# A standalone module without JS glue: web/detector.js instantiates it from bytes, the same way in the
# browser and in Node. Memory grows on demand (a 40-megapixel image needs ~120 MB while decoded).
WASM_LDFLAGS := --no-entry -sSTANDALONE_WASM=1 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB \
                -sMAXIMUM_MEMORY=2GB -sFILESYSTEM=0 $(WASM_SMALL_FUNCTIONS)

# The Makefile's source lists compiled once with emcc into $(BUILD)/wasm/ (libcifake.a, libcifake-tools.a):
# the module links the core, the C test runner the core and the tools.
$(eval $(call flavour,wasm,$(EM_ENV) $(EMCC),$(EM_ENV) $(EMAR),$(WASM_CFLAGS)))
$(BUILD)/wasm/src/stb_impl.o: OBJ_FLAGS := -fno-inline-functions
$(BUILD)/wasm/src/stb_impl.o: emscripten/wasm.mk

WASM_TEST_DIR := $(BUILD)/wasm
WASM_TEST_JS  := $(WASM_TEST_DIR)/tests.cjs

# The web tests in the order `make test-web` runs them (for the main Makefile's `test` target).
WEB_TESTS := test-wasm-c test-node test-e2e

.PHONY: wasm serve serve-deps $(WEB_TESTS) test-web web-deps web-vendor clean-web typecheck

# The page's copy of the C2PA library (git-ignored, like the module): served from web/ so that the
# page needs no network and no bundler. From node_modules after `npm install`, else fetched alone
# (scripts/vendor-c2pa.sh); without it the page still works and says Content Credentials were not checked.
WEB_VENDOR := web/vendor/c2pa/c2pa.js web/vendor/c2pa/c2pa_bg.wasm

wasm: web/cifake.wasm web-vendor

web-vendor: $(WEB_VENDOR)

$(WEB_VENDOR) &: package.json scripts/vendor-c2pa.sh
	@./scripts/vendor-c2pa.sh

web/cifake.wasm: $(BUILD)/wasm/emscripten/exports.o $(wasm_CORE) emscripten/wasm.mk
	$(EM_ENV) $(EMCC) $(WASM_CFLAGS) $(filter-out %.mk,$^) $(WASM_LDFLAGS) -o $@

# Serving needs the module's compiler, a web server and npm for the C2PA library, not the test tools
# (scripts/install-deps.sh serve).
serve-deps:
	@./scripts/install-deps.sh serve

serve: serve-deps web/cifake.wasm web-vendor
	@test -f $(WEB_WEIGHTS) || { echo "$(WEB_WEIGHTS) is missing: train the model first (see build/cifake-train --help), or WEB_WEIGHTS=file.bin make serve" >&2; exit 1; }
	cp $(WEB_WEIGHTS) web/cifake.bin
	@PORT=$(PORT) HOST=$(HOST) scripts/serve.sh

# The C unit tests under Node. NODERAWFS gives them the real file system (the shared sample images,
# found from the repository root); SINGLE_FILE embeds the .wasm in the JS, which Node 20 then loads
# without fetch(). The glue is CommonJS, hence .cjs (package.json says "type": "module"). The runner's
# exit status is the process's.
$(WASM_TEST_JS): $(wasm_TESTS) $(wasm_TOOLS) $(wasm_CORE) emscripten/wasm.mk
	$(EM_ENV) $(EMCC) $(WASM_CFLAGS) $(filter-out %.mk,$^) -sNODERAWFS=1 -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH=1 \
		-sMAXIMUM_MEMORY=2GB -sEXIT_RUNTIME=1 -sSINGLE_FILE=1 -o $(WASM_TEST_DIR)/tests.js
	mv $(WASM_TEST_DIR)/tests.js $@

test-wasm-c: $(WASM_TEST_JS)
	$(NODE) $(WASM_TEST_JS)

node_modules/playwright-core/package.json: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

web-deps: node_modules/playwright-core/package.json

# TypeScript (a devDependency) checks web/*.js with checkJs; nothing is emitted.
typecheck: web-deps
	node_modules/.bin/tsc -p tsconfig.json --noEmit
	node_modules/.bin/tsc -p tsconfig.worker.json --noEmit

# The CLI tests need every native tool; the detector tests compare the module with cifake-detect.
test-node: web/cifake.wasm $(PROGRAMS) web-deps
	$(NODE) --test tests/node/

test-e2e: web/cifake.wasm $(BUILD)/cifake-detect web-deps web-vendor
	$(NODE) --test tests/e2e/

test-web:
	@set -e; for t in $(WEB_TESTS); do $(MAKE) --no-print-directory $$t; done

clean-web:
	rm -f web/cifake.wasm web/cifake.bin
	rm -rf web/vendor
	rm -rf $(WASM_TEST_DIR)
