// `slipway server`: the REST API and the dashboard over the store, and the recurring runs'
// scheduler; `slipway server token create|ls|revoke` manages its API tokens.
#include <signal.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "api/api_service.h"
#include "cli/common.h"
#include "core/clock.h"
#include "core/files.h"
#include "runs/run_control.h"
#include "schedule/runner.h"
#include "serve/http_server.h"

namespace slipway::cli {

namespace fs = std::filesystem;

namespace {

const char* kUsage =
    "slipway server [--port P] [--host ADDR] [--no-auth] [--port-file FILE] [--web DIR]\n"
    "               [--tls-cert FILE --tls-key FILE]\n"
    "  P defaults to 8700 (0: any free port, written to --port-file); ADDR to 127.0.0.1\n"
    "slipway server token create --namespace NS [--admin] [--description TEXT] | token ls | token "
    "revoke ID  [--output text|json]";

// The dashboard's files: --web, else web/ beside the build directory or the installed share/.
fs::path default_web_dir() {
  fs::path exe_dir = self_executable().parent_path();
  for (const fs::path& p : {exe_dir / ".." / "web", exe_dir / ".." / "share" / "slipway" / "web"})
    if (fs::exists(p / "index.html")) return fs::weakly_canonical(p);
  return exe_dir / ".." / "web";
}

int token_cmd(const Args& args) {
  po::options_description opts("token options");
  opts.add_options()("verb", po::value<std::string>()->required(), "create, ls or revoke")(
      "id", po::value<std::string>(), "token id, for revoke")("namespace", po::value<std::string>(),
                                                              "the namespace the token acts in")(
      "admin", po::bool_switch(), "the token reaches every namespace")(
      "description", po::value<std::string>()->default_value(""), "what the token is for")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("verb", 1).add("id", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  const std::string verb = vm["verb"].as<std::string>();
  if (verb == "create") {
    if (!vm.count("namespace")) {
      std::fprintf(stderr,
                   "slipway server token create: which namespace? add --namespace NS (with --admin "
                   "the token reaches all of them)\n");
      return 2;
    }
    const std::string ns = vm["namespace"].as<std::string>();
    if (ns.empty() || ns.size() > 63 ||
        ns.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
      std::fprintf(stderr,
                   "slipway server token create: namespace '%s' must be 1-63 lowercase letters, "
                   "digits or '-' (as Kubernetes names are)\n",
                   ns.c_str());
      return 2;
    }
    auto token = store->create_token(ns, vm["admin"].as<bool>(),
                                     vm["description"].as<std::string>(), now_ms());
    if (!token.ok()) {
      std::fprintf(stderr, "slipway: %s\n", token.status().message().c_str());
      return 1;
    }
    if (*mode == OutputMode::kJson)
      print_json({{"token", *token}, {"namespace", ns}, {"admin", vm["admin"].as<bool>()}});
    else
      std::printf("%s\n", token->c_str());
    if (*mode == OutputMode::kText)
      std::fprintf(stderr, "keep it: the token is not stored and cannot be shown again\n");
    return 0;
  }
  if (verb == "ls") {
    auto tokens = store->list_tokens();
    if (*mode == OutputMode::kJson) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& t : tokens)
        arr.push_back({{"id", t.id},
                       {"namespace", t.ns},
                       {"admin", t.admin},
                       {"description", t.description},
                       {"created_ms", t.created_ms},
                       {"revoked_ms", t.revoked_ms}});
      print_json(arr);
      return 0;
    }
    std::vector<std::vector<std::string>> rows = {
        {"ID", "NAMESPACE", "ADMIN", "CREATED", "REVOKED", "DESCRIPTION"}};
    for (const auto& t : tokens)
      rows.push_back({t.id, t.ns, t.admin ? "yes" : "no", format_age(t.created_ms),
                      t.revoked_ms ? format_age(t.revoked_ms) : "-", t.description});
    print_table(rows);
    return 0;
  }
  if (verb == "revoke") {
    if (!vm.count("id")) {
      std::fprintf(
          stderr,
          "slipway server token revoke: which token? (slipway server token ls lists their ids)\n");
      return 2;
    }
    Status st = store->revoke_token(vm["id"].as<std::string>(), now_ms());
    if (!st.ok()) {
      std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
      return 1;
    }
    std::printf("token %s revoked\n", vm["id"].as<std::string>().c_str());
    return 0;
  }
  std::fprintf(stderr, "slipway server token: unknown verb '%s'; usage: %s\n", verb.c_str(),
               kUsage);
  return 2;
}

// Scheduled runs that were created but never got a driver (the server died in between) get one.
void start_orphaned_scheduled_runs(store::Store& store) {
  store::RunFilter f;
  f.state = "PENDING";
  f.limit = 1000;
  f.with_source = false;
  for (const auto& r : store.list_runs(f))
    if (!r.schedule_id.empty() && r.driver_pid == 0 && r.heartbeat_ms == 0) {
      auto pid = runs::spawn_driver(r, runs::DriveMode::kStart);
      std::fprintf(stderr, "slipway server: run %s of schedule %s had no driver: %s\n",
                   r.id.c_str(), r.schedule_id.c_str(),
                   pid.ok() ? "started one" : pid.status().message().c_str());
    }
}

}  // namespace

int cmd_server(const Args& args) {
  if (!args.empty() && args[0] == "token") return token_cmd(Args(args.begin() + 1, args.end()));
  po::options_description opts("server options");
  opts.add_options()("port", po::value<int>()->default_value(8700),
                     "port to listen on (0: any free port)")(
      "host", po::value<std::string>()->default_value("127.0.0.1"),
      "address to listen on (0.0.0.0: every interface)")(
      "no-auth", po::bool_switch(),
      "no API tokens: every caller is the admin of namespace default (for a workstation)")(
      "port-file", po::value<std::string>(), "write the port listened on to this file")(
      "web", po::value<std::string>(), "the dashboard's files (default: web/)")(
      "tick-ms", po::value<int>()->default_value(1000), "how often recurring runs are checked")(
      "tls-cert", po::value<std::string>(), "serve HTTPS with this PEM certificate chain")(
      "tls-key", po::value<std::string>(), "the certificate's PEM private key");
  po::positional_options_description pos;
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  const int port = vm["port"].as<int>();
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "slipway server: port %d is not 0..65535\n", port);
    return 2;
  }
  const int tick_ms = vm["tick-ms"].as<int>();
  if (tick_ms < 10 || tick_ms > 60'000) {
    std::fprintf(stderr, "slipway server: --tick-ms %d is not 10..60000\n", tick_ms);
    return 2;
  }
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  api::ApiOptions ao;
  ao.home = store->home();
  ao.web_dir = vm.count("web") ? fs::path(vm["web"].as<std::string>()) : default_web_dir();
  ao.auth = !vm["no-auth"].as<bool>();
  ao.version = "0.1.0";
  const std::string host = vm["host"].as<std::string>();
  if (!ao.auth && host != "127.0.0.1" && host != "::1" && host != "localhost")
    std::fprintf(stderr,
                 "slipway server: warning: --no-auth on %s lets anyone who can reach it run "
                 "commands as you\n",
                 host.c_str());
  if (ao.auth && store->list_tokens().empty())
    std::fprintf(stderr,
                 "slipway server: no API tokens yet; create one with: slipway server token create "
                 "--namespace default --admin\n");
  api::ApiService api(ao);
  serve::ServerOptions so;
  so.host = host;
  so.port = port;
  so.io_threads = 4;  // store queries block their thread; a long one must not stall the rest
  if (vm.count("tls-cert")) so.tls_cert = vm["tls-cert"].as<std::string>();
  if (vm.count("tls-key")) so.tls_key = vm["tls-key"].as<std::string>();
  const char* scheme = so.tls_cert.empty() ? "http" : "https";
  serve::HttpServer server(api, so);
  if (Status s = server.listen(); !s.ok()) {
    std::fprintf(stderr, "slipway server: %s\n", s.message().c_str());
    return s.code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  if (!write_port_file(vm, server.port(), "slipway server")) return 1;
  std::fprintf(stderr,
               "slipway server: %s on %s://%s:%d (API /api/v1, KFP API /apis/v2beta1, dashboard "
               "/)%s\n",
               store->home().string().c_str(), scheme, host.c_str(), server.port(),
               ao.auth ? "" : ", no auth");

  boost::asio::io_context signals_ioc;
  boost::asio::signal_set signals(signals_ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    std::fprintf(stderr, "slipway server: %s: draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.shutdown();
  });
  std::thread signal_thread([&] { signals_ioc.run(); });
  std::atomic<bool> stopping{false};
  // The scheduler: its own store connection, the wall clock, drivers started after each commit.
  std::thread scheduler([&] {
    auto own = store::Store::open(ao.home);
    if (!own.ok()) {
      std::fprintf(stderr, "slipway server: the scheduler cannot open the store: %s\n",
                   own.status().message().c_str());
      return;
    }
    start_orphaned_scheduled_runs(**own);
    schedule::ScheduleRunner runner(
        **own, [](store::Store& st, const store::ScheduleRecord& s, std::int64_t tick_ms) {
          return runs::create_scheduled_run(st, s, tick_ms, now_ms());
        });
    while (!stopping) {
      for (const auto& f : runner.tick(now_ms())) {
        if (f.run_id.empty()) continue;
        auto run = (*own)->get_run(f.run_id);
        auto pid = run.ok() ? runs::spawn_driver(*run, runs::DriveMode::kStart)
                            : Result<int>(run.status());
        std::fprintf(stderr, "slipway server: schedule %s fired for %s: run %s%s\n",
                     f.schedule_id.c_str(), iso8601_ms(f.tick_ms).c_str(), f.run_id.c_str(),
                     pid.ok()
                         ? ""
                         : (" (its driver did not start: " + pid.status().message() + ")").c_str());
      }
      if (!runner.last_error().ok())
        std::fprintf(stderr,
                     "slipway server: recurring runs: the store failed: %s (retried next tick)\n",
                     runner.last_error().message().c_str());
      runs::reap_drivers();
      for (int waited = 0; waited < tick_ms && !stopping; waited += 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  server.run();
  stopping = true;
  signals_ioc.stop();
  signal_thread.join();
  scheduler.join();
  std::fprintf(stderr, "slipway server: stopped\n");
  return 0;
}

}  // namespace slipway::cli
