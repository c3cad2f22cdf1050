# Thin wrapper over CMake: the two commands of the README.
#   make run   install what is missing, build, run the main job
#   make test  install what is missing, check the source layout (clang-format), build three
#              ways (release, double precision,
#              ASan + UBSan), warnings as errors, and run every test in each; the fast
#              tests again under valgrind; install the release and double builds and
#              build the examples against each; then fuzz the parsers (libFuzzer)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build

.PHONY: all deps build run test test-format test-release test-install test-valgrind test-double test-sanitize test-fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the MAML paper's 2D navigation experiment at its settings (a few minutes on
# 2 cores). Meta-train MAML, train the pretrained baseline, then evaluate few-shot adaptation
# on 40 held-out goals against them and a random initialisation (the baselines' step sizes
# picked by a sweep on other goals), and draw the plots.
RUN_DIR ?= runs/nav2d-$(shell date +%Y%m%d-%H%M%S)
run: build
	./$(BUILD)/maml version
	./$(BUILD)/maml train --config configs/nav2d.ini --run-dir $(RUN_DIR)/maml
	./$(BUILD)/maml train --config configs/nav2d.ini --mode pretrain --run-dir $(RUN_DIR)/pretrain
	./$(BUILD)/maml eval --policy maml=$(RUN_DIR)/maml --policy pretrained=$(RUN_DIR)/pretrain \
	  --policy random --sweep-alpha 0.02,0.05,0.1,0.2,0.5,1.0 --out $(RUN_DIR)/eval
	./$(BUILD)/maml plot $(RUN_DIR)/maml
	@echo "run directory: $(RUN_DIR) (maml/, pretrain/, eval/)"

define build_and_test
	cmake -S . -B $(1) -DMAML_WERROR=ON $(2)
	cmake --build $(1) -j $(JOBS)
	cd $(1) && ctest --output-on-failure
endef

test: deps
	$(MAKE) --no-print-directory test-format test-release test-valgrind test-double test-install test-sanitize test-fuzz

# every tracked C file formatted as .clang-format says (scripts/check-format.sh --fix formats them)
test-format:
	bash scripts/check-format.sh

test-release:
	$(call build_and_test,build-test,-DCMAKE_BUILD_TYPE=Release)

test-double:
	$(call build_and_test,build-test-double,-DCMAKE_BUILD_TYPE=Release -DMAML_DOUBLE=ON)

test-sanitize:
	$(call build_and_test,build-test-asan,-DCMAKE_BUILD_TYPE=Debug -DMAML_SANITIZE=ON)

# the release and double builds installed into a temporary prefix each, the examples built
# and run against them
test-install: test-release test-double
	bash tests/install.sh build-test
	bash tests/install.sh build-test-double

# valgrind memcheck on the fast unit tests and the command end to end (release build)
test-valgrind: test-release
	bash tests/valgrind.sh build-test configs

# libFuzzer (clang) on the config, checkpoint and command-line parsers, FUZZ_SECONDS each
FUZZ_SECONDS ?= 60
test-fuzz:
	CC=clang cmake -S . -B build-fuzz -DMAML_FUZZ=ON -DMAML_TESTS=OFF -DMAML_BENCH=OFF \
	  -DMAML_VIEWER=OFF -DMAML_MPI=OFF -DMAML_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS)
	bash fuzz/run.sh build-fuzz/fuzz $(FUZZ_SECONDS) build-fuzz/artifacts

clean:
	rm -rf build build-test build-test-double build-test-asan build-double build-fuzz
