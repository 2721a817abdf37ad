#include "serve/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

namespace slipway::serve {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// A connection, whichever stream it speaks (plain TCP, or TLS over it); the server keeps its open
// connections by this interface so a drain can close the idle ones.
class Session {
 public:
  virtual ~Session() = default;
  virtual void start() = 0;
  // Closes the connection if it is between requests; a busy one closes after its answer.
  virtual void close_if_idle() = 0;
};

// The transport's own answers (a malformed request, a defect in the handler): `{"error": ...}`,
// like every error of slipway's HTTP APIs. The transport needs no application code for them.
static HttpResponse transport_error(int status, const std::string& why) {
  nlohmann::json body = {{"error", why}};
  return {status,
          "application/json",
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
          {}};
}

// Replies come from any thread (batchers, model workers), possibly after a drain that timed out
// has stopped the server and it is being destroyed. A reply goes through the gate: while the
// server lives it is posted to the connection's strand; once the server is gone it is dropped
// (the connection is closed anyway). The mutex keeps the destructor from tearing down the
// io_context while a reply is being posted to it.
struct ReplyGate {
  std::mutex mu;
  bool open = true;
};

struct HttpServer::Impl {
  HttpHandler& service;
  ServerOptions options;
  net::io_context ioc;
  // The acceptor, the drain's timer and the shutdown all run on one strand: closing the acceptor
  // while another I/O thread re-arms its accept is a data race (ThreadSanitizer found it).
  net::strand<net::io_context::executor_type> control{net::make_strand(ioc)};
  tcp::acceptor acceptor{control};
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::set<std::shared_ptr<Session>>
      sessions;  // open connections, so a shutdown can close idle ones
  net::steady_timer drain_timer{control};
  std::chrono::steady_clock::time_point drain_deadline;
  std::shared_ptr<ReplyGate> gate = std::make_shared<ReplyGate>();
  bool accept_pending = false;      // an async_accept whose handler has not run; on `control` only
  std::optional<ssl::context> tls;  // set when the server speaks HTTPS

  Impl(HttpHandler& s, ServerOptions o) : service(s), options(std::move(o)) {}
  void accept();
  void finish_drain();
};

// One connection's requests, in order, over `Stream`: beast::tcp_stream, or
// beast::ssl_stream<beast::tcp_stream> after a TLS handshake.
template <typename Stream>
class Connection : public Session, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(Stream stream, HttpServer::Impl& server)
      : stream_(std::move(stream)), server_(server) {}

  void start() override {
    if constexpr (kTls) {
      // A TLS port may be sent plain HTTP by a client given http:// by mistake: look at the first
      // bytes, and answer such a request in plain HTTP with what to do, instead of a handshake
      // error the client cannot show.
      tcp_layer().expires_after(server_.options.request_timeout);
      beast::async_detect_ssl(stream_.next_layer(), buffer_,
                              [self = this->shared_from_this()](beast::error_code ec, bool tls) {
                                self->on_detect(ec, tls);
                              });
    } else {
      read();
    }
  }

  void close_if_idle() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void on_detect(beast::error_code ec, bool tls) {
    if constexpr (kTls) {
      if (ec || closed_) return close();
      if (!tls) return refuse_plain_http();
      stream_.async_handshake(
          ssl::stream_base::server, buffer_.data(),
          [self = this->shared_from_this()](beast::error_code e, std::size_t used) {
            if (e) return self->close();  // not a TLS client we can talk to: nothing to answer
            self->buffer_.consume(used);
            self->read();
          });
    }
  }

  void refuse_plain_http() {
    if constexpr (kTls) {
      busy_ = true;
      auto res = std::make_shared<http::response<http::string_body>>(http::status::bad_request, 11);
      HttpResponse e = transport_error(
          400,
          "this port speaks HTTPS (TLS): a plain-HTTP request cannot be answered here; use "
          "https:// (with the server's certificate, or the CA that signed it, trusted)");
      res->set(http::field::server, "slipway");
      res->set(http::field::content_type, e.content_type);
      res->keep_alive(false);
      res->body() = std::move(e.body);
      res->prepare_payload();
      http::async_write(stream_.next_layer(), *res,
                        [self = this->shared_from_this(), res](beast::error_code, std::size_t) {
                          self->close();
                        });
    }
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    tcp_layer().expires_after(server_.options.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    // A read that completed just as a drain closed this idle connection: the socket is gone, so
    // the request is not taken (the client sees the connection close, as for any closed one).
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return close();
    }
    if (ec) {
      // What the client sent is not HTTP we take: answer once, then close.
      int status = 400;
      std::string why = "malformed HTTP request: " + ec.message();
      if (ec == http::error::body_limit)
        status = 413, why = "the request body is over " +
                            std::to_string(server_.options.max_body_bytes) + " bytes";
      if (ec == http::error::header_limit)
        status = 431, why = "the request headers are over " +
                            std::to_string(server_.options.max_header_bytes) + " bytes";
      keep_alive_ = false;
      return write(transport_error(status, why), 11);
    }
    auto req = parser_->release();
    keep_alive_ = req.keep_alive() && !server_.draining;
    busy_ = true;
    HttpRequest r{std::string(req.method_string()),
                  std::string(req.target()),
                  std::move(req.body()),
                  std::string(req[http::field::authorization]),
                  std::string(req[http::field::content_type]),
                  std::string(req["Inference-Header-Content-Length"])};
    const unsigned version = req.version();
    auto self = this->shared_from_this();
    try {
      // The reply holds the session weakly: an application that keeps a reply past the server's
      // life (a batcher draining its queue) must not keep a socket whose io_context is gone.
      // While the request is in flight the server's session set keeps the session alive.
      std::weak_ptr<Connection> weak = self;
      server_.service.handle(r, [weak, version, gate = server_.gate](HttpResponse resp) {
        std::lock_guard<std::mutex> l(gate->mu);
        if (!gate->open) return;  // the server is gone; so is the connection
        std::shared_ptr<Connection> s = weak.lock();
        if (!s) return;  // the connection closed while the request ran
        auto* session = s.get();
        // `s` moves into the handler, so no reference is left here once the gate opens again.
        net::post(session->stream_.get_executor(),
                  [s = std::move(s), version, resp = std::move(resp)]() mutable {
                    s->write(std::move(resp), version);
                  });
      });
    } catch (
        const std::exception& e) {  // a defect, not the client's fault: answer 500, keep serving
      write(transport_error(500, std::string("internal error: ") + e.what()), version);
    }
  }

  void write(HttpResponse resp, unsigned version) {
    busy_ = true;
    if (server_.draining) keep_alive_ = false;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(resp.status), version);
    res->set(http::field::server, "slipway");
    res->set(http::field::content_type, resp.content_type);
    for (const auto& [name, value] : resp.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    tcp_layer().expires_after(server_.options.request_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->busy_ = false;
                        if (ec || !self->keep_alive_) return self->close();
                        self->read();
                      });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    // A TLS connection closes without close_notify: every answer was complete before (its
    // Content-Length says so), and a waiting shutdown could hold a drain up to its timeout.
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer().socket().close(ec);
    std::lock_guard<std::mutex> l(server_.mu);
    server_.sessions.erase(this->shared_from_this());
  }

  Stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true, busy_ = false, closed_ = false;
};

void HttpServer::Impl::accept() {
  accept_pending = true;
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    accept_pending = false;
    if (draining) {
      // Accepted just before the acceptor closed: refuse it, so the client is not left waiting
      // on a connection nobody serves.
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;  // shutting down
      return accept();  // a failed accept (out of descriptors, a reset) must not stop the server
    }
    std::shared_ptr<Session> s;
    {
      std::lock_guard<std::mutex> l(mu);
      if (sessions.size() < options.max_connections && !draining) {
        if (tls)
          s = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
              beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls),
              *this);
        else
          s = std::make_shared<Connection<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                              *this);
        sessions.insert(s);
      }
    }
    if (s) {
      s->start();
    } else {
      beast::error_code ignored;
      socket.close(ignored);  // over the connection cap: refuse rather than queue without bound
    }
    accept();
  });
}

void HttpServer::Impl::finish_drain() {
  size_t open;
  std::vector<std::shared_ptr<Session>> idle;
  {
    std::lock_guard<std::mutex> l(mu);
    open = sessions.size();
    for (const auto& s : sessions) idle.push_back(s);
  }
  for (auto& s : idle) s->close_if_idle();
  // An accept that completed as the acceptor closed still has its handler queued on this strand:
  // wait for it, or its connection would stay open, unserved, until the server is destroyed.
  if ((open == 0 && !accept_pending) || std::chrono::steady_clock::now() > drain_deadline) {
    ioc.stop();
    return;
  }
  drain_timer.expires_after(std::chrono::milliseconds(20));
  drain_timer.async_wait([this](beast::error_code) { finish_drain(); });
}

HttpServer::HttpServer(HttpHandler& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() {
  {
    std::lock_guard<std::mutex> l(impl_->gate->mu);
    impl_->gate->open = false;
  }
  // Replies already posted hold their sessions; those die with the io_context, inside impl_.
  impl_.reset();
}

Status HttpServer::listen() {
  const ServerOptions& o = impl_->options;
  if (o.tls_cert.empty() != o.tls_key.empty())
    return InvalidInput("HTTPS needs both --tls-cert FILE and --tls-key FILE");
  if (!o.tls_cert.empty()) {
    for (const auto& f : {o.tls_cert, o.tls_key})
      if (!std::filesystem::is_regular_file(f))
        return InvalidInput("TLS file " + f + " does not exist or is not a file");
    impl_->tls.emplace(ssl::context::tls_server);
    // TLS 1.2 and later only; the session cache off keeps every connection independent.
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code tls_ec;
    impl_->tls->use_certificate_chain_file(o.tls_cert, tls_ec);
    if (tls_ec)
      return InvalidInput("cannot read the certificate chain " + o.tls_cert +
                          " (PEM): " + tls_ec.message());
    impl_->tls->use_private_key_file(o.tls_key, ssl::context::pem, tls_ec);
    if (tls_ec)
      return InvalidInput("cannot use the private key " + o.tls_key + " (PEM) with " + o.tls_cert +
                          ": " + tls_ec.message());
  }
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) return InvalidInput("'" + impl_->options.host + "' is not an IP address to listen on");
  tcp::endpoint ep(address, static_cast<unsigned short>(impl_->options.port));
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return Failed("cannot listen on " + impl_->options.host + ":" +
                  std::to_string(impl_->options.port) + ": " + ec.message());
  bound_port_ = a.local_endpoint().port();
  return Status::Ok();
}

void HttpServer::run() {
  impl_->accept();
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, impl_->options.io_threads); ++i)
    threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void HttpServer::shutdown() {
  net::post(impl_->control, [this] {
    if (impl_->draining.exchange(true)) return;
    impl_->service.set_draining();
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->drain_deadline = std::chrono::steady_clock::now() + impl_->options.drain_timeout;
    impl_->finish_drain();
  });
}

}  // namespace slipway::serve
