# cifake - build, test and serve. `make` builds the native tools into build/ (installing the Debian
# packages the build needs first). Main job: `make serve`.  All tests: `make test`.  Benchmarks:
# `make bench`.  The CIFAKE paper's sweep: `make sweep` (`make sweep-full`: to convergence).  The C library: `make install PREFIX=DIR`.
#
#   make test-c       the C runner, native (-march=native: the widest vectors this machine has)
#   make test-asan    the C runner under AddressSanitizer + UBSan
#   make test-simd    the C runner on the scalar, SSE2 and AVX2 paths of src/simd.h
#   make test-msan    the C runner under MemorySanitizer (reads of memory nothing wrote)
#   (WebAssembly, Node and browser tests: emscripten/wasm.mk; fuzzing: fuzz/fuzz.mk)

CC       ?= gcc
AR       ?= ar
CSTD     := -std=c11 -Wall -Wextra -Werror
OPT      ?= -O3 -march=native
STB_DIR  := /usr/include/stb
STB_INC  := -I$(STB_DIR)
# The source version is recorded in every weight file the trainer writes (provenance).
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
# Native builds decode WebP too, with Debian's libwebp (src/image.c); the WebAssembly module does not.
WEBP     := -DCF_WITH_WEBP
WEBP_LIB := -lwebp
# Native tools verify C2PA Content Credentials with Debian's OpenSSL libcrypto (tools/lib/c2pa_verify.c);
# the MemorySanitizer and WebAssembly builds have none and compile its "not checked" stub.
CRYPTO   := -DCF_WITH_OPENSSL
CRYPTO_LIB := -lcrypto
CFLAGS   := $(CSTD) $(OPT) -fopenmp $(WEBP) $(CRYPTO)
# Include paths per library, so a layer cannot include the headers of one above it: src/ (the portable
# core) sees itself and stb only, tools/ (the tools' library and programs) src/ and tools/lib/ too,
# everything else (tests, benches, fuzz targets, the wasm exports) all three. Every flavour below
# compiles each object with the paths of its folder ($(call includes,SOURCE)).
CORE_INC := -Isrc $(STB_INC)
TOOL_INC := -Isrc -Itools/lib $(STB_INC)
ALL_INC  := -Isrc -Itools/lib -Itests/c $(STB_INC)
includes = $(if $(filter src/%,$(1)),$(CORE_INC),$(if $(filter tools/%,$(1)),$(TOOL_INC),$(ALL_INC)))

LDLIBS   := $(WEBP_LIB) $(CRYPTO_LIB) -lm -fopenmp
SAN      := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# MemorySanitizer (clang only) needs every linked object instrumented: these builds have no OpenMP and
# no libwebp (Debian's is not instrumented), so their .webp cases must say "WebP is not supported".
MSAN_CC  ?= clang
MSAN     := -O1 -g -fsanitize=memory -fsanitize-memory-track-origins -fno-omit-frame-pointer

# The one list of sources, for every build (native, sanitizers, SIMD paths, WebAssembly, fuzzing): a
# file added to src/ is part of the library everywhere, a file added to tools/lib/ part of the tools'
# library. tools/ itself holds one main file per program; tools/results/ what they measured.
CORE_SRC := $(wildcard src/*.c)
PROGRAM_NAMES := train eval detect camstats export
TOOL_SRC := $(wildcard tools/lib/*.c)
TEST_SRC := $(wildcard tests/c/*.c)

BUILD    := build
PROGRAMS := $(PROGRAM_NAMES:%=$(BUILD)/cifake-%)

CIFAKE_DIR ?= $(abspath data/cifake)
export CIFAKE_DIR

.PHONY: all test test-c test-simd test-asan test-msan test-reference deps build-deps stb-check data bench sweep sweep-full clean

all: $(PROGRAMS)

# Before anything is compiled: the Debian packages plain `make` needs are installed when missing (gcc,
# libstb-dev, libwebp-dev; `make deps` installs what the tests need too), and stb_image is checked to
# be the release src/image_check.c was written against. image_check.c guards against that release's
# bugs (in its comments); another release may have fixed or moved them, or have others. The version is only in the
# header's first comment (STBI_VERSION is 1 in every release), which the preprocessor cannot read, so
# the Makefile reads it, for every build that compiles stb (native, WebAssembly, fuzzing).
STB_RELEASE := v2.27
build-deps:
	@./scripts/install-deps.sh build
stb-check: | build-deps
	@test -f $(STB_DIR)/stb_image.h || { echo "cifake: $(STB_DIR)/stb_image.h not found: install libstb-dev" >&2; exit 1; }
	@line=$$(head -n 1 $(STB_DIR)/stb_image.h); case "$$line" in \
	  "/* stb_image - $(STB_RELEASE) "*) ;; \
	  *) echo "cifake: $(STB_DIR)/stb_image.h is not stb_image $(STB_RELEASE); its first line: $$line" >&2; \
	     echo "  src/image_check.c guards against the bugs of stb_image $(STB_RELEASE) (Debian 12's libstb-dev 0.0~git20220908)." >&2; \
	     echo "  Install that package, or check image_check.c's guards against this release and set STB_RELEASE in the Makefile." >&2; \
	     exit 1 ;; esac

# $(call flavour,NAME,COMPILER,ARCHIVER,FLAGS[,BEFORE]): every source compiled once with FLAGS into
# $(BUILD)/NAME/ (the same tree as the sources), src/ archived into $(BUILD)/NAME/libcifake.a and the
# tools' library (tools/lib/) into $(BUILD)/NAME/libcifake-tools.a. Programs and test runners link their own
# objects against those two. An object is recompiled when its source, a header it includes (-MMD) or
# the compiler and flags (kept in $(BUILD)/NAME/flags, e.g. after `make OPT=...`) change. BEFORE:
# targets to make before any object. OBJ_FLAGS, set on one object, adds flags to it alone.
define flavour
$(1)_CORE := $(BUILD)/$(1)/libcifake.a
$(1)_TOOLS := $(BUILD)/$(1)/libcifake-tools.a
$(1)_TESTS := $(TEST_SRC:%.c=$(BUILD)/$(1)/%.o)
$(1)_FLAGS := $(2) $(4)
ifneq ($$(file <$(BUILD)/$(1)/flags),$$($(1)_FLAGS))
$$(shell mkdir -p $(BUILD)/$(1))
$$(file >$(BUILD)/$(1)/flags,$$($(1)_FLAGS))
endif
$(BUILD)/$(1)/flags: ;
$(BUILD)/$(1)/%.o: %.c $(BUILD)/$(1)/flags | $(5)
	@mkdir -p $$(@D)
	$(2) $(4) $$(call includes,$$<) $$(OBJ_FLAGS) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/src/stb_impl.o: | stb-check
$(BUILD)/$(1)/libcifake.a: $(CORE_SRC:%.c=$(BUILD)/$(1)/%.o)
	rm -f $$@ && $(3) rcs $$@ $$^
$(BUILD)/$(1)/libcifake-tools.a: $(TOOL_SRC:%.c=$(BUILD)/$(1)/%.o)
	rm -f $$@ && $(3) rcs $$@ $$^
-include $(wildcard $(BUILD)/$(1)/*/*.d $(BUILD)/$(1)/*/*/*.d)
endef

$(eval $(call flavour,native,$(CC),$(AR),$(CFLAGS),build-deps))
NATIVE_LIBS := $(native_TOOLS) $(native_CORE)

# Only cifake-train and cifake-export record the version: they alone are recompiled when it changes.
$(BUILD)/version: FORCE | $(BUILD)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/native/tools/train.o $(BUILD)/native/tools/export.o: $(BUILD)/version
$(BUILD)/native/tools/train.o $(BUILD)/native/tools/export.o: OBJ_FLAGS := -DCIFAKE_VERSION='"$(VERSION)"'
.PHONY: FORCE
FORCE:
# Objects are kept (make would delete those it made only on the way to a program).
.SECONDARY:

$(BUILD)/cifake-%: $(BUILD)/native/tools/%.o $(NATIVE_LIBS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests: $(native_TESTS) $(NATIVE_LIBS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# AddressSanitizer + UBSan, without OpenMP.
$(eval $(call flavour,asan,$(CC),$(AR),$(CSTD) $(SAN) $(WEBP) $(CRYPTO),build-deps))
# stb_image_write's JPEG bit writer shifts a signed int past bit 31 (nothings/stb issue 1433, still open),
# which GCC defines as wrapping ("Integers implementation" in its manual) but UBSan reports. Only in the
# third-party translation unit is that one check off; everything else keeps it.
$(BUILD)/asan/src/stb_impl.o: OBJ_FLAGS := -fno-sanitize=shift-base

$(BUILD)/tests-asan: $(asan_TESTS) $(asan_TOOLS) $(asan_CORE)
	$(CC) $(CSTD) $(SAN) $^ $(WEBP_LIB) $(CRYPTO_LIB) -lm -o $@

# The C tests under MemorySanitizer: every read of memory nothing wrote is reported. msan is the code as
# shipped; msan-unzeroed leaves stb_image's allocations unzeroed (CF_STB_UNZEROED, src/stb_impl.c), so
# the hostile-input table and the regression files show that image_check.c's checks alone keep the
# decoder from reading memory the file never wrote.
MSAN_FLAGS := $(CSTD) $(MSAN)
$(eval $(call flavour,msan,$(MSAN_CC),$(AR),$(MSAN_FLAGS),build-deps))
$(eval $(call flavour,msan-unzeroed,$(MSAN_CC),$(AR),$(MSAN_FLAGS) -DCF_STB_UNZEROED,build-deps))

$(BUILD)/tests-msan: $(msan_TESTS) $(msan_TOOLS) $(msan_CORE)
	$(MSAN_CC) $(MSAN) $^ -lm -o $@
$(BUILD)/tests-msan-unzeroed: $(msan-unzeroed_TESTS) $(msan-unzeroed_TOOLS) $(msan-unzeroed_CORE)
	$(MSAN_CC) $(MSAN) $^ -lm -o $@

# The C runner on each vector path of src/simd.h besides the native build's widest one (and the
# WebAssembly one, test-wasm-c): plain C, SSE2 and AVX2+FMA, each checked to be the path it was built
# for (tests/c/test_simd_path.c). -O2 without OpenMP: lighter to build, and threading is the native
# runner's business. SSE2 and AVX2 exist on x86-64 only; AVX2 runs where the processor has it.
SIMD_FLAGS := $(CSTD) -O2 $(WEBP) $(CRYPTO)
SIMD_PATHS := scalar
ifeq ($(shell uname -m),x86_64)
SIMD_PATHS += sse2 avx2
endif
$(eval $(call flavour,scalar,$(CC),$(AR),$(SIMD_FLAGS) -DCF_SIMD_SCALAR -DCF_TEST_SIMD='"scalar"',build-deps))
$(eval $(call flavour,sse2,$(CC),$(AR),$(SIMD_FLAGS) -march=x86-64 -mtune=generic -DCF_TEST_SIMD='"sse2"',build-deps))
$(eval $(call flavour,avx2,$(CC),$(AR),$(SIMD_FLAGS) -march=haswell -mtune=generic -DCF_TEST_SIMD='"avx2-fma"',build-deps))

define simd_runner
$(BUILD)/tests-$(1): $$($(1)_TESTS) $$($(1)_TOOLS) $$($(1)_CORE)
	$$(CC) $$^ $$(WEBP_LIB) $$(CRYPTO_LIB) -lm -o $$@
endef
$(foreach p,scalar sse2 avx2,$(eval $(call simd_runner,$(p))))

$(BUILD):
	mkdir -p $@

# The C library for C programs: `make install PREFIX=DIR` (default /usr/local; DESTDIR is honoured)
# puts the static library in DIR/lib, the public header cifake.h (standard headers only) in DIR/include
# and cifake.pc in DIR/lib/pkgconfig, so `cc prog.c $(pkg-config --cflags --libs cifake)` builds against
# it (examples/classify.c; tests/node/install.test.mjs does exactly that). The library is the native
# build's: OPT's -march=native by default, so it is for this machine's processor (OPT=-O3 for any x86-64),
# and it decodes WebP with libwebp. `make uninstall PREFIX=DIR` removes the three files.
PREFIX      ?= /usr/local
PKG_VERSION := $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package.json)
.PHONY: install uninstall
install: $(native_CORE) src/cifake.h cifake.pc.in
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(native_CORE) $(DESTDIR)$(PREFIX)/lib/libcifake.a
	install -m 644 src/cifake.h $(DESTDIR)$(PREFIX)/include/cifake.h
	sed -e 's|@PREFIX@|$(abspath $(PREFIX))|' -e 's|@VERSION@|$(PKG_VERSION)|' -e 's|@LIBS@|$(WEBP_LIB) -lgomp -lm|' \
		cifake.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cifake.pc
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libcifake.a $(DESTDIR)$(PREFIX)/include/cifake.h \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/cifake.pc

# Installs what the build and tests need on a fresh Debian machine (skips what is present).
deps:
	@./scripts/install-deps.sh

# Extracts CIFAKE from ../shared into data/cifake (git-ignored) when it is there and not yet extracted.
data:
	@./scripts/extract-data.sh

test-c: $(BUILD)/tests
	$(BUILD)/tests

test-asan: $(BUILD)/tests-asan
	ASAN_OPTIONS=detect_leaks=1 $(BUILD)/tests-asan

test-msan: $(BUILD)/tests-msan $(BUILD)/tests-msan-unzeroed
	$(BUILD)/tests-msan
	$(BUILD)/tests-msan-unzeroed hostile

# The whole C runner on each extra vector path (the native one is test-c, WebAssembly test-wasm-c).
test-simd: $(SIMD_PATHS:%=$(BUILD)/tests-%)
	@set -e; for p in $(SIMD_PATHS); do \
		if [ $$p = avx2 ] && ! grep -qw avx2 /proc/cpuinfo; then echo "test-simd: avx2 skipped, this processor has no AVX2"; continue; fi; \
		echo "test-simd: $$p"; $(BUILD)/tests-$$p; done

# PyTorch from Debian (python3-torch) lives in the system interpreter, not in a pyenv one.
PYTHON_TORCH ?= /usr/bin/python3

$(BUILD)/refdump: $(BUILD)/native/tests/reference/refdump.o $(NATIVE_LIBS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

test-reference: $(BUILD)/refdump
	$(PYTHON_TORCH) tests/reference/check_torch.py $(BUILD)

test: deps data
	$(MAKE) all
	$(MAKE) test-c
	$(MAKE) test-asan
	$(MAKE) test-msan
	$(MAKE) test-simd
	$(MAKE) fuzz-smoke
	$(MAKE) test-reference
	$(MAKE) test-web

$(BUILD)/train_bench: $(BUILD)/native/tests/bench/train_bench.o $(NATIVE_LIBS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/patch_bench: $(BUILD)/native/tests/bench/patch_bench.o $(NATIVE_LIBS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/provenance_bench: $(BUILD)/native/tests/bench/provenance_bench.o $(NATIVE_LIBS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The measured multiply-add peak: native in the widest vectors -march=native gives (contracted to
# FMA), and WebAssembly SIMD128 (f32x4 mul + add, timed in Node by tests/bench/js_bench.mjs).
$(BUILD)/peak_fma: tests/bench/peak_fma.c | $(BUILD)
	$(CC) $(CSTD) $(OPT) -ffp-contract=fast -fopenmp $< -o $@

$(BUILD)/peak_fma.wasm: tests/bench/peak_fma.c | $(BUILD)
	$(EM_ENV) $(EMCC) $(CSTD) -O3 -msimd128 $< --no-entry -sSTANDALONE_WASM=1 \
		-sEXPORTED_FUNCTIONS=_peak_fma_run,_peak_fma_flops_per_step -o $@

# Benchmarks report; they never pass or fail on speed. Native against PyTorch, WebAssembly against
# onnxruntime-web and tfjs-wasm in Node, sizes, and the page's time to first verdict (run_bench.sh).
bench: $(BUILD)/train_bench $(BUILD)/patch_bench $(BUILD)/provenance_bench $(BUILD)/peak_fma $(BUILD)/peak_fma.wasm $(PROGRAMS) web/cifake.wasm web-deps
	tests/bench/run_bench.sh

# The CIFAKE paper's topology sweep (RQ1/RQ2) with a small budget; resumable (run it again after an
# interruption). Results: build/sweep/results.md. See tools/results/REPRODUCTION.md for the budget used.
SWEEP_FLAGS ?= --epochs 2 --subset 20000 --dense-widths 32,64,128,256
sweep: $(BUILD)/cifake-train $(BUILD)/cifake-eval
	nice -n 10 $(NODE) tools/cifake-sweep.mjs --data $(CIFAKE_DIR) --out $(BUILD)/sweep $(SWEEP_FLAGS)

# The same family trained to convergence: every network on the whole training split, stopped early
# once 3 epochs in a row have not improved its validation loss (at most 40), cheapest network first;
# dense heads of 1-3 layers of 32-256 units, as `make sweep`.
# Resumable like `make sweep`; results in build/sweep-full/results.md.
SWEEP_FULL_FLAGS ?= --epochs 40 --patience 3 --subset 0 --order cost --dense-widths 32,64,128,256
sweep-full: $(BUILD)/cifake-train $(BUILD)/cifake-eval
	nice -n 10 $(NODE) tools/cifake-sweep.mjs --data $(CIFAKE_DIR) --out $(BUILD)/sweep-full $(SWEEP_FULL_FLAGS)

clean:
	rm -rf $(BUILD)

# WebAssembly module, web page, Node and browser tests (rules in emscripten/wasm.mk)
-include emscripten/wasm.mk
# libFuzzer targets: `make fuzz FUZZ_SECONDS=N`, `make fuzz-smoke` (rules in fuzz/fuzz.mk)
-include fuzz/fuzz.mk
