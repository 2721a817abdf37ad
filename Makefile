# A thin façade over CMake. `make run` and `make test` do all set-up on a fresh Debian machine.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
SLIPWAY_HOME ?= $(CURDIR)/.slipway-demo
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test test-corpus unit integration fuzz sanitize bench fmt clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The demo: the iris pipeline on the local backend, with its store under .slipway-demo/.
run: build
	SLIPWAY_HOME=$(SLIPWAY_HOME) $(BUILD)/slipway run configs/pipelines/iris.yaml

# The fuzzer first, so ctest's summary is the last thing printed.
test: build
	$(MAKE) fuzz
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Every corpus pipeline that can run here, end to end (make test runs the quick set).
CORPORA ?= ../shared/corpora
test-corpus: build
	python3 tests/integration/kfp_corpus_runs.py $(BUILD)/slipway $(CORPORA)/kfp-ir --all --warm-and-cold

unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration

# libFuzzer over the spec parser and validator, and over OIP request tensors, with ASan and
# UBSan, for a bounded time each.
fuzz: deps
	cmake -S . -B $(BUILD)-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSLIPWAY_FUZZ=ON -DSLIPWAY_BUILD_TESTS=OFF -DSLIPWAY_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target spec_fuzzer oip_fuzzer sklearn_native_fuzzer
	bash fuzz/run.sh $(BUILD)-fuzz/fuzz/spec_fuzzer $(FUZZ_SECONDS)
	bash fuzz/run.sh $(BUILD)-fuzz/fuzz/oip_fuzzer $(FUZZ_SECONDS)
	bash fuzz/run.sh $(BUILD)-fuzz/fuzz/sklearn_native_fuzzer $(FUZZ_SECONDS)

# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (any finding fails its test),
# and the HTTP transport's drain, 200 times under ThreadSanitizer. CI runs it after `make test`.
SANITIZE_FLAGS = -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DSLIPWAY_CUDA=OFF
sanitize: deps
	cmake -S . -B $(BUILD)-asan $(SANITIZE_FLAGS) -DSLIPWAY_SANITIZE=ON
	cmake --build $(BUILD)-asan -j $(JOBS) --target slipway_tests slipway_transport_tests
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=0 SLIPWAY_DRAIN_ITERATIONS=200 \
	  ctest --output-on-failure -L unit -LE gpu -j $(JOBS)
	cmake -S . -B $(BUILD)-tsan $(SANITIZE_FLAGS) -DCMAKE_CXX_COMPILER=clang++ -DSLIPWAY_TSAN=ON
	cmake --build $(BUILD)-tsan -j $(JOBS) --target slipway_transport_tests
	SLIPWAY_DRAIN_ITERATIONS=200 $(BUILD)-tsan/tests/slipway_transport_tests

bench: build
	bash bench/engine_throughput.sh $(BUILD)/slipway
	bash bench/slurm_throughput.sh $(BUILD)/slipway
	bash bench/train_mlp.sh $(BUILD)
	bash bench/train_gpt.sh $(BUILD)
	bash bench/allreduce.sh $(BUILD)
	bash bench/train_gpt_gpu.sh $(BUILD)
	bash bench/hpo.sh $(BUILD)
	bash bench/serve.sh $(BUILD)
	bash bench/training_job.sh $(BUILD)/slipway
	bash bench/serve_models.sh $(BUILD)
	bash bench/python_steps.sh $(BUILD)/slipway

# The same file set that scripts/check-tree.sh (run by CI) checks.
fmt:
	git ls-files -z -- 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'kernels/*.cc' 'kernels/*.h' \
	  'kernels/*.cu' 'kernels/*.cuh' 'launcher/*.cc' 'launcher/*.h' 'fuzz/*.cc' | xargs -0 clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz $(BUILD)-asan $(BUILD)-tsan
