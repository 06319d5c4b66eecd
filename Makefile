# Entry points for people; CMake does the real work in $(BUILD_DIR).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/tasks.toml
JOBS ?= 2

.PHONY: all deps configure build run test bench package format clean

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

package: build
	cmake --build $(BUILD_DIR) --target package

bench: build
	./scripts/run-benchmarks.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD_DIR)
