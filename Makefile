# Two commands on a fresh Debian 12 machine:
#   make run   installs dependencies, builds, and serves the bundled model
#   make test  installs dependencies, builds, and runs every test
BUILD_DIR ?= build
JOBS ?= 2
MODEL ?= models/de-en
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-asan test-tsan bench fixtures image format clean

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

# Sanitizer builds, each in its own build folder, running the tests whose
# processes a sanitizer can hold (ctest labels):
#   test-asan  AddressSanitizer + UndefinedBehaviorSanitizer (leaks too) over
#              the base, engine and server-unit tests. Not the integration
#              tests: their server process holds gRPC's protobuf and
#              SentencePiece's, which only RTLD_DEEPBIND keeps apart, and the
#              sanitizer runtimes refuse DEEPBIND libraries.
#   test-tsan  ThreadSanitizer over the base and server-unit tests (scheduler
#              thread, reactors' locks). Not the engine's: libgomp is not
#              instrumented, so every OpenMP region would be reported.
SANITIZER_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
test-asan: deps
	cmake -S . -B $(BUILD_DIR)-asan $(SANITIZER_FLAGS) -DGLOSSA_SANITIZE=address,undefined
	cmake --build $(BUILD_DIR)-asan -j$(JOBS)
	cd $(BUILD_DIR)-asan && ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) -L 'base|engine|server'

test-tsan: deps
	cmake -S . -B $(BUILD_DIR)-tsan $(SANITIZER_FLAGS) -DGLOSSA_SANITIZE=thread
	cmake --build $(BUILD_DIR)-tsan -j$(JOBS)
	cd $(BUILD_DIR)-tsan && TSAN_OPTIONS=halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS) -L 'base|server'

# Engine benchmark on a random OPUS-MT-base-shaped model (prints numbers).
bench: build
	$(BUILD_DIR)/bin/glossa-engine bench

# Regenerates the committed reference fixtures (needs python3-torch).
fixtures:
	bash tools/install_deps.sh --with-torch
	/usr/bin/python3 tools/reference/make_fixtures.py --out tests/reference/fixtures

IMAGE ?= glossa:latest
# Container image with buildah, no Docker daemon needed (docs/deploy.md).
image:
	bash tools/install_deps.sh --with-image
	bash deploy/image/build_image.sh --tag $(IMAGE) --jobs $(JOBS) --save $(BUILD_DIR)/glossa-image.tar

format:
	find base model server client tests -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-asan $(BUILD_DIR)-tsan
