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

CORE_SRC := src/common.c src/gemm.c src/layers.c src/model.c src/weights.c src/image.c src/stb_impl.c src/api.c src/gradcam.c
TOOL_SRC := trainer/fileio.c trainer/dataset.c trainer/metrics.c trainer/optim.c trainer/progress.c trainer/infer.c trainer/png.c
HEADERS  := $(wildcard src/*.h trainer/*.h)
TEST_SRC := $(wildcard tests/c/*.c)

BUILD    := build
PROGRAMS := $(BUILD)/cifake-train $(BUILD)/cifake-eval $(BUILD)/cifake-detect $(BUILD)/cifake-camstats

CIFAKE_DIR ?= $(abspath data/cifake)
export CIFAKE_DIR

.PHONY: all test test-c test-asan test-reference deps data bench sweep clean

all: $(PROGRAMS)

$(BUILD)/cifake-%: trainer/%.c $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CFLAGS) $< $(CORE_SRC) $(TOOL_SRC) $(LDLIBS) -o $@

$(BUILD)/tests: $(TEST_SRC) $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CFLAGS) -Itests/c $(TEST_SRC) $(CORE_SRC) $(TOOL_SRC) $(LDLIBS) -o $@

$(BUILD)/tests-asan: $(TEST_SRC) $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CSTD) $(SAN) -Isrc -Itrainer -Itests/c $(STB_INC) $(TEST_SRC) $(CORE_SRC) $(TOOL_SRC) -lm -o $@

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
	$(MAKE) test-reference
	$(MAKE) test-web

$(BUILD)/train_bench: tests/bench/train_bench.c $(CORE_SRC) $(TOOL_SRC) $(HEADERS) | $(BUILD)
	$(CC) $(CFLAGS) $< $(CORE_SRC) $(TOOL_SRC) $(LDLIBS) -o $@

# Benchmarks report; they never pass or fail on speed.
bench: $(BUILD)/train_bench
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
