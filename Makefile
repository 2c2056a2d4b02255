# The README's two commands: `make run` and `make test`. Both install what is missing first.
JOBS   ?= $(shell nproc)
CONFIG ?= config/switchyard.yaml
CMAKE  ?= cmake

.PHONY: all deps deps-e2e build build-gateway build-asan run test test-unit test-cluster test-asan test-e2e bench-overhead format clean

all: build

deps:
	@./scripts/install-deps.sh

deps-e2e:
	@./scripts/install-deps.sh --with-e2e

build/build.ninja:
	$(CMAKE) -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build-asan/build.ninja:
	$(CMAKE) -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSWITCHYARD_SANITIZE=ON

build: deps build/build.ninja
	$(CMAKE) --build build -j $(JOBS)

build-asan: deps build-asan/build.ninja
	$(CMAKE) --build build-asan -j $(JOBS)

build-gateway: deps build/build.ninja
	$(CMAKE) --build build -j $(JOBS) --target switchyard

run: build-gateway
	@mkdir -p var
	./build/runtime/switchyard --config $(CONFIG)

# Everything: unit, integration and end-to-end on the release build, then unit and
# integration again under ASan+UBSan.
test: deps-e2e build build-asan
	cd build && ctest --output-on-failure -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L 'unit|integration'

test-unit: build
	cd build && ctest --output-on-failure -j $(JOBS) -L unit

# The cluster tests alone (three nodes, Redis, PostgreSQL, nginx; about five minutes). `make test`
# runs them too, in the release build only.
test-cluster: build
	cd build && ctest --output-on-failure -L cluster

bench-overhead: build
	./bench/overhead/run.sh

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build build-asan
