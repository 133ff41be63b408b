# fuzz/fuzz.mk - libFuzzer targets for the two untrusted inputs (included by the Makefile).
#
#   make fuzz FUZZ_SECONDS=N   builds both targets and runs each for N seconds (default 60), nice'd,
#                              with AddressSanitizer and UBSan; new inputs go to build/fuzz/corpus-*,
#                              crashes to build/fuzz/crash-* (keep each as a file under tests/regress/)
#   make fuzz-msan FUZZ_SECONDS=N   the same with MemorySanitizer instead (reads of uninitialised
#                              memory), and a third target, fuzz-jpeg-msan: the image target for JPEG
#                              input only, with stb_image's allocations left unzeroed (CF_STB_UNZEROED,
#                              see src/stb_impl.c), so src/image_check.c's JPEG walk alone must keep the
#                              decoder from reading memory the file never wrote (the zeroing would hide
#                              it); same corpus folders, crashes to build/fuzz/crash-*-msan-*
#   make fuzz-smoke            all seven for a few seconds each (part of `make test`: shows that the
#                              targets build and run)
#
#   fuzz-image     bytes -> cifake_classify (decode, limits, resize, model) -> explain -> render
#                  (WebP too: the targets are native builds, with libwebp)
#   fuzz-weights   bytes -> cifake_open (the weight loader), also with the checksum fixed so the
#                  checks behind it are reached; an accepted file must classify and explain
#   fuzz-provenance  bytes -> cf_provenance_read (the metadata reader: containers, EXIF, XMP, PNG
#                  text, C2PA stores), the stealth reader on the bytes as pixels, verdict and JSON
#
# Seeds are made at build time in build/fuzz/seeds-*: the shared sample JPEGs, tests/hostile and
# tests/regress files, and small weight files written by fuzz/make_weight_seeds.c; for the metadata
# reader the files of ../shared/provenance and tests/hostile/provenance.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_SMOKE_RUNS ?= 20000
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := address,undefined
# Objects (the Makefile's source lists, compiled once into $(BUILD)/fuzz/) are instrumented for
# coverage; libFuzzer's main is linked into the targets only.
FUZZ_FLAGS   := -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer-no-link,$(FUZZ_SAN) \
                -fno-sanitize-recover=all -fno-omit-frame-pointer -Isrc $(STB_INC) $(WEBP)
# -timeout: an input that takes longer counts as a hang; -rss_limit_mb: more memory than the
# limits allow (a 40-megapixel image needs well under 1 GB) counts as a failure too.
FUZZ_RUN     := -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1
SAMPLE_DIR   ?= ../shared/data/cifake-sample
# MemorySanitizer needs every linked object instrumented: the core has no OpenMP in these builds,
# and libc is handled by the sanitizer's interceptors.
FUZZ_MSAN_FLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,memory -fsanitize-memory-track-origins \
                   -fno-omit-frame-pointer -Isrc $(STB_INC)
FUZZ_TARGETS := $(FUZZ_DIR)/fuzz-image $(FUZZ_DIR)/fuzz-weights $(FUZZ_DIR)/fuzz-provenance
FUZZ_MSAN_TARGETS := $(FUZZ_DIR)/fuzz-image-msan $(FUZZ_DIR)/fuzz-weights-msan $(FUZZ_DIR)/fuzz-jpeg-msan \
                     $(FUZZ_DIR)/fuzz-provenance-msan
PROV_SEED_DIR ?= ../shared/provenance

.PHONY: fuzz fuzz-msan fuzz-build fuzz-build-msan fuzz-smoke fuzz-seeds

$(FUZZ_DIR)/fuzz-jpeg-msan: fuzz/fuzz_image.c fuzz/fuzz_common.h $(CORE_SRC) $(wildcard src/*.h) fuzz/fuzz.mk | $(BUILD) stb-check
	mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_MSAN_FLAGS) -DFUZZ_JPEG_ONLY -DCF_STB_UNZEROED $< $(CORE_SRC) -lm -o $@

$(FUZZ_DIR)/fuzz-%-msan: fuzz/fuzz_%.c fuzz/fuzz_common.h $(CORE_SRC) $(wildcard src/*.h) fuzz/fuzz.mk | $(BUILD) stb-check
	mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_MSAN_FLAGS) $< $(CORE_SRC) -lm -o $@

$(eval $(call flavour,fuzz,$(FUZZ_CC),$(AR),$(FUZZ_FLAGS),build-deps))

$(FUZZ_DIR)/fuzz-%: $(FUZZ_DIR)/fuzz/fuzz_%.o $(fuzz_CORE)
	$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) $^ $(WEBP_LIB) -lm -o $@

$(FUZZ_DIR)/make_weight_seeds: $(BUILD)/native/fuzz/make_weight_seeds.o $(NATIVE_LIBS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Seed folders are rebuilt every run (cheap), so new regression files are always included.
fuzz-seeds: $(FUZZ_DIR)/make_weight_seeds
	rm -rf $(FUZZ_DIR)/seeds-image $(FUZZ_DIR)/seeds-weights $(FUZZ_DIR)/seeds-provenance
	mkdir -p $(FUZZ_DIR)/seeds-image $(FUZZ_DIR)/corpus-image $(FUZZ_DIR)/corpus-weights \
		$(FUZZ_DIR)/seeds-provenance $(FUZZ_DIR)/corpus-provenance
	if [ -d $(PROV_SEED_DIR) ]; then find $(PROV_SEED_DIR) -type f \( -name '*.jpg' -o -name '*.jpeg' -o -name '*.png' \) | sort | \
		while read -r f; do cp "$$f" "$(FUZZ_DIR)/seeds-provenance/shared-$$(basename "$$f" | tr -c 'A-Za-z0-9.\n' _)"; done; fi
	find tests/hostile/provenance -type f -size -1024k -exec cp {} $(FUZZ_DIR)/seeds-provenance/ \; 2>/dev/null || true
	if [ -d $(SAMPLE_DIR) ]; then find $(SAMPLE_DIR) -name '*.jpg' | sort | head -16 | \
		while read -r f; do cp "$$f" "$(FUZZ_DIR)/seeds-image/sample-$$(basename "$$f" | tr -c 'A-Za-z0-9.\n' _)"; done; fi
	find tests/hostile/cases tests/regress/image -type f -size -64k -exec cp {} $(FUZZ_DIR)/seeds-image/ \; 2>/dev/null || true
	$(FUZZ_DIR)/make_weight_seeds $(FUZZ_DIR)/seeds-weights
	find tests/regress/weights -type f -size -64k -exec cp {} $(FUZZ_DIR)/seeds-weights/ \; 2>/dev/null || true

fuzz-build: $(FUZZ_TARGETS)
fuzz-build-msan: $(FUZZ_MSAN_TARGETS)

# $(1): target name, $(2): seconds, $(3): corpus and seeds (image or weights; the MSan builds share
# them). New corpus entries go to the first folder, crashes to crash-*.
define run_fuzzer
	nice -n 10 $(FUZZ_DIR)/fuzz-$(1) $(FUZZ_DIR)/corpus-$(3) $(FUZZ_DIR)/seeds-$(3) $(FUZZ_RUN) \
		-max_total_time=$(2) -artifact_prefix=$(FUZZ_DIR)/crash-$(1)-
endef

fuzz: fuzz-build fuzz-seeds
	$(call run_fuzzer,image,$(FUZZ_SECONDS),image)
	$(call run_fuzzer,weights,$(FUZZ_SECONDS),weights)
	$(call run_fuzzer,provenance,$(FUZZ_SECONDS),provenance)

fuzz-msan: fuzz-build-msan fuzz-seeds
	$(call run_fuzzer,image-msan,$(FUZZ_SECONDS),image)
	$(call run_fuzzer,jpeg-msan,$(FUZZ_SECONDS),image)
	$(call run_fuzzer,weights-msan,$(FUZZ_SECONDS),weights)
	$(call run_fuzzer,provenance-msan,$(FUZZ_SECONDS),provenance)

# The smoke run starts from the seeds alone (a corpus grown by long runs would take longer than the
# run itself to replay) with a fixed seed and a fixed number of inputs, so every machine tries the
# same inputs (a slow one stops at the time cap, after a prefix of them); it exists to show that
# every target builds and runs.
fuzz-smoke: fuzz-build fuzz-build-msan fuzz-seeds
	@set -e; for t in image weights provenance image-msan jpeg-msan weights-msan provenance-msan; do \
		seeds=$(FUZZ_DIR)/seeds-$${t%-msan}; [ $$t != jpeg-msan ] || seeds=$(FUZZ_DIR)/seeds-image; \
		echo "$(FUZZ_DIR)/fuzz-$$t $$seeds -seed=1 -runs=$(FUZZ_SMOKE_RUNS) -max_total_time=$(FUZZ_SMOKE_SECONDS)"; \
		$(FUZZ_DIR)/fuzz-$$t $$seeds $(FUZZ_RUN) -seed=1 -runs=$(FUZZ_SMOKE_RUNS) -max_total_time=$(FUZZ_SMOKE_SECONDS) \
			-artifact_prefix=$(FUZZ_DIR)/crash-$$t-; \
	done
