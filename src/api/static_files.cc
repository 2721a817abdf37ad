// The dashboard's files: web/ (index.html, app.js, app.css) and, under /vendor/, the Debian
// packages' Bootstrap 5 and Chart.js, served from /usr/share/javascript where apt put them.
#include <filesystem>

#include "api/handlers.h"
#include "core/files.h"

namespace slipway::api {

namespace {

std::string content_type_of(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  return "application/octet-stream";
}

Response file_response(const std::filesystem::path& path, const std::string& missing_hint) {
  auto bytes = read_file(path);
  if (!bytes.ok())
    return {404,
            "text/plain; charset=utf-8",
            path.string() + " is missing: " + missing_hint + "\n",
            {}};
  return {200, content_type_of(path), std::move(*bytes), {{"Cache-Control", "no-cache"}}};
}

}  // namespace

Response static_route(const ApiOptions& o, const ApiRequest& r) {
  if (r.method != "GET" && r.method != "HEAD") return method_not_allowed(r, "GET");
  if (r.seg.empty() || (r.seg.size() == 1 && r.seg[0] == "index.html"))
    return file_response(o.web_dir / "index.html", "the dashboard's files are not installed");
  if (r.seg.size() == 2 && r.seg[0] == "vendor") {
    if (r.seg[1] == "bootstrap.min.css")
      return file_response("/usr/share/javascript/bootstrap5/css/bootstrap.min.css",
                           "apt-get install libjs-bootstrap5");
    if (r.seg[1] == "chart.min.js")
      return file_response("/usr/share/javascript/chart.js/chart.min.js",
                           "apt-get install libjs-chart.js");
    return not_found(r);
  }
  // Only plain names directly under web/: nothing a path can climb out of.
  if (r.seg.size() == 1 && r.seg[0].find("..") == std::string::npos &&
      r.seg[0].find('/') == std::string::npos && !r.seg[0].empty() && r.seg[0][0] != '.')
    return file_response(o.web_dir / r.seg[0], "no such dashboard file");
  return not_found(r);
}

}  // namespace slipway::api
