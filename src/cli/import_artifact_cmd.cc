// `slipway __import-artifact URI DEST [--metadata JSON]`: the step a KFP dsl.importer becomes.
// It brings an existing file or directory in as the task's output artifact, so it is digested,
// cached and traced in lineage like any produced artifact. Files are hard-linked where the
// filesystem allows (no copy of a large dataset), copied otherwise.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "core/files.h"
#include "core/strings.h"
#include "dag/resolve.h"

namespace slipway::cli {

namespace fs = std::filesystem;

int cmd_import_artifact(const Args& args) {
  if (args.size() != 2 && !(args.size() == 4 && args[2] == "--metadata")) {
    std::fprintf(stderr, "usage: slipway __import-artifact URI DEST [--metadata JSON]\n");
    return 2;
  }
  std::string uri = args[0];
  const fs::path dest = args[1];
  if (starts_with(uri, "file://")) uri = uri.substr(7);
  if (uri.find("://") != std::string::npos) {
    std::fprintf(stderr,
                 "slipway: cannot import %s: only local paths and file:// URIs can be read here. "
                 "Copy the data to a "
                 "local or shared filesystem and pass that path instead.\n",
                 uri.c_str());
    return 1;
  }
  std::error_code ec;
  fs::file_status st = fs::status(uri, ec);
  if (ec || !fs::exists(st)) {
    std::fprintf(stderr, "slipway: cannot import %s: no such file or directory%s\n", uri.c_str(),
                 fs::path(uri).is_relative()
                     ? " (a relative path is taken from the task's directory; give an absolute one)"
                     : "");
    return 1;
  }
  fs::create_directories(dest.parent_path(), ec);
  fs::remove_all(dest, ec);
  if (fs::is_directory(st)) {
    fs::copy(uri, dest, fs::copy_options::recursive, ec);
  } else {
    fs::create_hard_link(uri, dest, ec);
    if (ec) fs::copy_file(uri, dest, ec);
  }
  if (ec) {
    std::fprintf(stderr, "slipway: cannot import %s into %s: %s\n", uri.c_str(), dest.c_str(),
                 ec.message().c_str());
    return 1;
  }
  if (args.size() == 4) {
    Json meta = Json::parse(args[3], nullptr, false);
    if (!meta.is_object()) {
      std::fprintf(stderr, "slipway: --metadata must be a JSON object, not: %s\n", args[3].c_str());
      return 2;
    }
    // The engine reads artifact metadata from the executor output, as for a KFP Python step.
    Json out = {
        {"artifacts",
         {{dest.filename().string(), {{"artifacts", Json::array({{{"metadata", meta}}})}}}}}};
    auto s = write_file_atomic(dag::executor_output_path(dest.parent_path().string()),
                               dump_json(out, 2));
    if (!s.ok()) {
      std::fprintf(stderr, "slipway: %s\n", s.message().c_str());
      return 1;
    }
  }
  std::printf("imported %s as %s\n", uri.c_str(), dest.c_str());
  return 0;
}

}  // namespace slipway::cli
