// The daemon's HTTP/1.1 transport on Boost.Beast/Asio: a pool of I/O threads running every
// connection asynchronously (inference runs on the models' batcher threads, never on an I/O
// thread), keep-alive, limits on header and body size, a timeout on every read (slow or idle
// clients are dropped, so they cannot hold connections forever), a cap on open connections, and a
// graceful shutdown: stop accepting, answer what is in flight (with Connection: close), close idle
// connections, then stop. With a certificate and key it speaks HTTPS (Beast's SSL stream over
// OpenSSL).
//
// Thread-safe: shutdown() may be called from any thread or a signal handler's completion.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "serve/http_types.h"

namespace slipway::serve {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0: any free port (see port())
  int io_threads = 2;
  size_t max_body_bytes = 16u << 20;
  size_t max_header_bytes = 16u << 10;
  std::chrono::milliseconds request_timeout{
      30'000};  // to read one request, and to wait for the next on a kept-alive connection
  size_t max_connections = 10'000;
  std::chrono::milliseconds drain_timeout{
      30'000};  // how long shutdown waits for requests in flight
  // HTTPS: a PEM certificate chain and its private key. Both or neither; with them the port
  // speaks only TLS (1.2 and later), and a plain-HTTP request gets a 400 saying to use https.
  std::string tls_cert, tls_key;
};

class HttpServer {
 public:
  HttpServer(HttpHandler& handler, ServerOptions options);
  ~HttpServer();
  // Binds and listens; InvalidInput for a bad address, Failed when the port is taken.
  Status listen();
  int port() const { return bound_port_; }
  // Serves until shutdown() has drained. Blocks; runs the I/O threads.
  void run();
  void shutdown();

  struct Impl;  // the Asio state (http_server.cc), shared with its connections

 private:
  std::unique_ptr<Impl> impl_;
  int bound_port_ = 0;
};

}  // namespace slipway::serve
