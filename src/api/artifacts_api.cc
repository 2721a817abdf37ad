// /api/v1/artifacts/{id}: an artifact's record with its lineage (the task that wrote it and the
// tasks that read it), and /content to download its bytes.
#include <filesystem>

#include "api/handlers.h"
#include "core/files.h"

namespace slipway::api {

namespace {

// Served whole from memory; larger files are read where they are (the record has the path).
constexpr std::uintmax_t kMaxDownload = 512u << 20;

std::string file_path_of(const std::string& uri) {
  return uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
}

}  // namespace

Response artifacts_route(Ctx& c) {
  const auto& s = c.req.seg;
  if (c.req.method != "GET") return method_not_allowed(c.req, "GET");
  if (s.size() < 4 || s.size() > 5) return not_found(c.req);
  std::int64_t id = 0;
  try {
    size_t used = 0;
    id = std::stoll(s[3], &used);
    if (used != s[3].size()) throw std::invalid_argument(s[3]);
  } catch (const std::exception&) {
    return error(InvalidInput("artifact ids are numbers, not '" + s[3] + "'"));
  }
  auto a = c.store.get_artifact(id);
  if (!a.ok()) return error(a.status());
  auto run = visible_run(c, a->run_id);
  if (!run.ok()) return error(NotFound("no artifact " + s[3]));
  if (s.size() == 5 && s[4] == "content") {
    std::string path = file_path_of(a->uri);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      return error(Conflict("artifact " + s[3] + " is a directory (" + path +
                            "); download its files from there"));
    auto size = std::filesystem::file_size(path, ec);
    if (ec)
      return error(NotFound("artifact " + s[3] + "'s file " + path + " is gone: " + ec.message()));
    if (size > kMaxDownload)
      return error(Conflict("artifact " + s[3] + " is " + std::to_string(size) +
                            " bytes, over the download limit; read it at " + path));
    auto bytes = read_file(path);
    if (!bytes.ok()) return error(bytes.status());
    std::string filename = std::filesystem::path(path).filename().string();
    return {200,
            "application/octet-stream",
            std::move(*bytes),
            {{"Content-Disposition", "attachment; filename=\"" + filename + "\""}}};
  }
  if (s.size() == 5) return not_found(c.req);
  Json edges = Json::array();
  for (const auto& e : c.store.lineage_of_artifact(id))
    edges.push_back(
        {{"run", e.run_id}, {"task", e.task}, {"direction", e.direction}, {"name", e.name}});
  return json_ok(Json{{"id", a->id},
                      {"run", a->run_id},
                      {"task", a->task},
                      {"name", a->name},
                      {"type", a->type},
                      {"uri", a->uri},
                      {"sha256", a->sha256},
                      {"size", a->size},
                      {"metadata", a->metadata},
                      {"created_ms", a->created_ms},
                      {"lineage", edges}});
}

}  // namespace slipway::api
