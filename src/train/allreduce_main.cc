// slipway-allreduce-bench: nccl-tests-style all-reduce bandwidth of the trainer's two paths, MPI
// (host memory) and NCCL (GPU memory). One process per rank:
//   mpirun -n 4 slipway-allreduce-bench --backend nccl -b 8 -e 256M -f 2
#include <cstdio>
#include <string>
#include <vector>

#include "train/allreduce_bench.h"

namespace {

const char* kUsage =
    "usage: slipway-allreduce-bench [--backend mpi|nccl] [-b MIN_BYTES] [-e MAX_BYTES] [-f FACTOR] "
    "[-w WARMUP] [-n ITERS]\n"
    "                               [--output text|json]\n"
    "Sizes take K, M, G suffixes (powers of 1024). Run one process per rank (mpirun -n N, srun, "
    "slipway launch).\n";

}  // namespace

int main(int argc, char** argv) {
  slipway::train::Comm comm(&argc, &argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  slipway::train::AllreduceBenchOptions opts;
  std::string backend_name = "mpi", output = "text";
  auto fail = [&](const std::string& message) {
    if (comm.rank() == 0)
      std::fprintf(stderr, "slipway-allreduce-bench: %s\n%s", message.c_str(), kUsage);
    return 2;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      if (comm.rank() == 0) std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= args.size()) return fail(a + " needs a value");
    const std::string& v = args[++i];
    if (a == "--backend") {
      backend_name = v;
    } else if (a == "--output") {
      output = v;
    } else if (a == "-b" || a == "-e") {
      auto size = slipway::train::parse_byte_size(v);
      if (!size.ok()) return fail(size.status().message());
      (a == "-b" ? opts.min_bytes : opts.max_bytes) = *size;
    } else if (a == "-f" || a == "-w" || a == "-n") {
      int n = 0;
      try {
        n = std::stoi(v);
      } catch (...) {
        return fail(a + " needs a whole number, got '" + v + "'");
      }
      if (n < (a == "-w" ? 0 : 1)) return fail(a + " is out of range: " + v);
      (a == "-f" ? opts.factor : a == "-w" ? opts.warmup : opts.iters) = n;
    } else {
      return fail("unknown option " + a);
    }
  }
  if (output != "text" && output != "json") return fail("--output must be text or json");
  if (opts.min_bytes > opts.max_bytes) return fail("-b is larger than -e");
  std::unique_ptr<slipway::train::AllreduceBackend> backend;
  if (backend_name == "mpi") {
    backend = slipway::train::mpi_allreduce_backend();
  } else if (backend_name == "nccl") {
    auto b = slipway::train::nccl_allreduce_backend(comm);
    if (!b.ok()) {
      if (comm.rank() == 0)
        std::fprintf(stderr, "slipway-allreduce-bench: %s\n", b.status().message().c_str());
      return 1;
    }
    backend = std::move(*b);
  } else {
    return fail("--backend must be mpi or nccl, got '" + backend_name + "'");
  }
  auto rows = slipway::train::run_allreduce_bench(*backend, comm, opts);
  if (comm.rank() == 0) {
    std::string text =
        output == "json"
            ? slipway::train::format_allreduce_json(rows, backend->name(), comm.world())
            : slipway::train::format_allreduce_table(rows, backend->name(), comm.world());
    std::fputs(text.c_str(), stdout);
  }
  for (const auto& r : rows)
    if (r.wrong > 0) return 1;
  return 0;
}
