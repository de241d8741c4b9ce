# Two commands on a fresh Debian 12 machine:
#   make run   installs dependencies, builds, and serves the bundled model
#   make test  installs dependencies, builds, and runs every test
BUILD_DIR ?= build
JOBS ?= 2
MODEL ?= models/de-en
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test bench fixtures image format clean

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
	rm -rf $(BUILD_DIR)
