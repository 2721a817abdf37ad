// The CLI against a `slipway server` instead of the local store: `slipway --server URL run FILE`
// and `slipway --server URL runs ls|show|logs|cancel|retry|resume`. The token comes from
// --token or SLIPWAY_TOKEN; an https:// server's CA from the system or SLIPWAY_CA_CERT. Output
// matches the local commands' (text tables, --output json).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/common.h"
#include "core/files.h"
#include "serve/http_client.h"

namespace slipway::cli {

namespace {

using Json = nlohmann::json;

struct Remote {
  serve::HttpEndpoint to;
  std::string auth;

  Result<Json> call(const std::string& method, const std::string& target,
                    const std::string& body = "") const {
    auto r = serve::http_call(to, method, "/api/v1" + target, body,
                              std::chrono::milliseconds(60'000), auth);
    if (!r.ok()) return r.status();
    Json j = Json::parse(r->body, nullptr, false);
    if (r->status >= 400) {
      std::string why =
          j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r->body;
      ErrorCode code = r->status == 400   ? ErrorCode::kInvalidInput
                       : r->status == 404 ? ErrorCode::kNotFound
                       : r->status == 409 ? ErrorCode::kConflict
                                          : ErrorCode::kFailed;
      return Status(code, "the server answered " + std::to_string(r->status) + ": " + why);
    }
    if (j.is_discarded())
      return Failed("the server's answer is not JSON: " + r->body.substr(0, 200));
    return j;
  }
};

// --server http://HOST:PORT or https://HOST:PORT; HTTPS trusts the system's CAs, or the PEM
// bundle SLIPWAY_CA_CERT names (a server's own CA).
Result<Remote> parse_server(const std::string& url, const std::string& token) {
  std::string rest = url;
  Remote r;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest = rest.substr(8);
    r.to.tls = true;
    if (const char* ca = std::getenv("SLIPWAY_CA_CERT"); ca && *ca) r.to.ca_file = ca;
  } else if (rest.find("://") != std::string::npos) {
    return InvalidInput("--server " + url + ": write http://HOST:PORT or https://HOST:PORT");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  r.to.host = rest.substr(0, colon);
  try {
    r.to.port =
        colon == std::string::npos ? (r.to.tls ? 443 : 80) : std::stoi(rest.substr(colon + 1));
  } catch (const std::exception&) {
    return InvalidInput("--server " + url + ": write http://HOST:PORT or https://HOST:PORT");
  }
  if (r.to.host.empty() || r.to.port <= 0 || r.to.port > 65535)
    return InvalidInput("--server " + url + ": write http://HOST:PORT or https://HOST:PORT");
  if (!token.empty()) r.auth = "Bearer " + token;
  return r;
}

int report(const Status& s) {
  std::fprintf(stderr, "slipway: %s\n", s.message().c_str());
  return s.code() == ErrorCode::kInvalidInput ? 2 : 1;
}

std::string query_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

int remote_run(const Remote& remote, const Args& args) {
  po::options_description opts("run options");
  opts.add_options()("file", po::value<std::string>()->required(), "pipeline file")(
      "param,p", po::value<std::vector<std::string>>()->composing(), "NAME=VALUE")(
      "backend", po::value<std::string>()->default_value("local"), "local, slurm or k8s")(
      "experiment", po::value<std::string>()->default_value("Default"), "experiment")(
      "namespace", po::value<std::string>()->default_value(""), "namespace (admin tokens)")(
      "no-cache", po::bool_switch(), "run every task")(
      "wait", po::bool_switch(), "wait for the run to finish and exit with its outcome")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args,
                  "slipway --server URL run FILE [-p NAME=VALUE]... [--experiment E] [--wait] "
                  "[--output text|json]",
                  opts, pos, &vm, &rc))
    return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  const std::string file = vm["file"].as<std::string>();
  auto text = read_file(file);
  if (!text.ok()) return report(InvalidInput(text.status().message()));
  auto params = param_options_json(vm);
  if (!params) return 2;
  Json body = {{"pipeline", *text},
               {"file", std::filesystem::absolute(file).string()},
               {"params", *params},
               {"experiment", vm["experiment"].as<std::string>()},
               {"backend", vm["backend"].as<std::string>()},
               {"no_cache", vm["no-cache"].as<bool>()}};
  if (!vm["namespace"].as<std::string>().empty())
    body["namespace"] = vm["namespace"].as<std::string>();
  auto run = remote.call("POST", "/runs", body.dump());
  if (!run.ok()) return report(run.status());
  const std::string id = (*run)["id"];
  if (!vm["wait"].as<bool>()) {
    if (*mode == OutputMode::kJson)
      print_json(*run);
    else
      std::printf("%s\n", id.c_str());
    return 0;
  }
  Json doc;
  for (;;) {
    auto d = remote.call("GET", "/runs/" + id);
    if (!d.ok()) return report(d.status());
    doc = *d;
    const std::string state = doc["state"];
    if (state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (*mode == OutputMode::kJson)
    print_json(doc);
  else
    std::printf("run %s %s\n", id.c_str(), doc["state"].get<std::string>().c_str());
  return doc["state"] == "SUCCEEDED" ? 0 : 1;
}

int remote_runs(const Remote& remote, const Args& args) {
  po::options_description opts("runs options");
  opts.add_options()("verb", po::value<std::string>()->required(),
                     "ls, show, logs, cancel, resume, retry")(
      "run", po::value<std::string>(), "run id")("task", po::value<std::string>(),
                                                 "task, for logs")(
      "attempt", po::value<int>()->default_value(0), "attempt, for logs")(
      "follow,f", po::bool_switch(), "logs: keep printing as the task writes, until it ends")(
      "state", po::value<std::string>()->default_value(""), "ls filter")(
      "pipeline", po::value<std::string>()->default_value(""), "ls filter")(
      "experiment", po::value<std::string>()->default_value(""), "ls filter")(
      "namespace", po::value<std::string>()->default_value(""), "ls filter (admin tokens)")(
      "limit", po::value<int>()->default_value(50), "ls: at most this many")(
      "page-token", po::value<std::string>()->default_value(""), "ls: the page after this token")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("verb", 1).add("run", 1).add("task", 1);
  po::variables_map vm;
  int rc = 0;
  const char* usage =
      "slipway --server URL runs ls [--state S] [--pipeline P] [--experiment E] [--limit N] "
      "[--page-token T] | show RUN | logs RUN TASK [--follow] | cancel RUN | retry RUN | resume "
      "RUN";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  const std::string verb = vm["verb"].as<std::string>();
  if (verb == "ls") {
    std::string q = "?page_size=" + std::to_string(vm["limit"].as<int>());
    for (const char* k : {"state", "pipeline", "experiment", "namespace"})
      if (!vm[k].as<std::string>().empty())
        q += std::string("&") + k + "=" + query_escape(vm[k].as<std::string>());
    if (!vm["page-token"].as<std::string>().empty())
      q += "&page_token=" + query_escape(vm["page-token"].as<std::string>());
    auto page = remote.call("GET", "/runs" + q);
    if (!page.ok()) return report(page.status());
    if (*mode == OutputMode::kJson) {
      print_json(*page);
      return 0;
    }
    std::vector<std::vector<std::string>> rows = {
        {"RUN", "PIPELINE", "STATE", "CREATED", "NAMESPACE", "EXPERIMENT"}};
    for (const auto& r : (*page)["runs"])
      rows.push_back({r["id"], r["pipeline"], r["state"],
                      format_age(r["created_ms"].get<std::int64_t>()), r["namespace"],
                      r["experiment"]});
    print_table(rows);
    if (page->contains("next_page_token"))
      std::fprintf(stderr, "more: --page-token %s\n",
                   (*page)["next_page_token"].get<std::string>().c_str());
    return 0;
  }
  if (!vm.count("run")) return report(InvalidInput("runs " + verb + ": which run?"));
  const std::string id = query_escape(vm["run"].as<std::string>());
  if (verb == "show") {
    auto doc = remote.call("GET", "/runs/" + id);
    if (!doc.ok()) return report(doc.status());
    if (*mode == OutputMode::kJson) {
      print_json(*doc);
      return 0;
    }
    std::printf(
        "run:       %s\npipeline:  %s\nstate:     %s\nnamespace: %s\nexperiment: %s\n\n",
        (*doc)["id"].get<std::string>().c_str(), (*doc)["pipeline"].get<std::string>().c_str(),
        (*doc)["state"].get<std::string>().c_str(), (*doc)["namespace"].get<std::string>().c_str(),
        (*doc)["experiment"].get<std::string>().c_str());
    std::vector<std::vector<std::string>> rows = {{"TASK", "STATE", "ATTEMPTS"}};
    for (const auto& t : (*doc)["tasks"])
      rows.push_back({t["name"],
                      t["state"].get<std::string>() + (t["cached"].get<bool>() ? " (cached)" : ""),
                      std::to_string(t["attempts"].get<int>())});
    print_table(rows);
    return 0;
  }
  if (verb == "logs") {
    if (!vm.count("task")) return report(InvalidInput("runs logs: which task?"));
    std::int64_t offset = 0;
    const std::string base = "/runs/" + id + "/tasks/" +
                             query_escape(vm["task"].as<std::string>()) +
                             "/logs?attempt=" + std::to_string(vm["attempt"].as<int>());
    for (;;) {
      auto chunk = remote.call("GET", base + "&offset=" + std::to_string(offset));
      if (!chunk.ok()) return report(chunk.status());
      const std::string data = (*chunk)["data"];
      std::fwrite(data.data(), 1, data.size(), stdout);
      std::fflush(stdout);
      offset = (*chunk)["next_offset"];
      if ((*chunk)["complete"].get<bool>() || !vm["follow"].as<bool>()) {
        if (chunk->contains("message") && !(*chunk)["message"].get<std::string>().empty())
          std::fprintf(stderr, "%s\n", (*chunk)["message"].get<std::string>().c_str());
        return 0;
      }
      if (data.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  if (verb == "cancel" || verb == "retry" || verb == "resume") {
    auto r = remote.call("POST", "/runs/" + id + "/" + verb);
    if (!r.ok()) return report(r.status());
    if (*mode == OutputMode::kJson)
      print_json(*r);
    else
      std::printf("run %s %s\n", (*r)["id"].get<std::string>().c_str(),
                  (*r)["state"].get<std::string>().c_str());
    return 0;
  }
  return report(InvalidInput("runs: unknown verb '" + verb + "'; usage: " + usage));
}

}  // namespace

int cmd_remote(const std::string& url, const std::string& token, const std::string& cmd,
               const Args& args) {
  auto remote = parse_server(url, token);
  if (!remote.ok()) return report(remote.status());
  if (cmd == "run") return remote_run(*remote, args);
  if (cmd == "runs") return remote_runs(*remote, args);
  return report(InvalidInput("`slipway " + cmd +
                             "` works on the local store only; --server applies to run and runs "
                             "(the rest is in the REST API: docs/server.md)"));
}

}  // namespace slipway::cli
