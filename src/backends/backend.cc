#include "backends/backend.h"

#include "backends/local/local_backend.h"

namespace slipway {

Result<std::unique_ptr<Backend>> make_backend(const std::string& name) {
  if (name == "local") return std::unique_ptr<Backend>(new LocalBackend(LocalCapacity::detect()));
  return InvalidInput("unknown backend '" + name + "'; available: local");
}

}  // namespace slipway
