#include "core/files.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/hash.h"
#include "core/strings.h"

namespace slipway {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path.string() + ": no such file or not readable");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_file_atomic(const fs::path& path, const std::string& contents, bool owner_only) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".tmp-" + random_hex(8);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Failed("cannot write " + tmp.string());
    if (owner_only) {
      fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
      if (ec) return Failed("cannot restrict " + tmp.string() + " to its owner: " + ec.message());
    }
    out << contents;
    out.flush();
    if (!out) return Failed("cannot write " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec)
    return Failed("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return Status::Ok();
}

fs::path slipway_home() {
  if (const char* h = std::getenv("SLIPWAY_HOME"); h && *h) return fs::absolute(h);
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".slipway";
  return fs::current_path() / ".slipway";
}

fs::path self_executable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("slipway") : p;
}

bool on_path(const std::string& cmd) {
  if (cmd.find('/') != std::string::npos) return std::filesystem::exists(cmd);
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/bin:/bin", ':'))
    if (!dir.empty() && ::access((std::filesystem::path(dir) / cmd).c_str(), X_OK) == 0)
      return true;
  return false;
}

std::string last_line_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > 4096 ? size - 4096 : 0;
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(in.gcount()));
  const std::string line = last_line(tail);
  return line.size() > 600 ? line.substr(0, 600) + "..." : line;
}

Result<std::filesystem::path> write_script_once(const std::filesystem::path& dir,
                                                const std::string& stem, const std::string& text) {
  const std::filesystem::path path = dir / (stem + "-" + sha256_hex(text).substr(0, 12) + ".py");
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Failed("cannot create " + dir.string() + ": " + ec.message());
  if (Status s = write_file_atomic(path, text); !s.ok()) return s;
  return path;
}

}  // namespace slipway
