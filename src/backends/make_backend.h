// Backends by name: local, slurm or k8s.
#pragma once

#include <memory>
#include <string>

#include "backends/backend.h"

namespace slipway::backends {

Result<std::unique_ptr<Backend>> make_backend(const std::string& name);

}  // namespace slipway::backends
