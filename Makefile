# Entry points for people; CMake does the real work in $(BUILD_DIR).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/tasks.toml
JOBS ?= 2
# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer, in a build of their own.
SANITIZE_BUILD_DIR ?= build-sanitize
# libFuzzer targets need clang; Debian 12's clang-16 is the first that compiles <expected>.
# Warnings are errors in the g++ builds; clang's extra ones are shown, not fatal, here.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_CXX ?= clang++-16
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build run test test-sanitize fuzz-build fuzz bench package format clean

all: build

deps:
	./scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTASKSRUN_WERROR=ON

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	./$(BUILD_DIR)/tasksrun -c $(CONFIG)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

test-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTASKSRUN_WERROR=ON \
	  -DTASKSRUN_SANITIZE=ON -DTASKSRUN_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_BUILD_DIR) -j$(JOBS)
	ctest --test-dir $(SANITIZE_BUILD_DIR) --output-on-failure -j$(JOBS)

fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTASKSRUN_WERROR=OFF \
	  -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DTASKSRUN_FUZZ=ON -DTASKSRUN_BUILD_TESTS=OFF \
	  -DTASKSRUN_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target config_fuzz cron_fuzz control_fuzz

# Each fuzzer for FUZZ_SECONDS on its seed corpus (new inputs go to a scratch directory).
fuzz: fuzz-build
	./tests/fuzz/run-fuzzers.sh $(FUZZ_BUILD_DIR)/fuzz $(FUZZ_SECONDS)

package: build
	cmake --build $(BUILD_DIR) --target package

bench: build
	./scripts/run-benchmarks.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_BUILD_DIR) $(FUZZ_BUILD_DIR)
