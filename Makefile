# Two commands on a fresh Debian 12 machine:
#   make run   installs dependencies, builds, and serves the bundled model
#   make test  installs dependencies, builds, and runs every test
BUILD_DIR ?= build
JOBS ?= 2
MODEL ?= models/de-en
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-asan fuzz bench fixtures image format clean

all: build

deps:
	bash tools/install_deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	@if [ -x $(BUILD_DIR)/bin/glossa-server ] && [ -f $(MODEL)/config.json ]; then \
	  exec $(BUILD_DIR)/bin/glossa-server --model=$(MODEL); \
	else \
	  echo "Ein kleiner Test." | $(BUILD_DIR)/bin/glossa-engine translate \
	    --model=tests/reference/fixtures/tiny-swish; \
	fi

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# A sanitizer build in its own build folder, running the tests whose
# processes the sanitizer can hold (ctest labels):
#   test-asan  AddressSanitizer + UndefinedBehaviorSanitizer (leaks too) over
#              the base, engine and server-unit tests. Not the integration
#              tests: their server process holds gRPC's protobuf and
#              SentencePiece's, which only RTLD_DEEPBIND keeps apart, and the
#              sanitizer runtimes refuse DEEPBIND libraries.
# There is no ThreadSanitizer build: Debian's Abseil is not instrumented, so
# TSan cannot see absl::Mutex and reports every access it guards as a race.
# Warnings are the normal build's business (instrumented code draws false
# ones, e.g. -Wmaybe-uninitialized in libstdc++ headers).
SANITIZER_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLOSSA_WERROR=OFF $(CMAKE_FLAGS)
test-asan: deps
	cmake -S . -B $(BUILD_DIR)-asan $(SANITIZER_FLAGS) -DGLOSSA_SANITIZE=address,undefined
	cmake --build $(BUILD_DIR)-asan -j$(JOBS)
	cd $(BUILD_DIR)-asan && ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) -L 'base|engine|server'

# libFuzzer (clang, with ASan+UBSan) on every parser of untrusted bytes,
# FUZZ_SECONDS each, starting from tests/fuzz/corpus (read, never written:
# new inputs go to $(BUILD_DIR)-fuzz/corpus). A crash leaves its input in
# $(BUILD_DIR)-fuzz/; add it to the corpus and make test replays it.
FUZZ_SECONDS ?= 60
FUZZERS = request model_files source_text http_body document
fuzz:
	bash tools/install_deps.sh --with-fuzz
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(BUILD_DIR)-fuzz $(SANITIZER_FLAGS) \
	  -DGLOSSA_SANITIZE=address,undefined -DGLOSSA_FUZZ=ON
	cmake --build $(BUILD_DIR)-fuzz -j$(JOBS) --target $(FUZZERS:%=%_fuzzer)
	set -e; for f in $(FUZZERS); do \
	  mkdir -p $(BUILD_DIR)-fuzz/corpus/$$f; \
	  echo "fuzzing $$f for $(FUZZ_SECONDS) s (log: $(BUILD_DIR)-fuzz/$$f.log)"; \
	  if (cd $(BUILD_DIR)-fuzz && ASAN_OPTIONS=detect_leaks=1 \
	      ./bin/$${f}_fuzzer -max_total_time=$(FUZZ_SECONDS) \
	      -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	      corpus/$$f $(CURDIR)/tests/fuzz/corpus/$$f > $$f.log 2>&1); then \
	    grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' \
	      $(BUILD_DIR)-fuzz/$$f.log; \
	  else tail -n 80 $(BUILD_DIR)-fuzz/$$f.log; exit 1; fi; \
	done

# Engine benchmark on a random OPUS-MT-base-shaped model (prints numbers).
bench: build
	$(BUILD_DIR)/bin/glossa-engine bench

# Regenerates the committed reference fixtures (needs python3-torch).
# Every reference fixture, one generator per family, then the option
# references from the stored weights (tests/reference/README.md).
FIXTURE_TOOLS = /usr/bin/python3 tools/reference
fixtures:
	bash tools/install_deps.sh --with-torch
	$(FIXTURE_TOOLS)/make_fixtures.py --out tests/reference/fixtures
	$(FIXTURE_TOOLS)/make_multilingual_fixtures.py --out tests/reference/fixtures
	$(FIXTURE_TOOLS)/make_bart_fixture.py --out tests/reference/fixtures
	$(FIXTURE_TOOLS)/make_t5_fixtures.py --out tests/reference/fixtures
	$(FIXTURE_TOOLS)/make_option_references.py --fixtures tests/reference/fixtures

IMAGE ?= glossa:latest
# Container image with buildah, no Docker daemon needed (docs/deploy.md).
image:
	bash tools/install_deps.sh --with-image
	bash deploy/image/build_image.sh --tag $(IMAGE) --jobs $(JOBS) --save $(BUILD_DIR)/glossa-image.tar

format:
	find base model server client tests -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-asan $(BUILD_DIR)-fuzz
