# cifake - build, test and serve. `make` builds the native tools into build/.
# Main job: `make serve`.  All tests: `make test`.  Benchmarks: `make bench`.  The CIFAKE paper's sweep: `make sweep`.

CC       ?= gcc
CSTD     := -std=c11 -Wall -Wextra -Werror
OPT      ?= -O3 -march=native
STB_INC  := -I/usr/include/stb
# The source version is recorded in every weight file the trainer writes (provenance).
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS   := $(CSTD) $(OPT) -fopenmp -Isrc -Itrainer $(STB_INC) -DCIFAKE_VERSION='"$(VERSION)"'

LDLIBS   := -lm -fopenmp
SAN      := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CORE_SRC := src/common.c src/gemm.c src/layers.c src/model.c src/weights.c src/image.c src/stb_impl.c src/api.c src/gradcam.c src/winograd.c src/patches.c
TOOL_SRC := trainer/fileio.c trainer/dataset.c trainer/metrics.c trainer/optim.c trainer/progress.c trainer/infer.c trainer/png.c trainer/plot.c trainer/faithfulness.c \
            trainer/protobuf.c trainer/onnx.c trainer/perturb.c trainer/cutmix.c trainer/folder_eval.c
HEADERS  := $(wildcard src/*.h trainer/*.h)
TEST_SRC := $(wildcard tests/c/*.c)

BUILD    := build
PROGRAMS := $(BUILD)/cifake-train $(BUILD)/cifake-eval $(BUILD)/cifake-detect $(BUILD)/cifake-camstats \
            $(BUILD)/cifake-export

CIFAKE_DIR ?= $(abspath data/cifake)
export CIFAKE_DIR

.PHONY: all test test-c test-asan test-reference deps data bench sweep clean

all: $(PROGRAMS)

$(BUILD)/cifake-%: trainer/%.c $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CFLAGS) $< $(CORE_SRC) $(TOOL_SRC) $(LDLIBS) -o $@

$(BUILD)/tests: $(TEST_SRC) $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CFLAGS) -Itests/c $(TEST_SRC) $(CORE_SRC) $(TOOL_SRC) $(LDLIBS) -o $@

$(BUILD)/tests-asan: $(TEST_SRC) $(CORE_SRC) $(TOOL_SRC) $(HEADERS) $(BUILD)/stb_impl-asan.o | $(BUILD)
	$(CC) $(CSTD) $(SAN) -Isrc -Itrainer -Itests/c $(STB_INC) $(TEST_SRC) $(filter-out src/stb_impl.c,$(CORE_SRC)) \
		$(TOOL_SRC) $(BUILD)/stb_impl-asan.o -lm -o $@

# stb_image_write's JPEG bit writer shifts a signed int past bit 31 (nothings/stb issue 1433, still open),
# which GCC defines as wrapping ("Integers implementation" in its manual) but UBSan reports. Only in the
# third-party translation unit is that one check off; everything else keeps it.
$(BUILD)/stb_impl-asan.o: src/stb_impl.c src/image.h | $(BUILD)
	$(CC) $(CSTD) $(SAN) -fno-sanitize=shift-base -Isrc $(STB_INC) -c $< -o $@

$(BUILD):
	mkdir -p $@

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

# PyTorch from Debian (python3-torch) lives in the system interpreter, not in a pyenv one.
PYTHON_TORCH ?= /usr/bin/python3

$(BUILD)/refdump: tests/reference/refdump.c $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CFLAGS) $< $(CORE_SRC) $(TOOL_SRC) $(LDLIBS) -o $@

test-reference: $(BUILD)/refdump
	$(PYTHON_TORCH) tests/reference/check_torch.py $(BUILD)

test: deps data
	$(MAKE) all
	$(MAKE) test-c
	$(MAKE) test-asan
	$(MAKE) fuzz-smoke
	$(MAKE) test-reference
	$(MAKE) test-web

$(BUILD)/train_bench: tests/bench/train_bench.c $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CFLAGS) $< $(CORE_SRC) $(TOOL_SRC) $(LDLIBS) -o $@

# The measured multiply-add peak: native in the widest vectors -march=native gives (contracted to
# FMA), and WebAssembly SIMD128 (f32x4 mul + add, timed in Node by tests/bench/js_bench.mjs).
$(BUILD)/peak_fma: tests/bench/peak_fma.c | $(BUILD)
	$(CC) $(CSTD) $(OPT) -ffp-contract=fast -fopenmp $< -o $@

$(BUILD)/peak_fma.wasm: tests/bench/peak_fma.c | $(BUILD)
	$(EM_ENV) $(EMCC) $(CSTD) -O3 -msimd128 $< --no-entry -sSTANDALONE_WASM=1 \
		-sEXPORTED_FUNCTIONS=_peak_fma_run,_peak_fma_flops_per_step -o $@

# Benchmarks report; they never pass or fail on speed. Native against PyTorch, WebAssembly against
# onnxruntime-web and tfjs-wasm in Node, sizes, and the page's time to first verdict (run_bench.sh).
bench: $(BUILD)/train_bench $(BUILD)/peak_fma $(BUILD)/peak_fma.wasm $(PROGRAMS) web/cifake.wasm web-deps
	tests/bench/run_bench.sh

# The CIFAKE paper's topology sweep (RQ1/RQ2) with a small budget; resumable (run it again after an
# interruption). Results: build/sweep/results.md. See trainer/REPRODUCTION.md for the budget used.
SWEEP_FLAGS ?= --epochs 2 --subset 20000 --dense-widths 32,64,128,256
sweep: $(BUILD)/cifake-train $(BUILD)/cifake-eval
	nice -n 10 $(NODE) trainer/cifake-sweep.mjs --data $(CIFAKE_DIR) --out $(BUILD)/sweep $(SWEEP_FLAGS)

clean:
	rm -rf $(BUILD)

# WebAssembly module, web page, Node and browser tests (rules in emscripten/wasm.mk)
-include emscripten/wasm.mk
# libFuzzer targets: `make fuzz FUZZ_SECONDS=N`, `make fuzz-smoke` (rules in fuzz/fuzz.mk)
-include fuzz/fuzz.mk
