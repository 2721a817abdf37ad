// Python virtual environments that slipway creates and reuses: one per distinct package set,
// under a root directory ($SLIPWAY_PYENVS, else $SLIPWAY_HOME/pyenvs), made on first use and
// kept. Creation is serialized with a file lock, so parallel tasks, serving workers and other
// nodes sharing the root never install into one environment at once. KFP Python components
// (`slipway __pyenv`) and the serving daemon's model workers both use them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway {

// The environments' root: $SLIPWAY_PYENVS when set, else `home`/pyenvs.
std::filesystem::path pyenvs_root(const std::filesystem::path& home);

// The environment holding `specs` (pip requirement specs), created when missing; progress and
// pip's own messages go to stderr. The error says what is missing (python3, its venv module) or
// that pip failed.
Result<std::filesystem::path> ensure_pyenv(const std::filesystem::path& root,
                                           std::vector<std::string> specs);

}  // namespace slipway
