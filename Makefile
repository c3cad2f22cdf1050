# Thin wrapper over CMake: the two commands of the README.
#   make run   install what is missing, build, run the main job
#   make test  install what is missing, build three ways (release, double precision,
#              ASan + UBSan), warnings as errors, and run every test in each
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build

.PHONY: all deps build run test test-release test-double test-sanitize clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# The main job: meta-train on the quick preset (2D navigation, a few seconds) into
# runs/. Evaluation on held-out goals joins it with issue 5.
run: build
	./$(BUILD)/maml version
	./$(BUILD)/maml train --config configs/quick.ini

define build_and_test
	cmake -S . -B $(1) -DMAML_WERROR=ON $(2)
	cmake --build $(1) -j $(JOBS)
	cd $(1) && ctest --output-on-failure
endef

test: deps
	$(MAKE) --no-print-directory test-release test-double test-sanitize

test-release:
	$(call build_and_test,build-test,-DCMAKE_BUILD_TYPE=Release)

test-double:
	$(call build_and_test,build-test-double,-DCMAKE_BUILD_TYPE=Release -DMAML_DOUBLE=ON)

test-sanitize:
	$(call build_and_test,build-test-asan,-DCMAKE_BUILD_TYPE=Debug -DMAML_SANITIZE=ON)

clean:
	rm -rf build build-test build-test-double build-test-asan build-double
