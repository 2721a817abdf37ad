// Python virtual environments that slipway creates and reuses: one per distinct package set,
// under a root directory ($SLIPWAY_PYENVS, else $SLIPWAY_HOME/pyenvs), made on first use and
// kept. Creation is serialized with a file lock, so parallel tasks, serving workers and other
// nodes sharing the root never install into one environment at once. KFP Python components
// (`slipway __pyenv`) and the serving daemon's model workers both use them.
//
// They are built with uv (a few seconds where pip takes tens), sharing uv's package cache:
// $SLIPWAY_UV, or uv on PATH, or one slipway installs from PyPI for this user on first use
// (~/.cache/slipway/uv). Where uv cannot be had (no network for that, SLIPWAY_UV=off) they are
// built with pip.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway {

// The environments' root: $SLIPWAY_PYENVS when set, else `home`/pyenvs.
std::filesystem::path pyenvs_root(const std::filesystem::path& home);

// Where the environment holding `specs` is (or will be), and whether it is built.
std::filesystem::path pyenv_dir(const std::filesystem::path& root, std::vector<std::string> specs);
bool pyenv_ready(const std::filesystem::path& env);

// The environment holding `specs` (pip requirement specs), created when missing; progress and
// the installer's own messages go to stderr. The error says what is missing (python3, its venv
// module) or that the installer failed.
Result<std::filesystem::path> ensure_pyenv(const std::filesystem::path& root,
                                           std::vector<std::string> specs);

}  // namespace slipway
