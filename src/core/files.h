// Filesystem helpers with the error messages users need.
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"

namespace slipway {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes through a temporary file and rename, so a reader never sees half a file.
// `owner_only`: the file is readable by its owner alone from the moment it exists (it holds a
// secret), not after the fact.
Status write_file_atomic(const std::filesystem::path& path, const std::string& contents,
                         bool owner_only = false);

// The last non-empty line of a text file (from its last 4 KiB, cut to 600 characters); "" when
// the file is missing, unreadable or blank. For a failed step's own last word beside its exit code.
std::string last_line_of(const std::filesystem::path& path);

// A script compiled into the binary, written out once per content as DIR/STEM-HASH.py (several
// processes may share the directory: an existing file of that content is used as it is).
Result<std::filesystem::path> write_script_once(const std::filesystem::path& dir,
                                                const std::string& stem, const std::string& text);

// $SLIPWAY_HOME, or ~/.slipway.
std::filesystem::path slipway_home();

// The running executable, so components can call "slipway" without it being on PATH.
std::filesystem::path self_executable();

// Whether a command can be run: a path that exists, or a name found on PATH.
bool on_path(const std::string& cmd);

}  // namespace slipway
