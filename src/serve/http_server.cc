#include "serve/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "serve/service.h"

namespace slipway::serve {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

class Session;

struct HttpServer::Impl {
  HttpHandler& service;
  ServerOptions options;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::set<std::shared_ptr<Session>>
      sessions;  // open connections, so a shutdown can close idle ones
  net::steady_timer drain_timer{ioc};
  std::chrono::steady_clock::time_point drain_deadline;

  Impl(HttpHandler& s, ServerOptions o) : service(s), options(std::move(o)) {}
  void accept();
  void finish_drain();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}

  void start() { read(); }

  // Closes the connection if it is between requests; a busy one closes after its answer.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    stream_.expires_after(server_.options.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
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
      return write(json_response(Json{{"error", why}}, status), 11);
    }
    auto req = parser_->release();
    keep_alive_ = req.keep_alive() && !server_.draining;
    busy_ = true;
    HttpRequest r{std::string(req.method_string()), std::string(req.target()),
                  std::move(req.body()), std::string(req[http::field::authorization])};
    const unsigned version = req.version();
    auto self = shared_from_this();
    try {
      server_.service.handle(r, [self, version](HttpResponse resp) {
        net::post(self->stream_.get_executor(), [self, version, resp = std::move(resp)]() mutable {
          self->write(std::move(resp), version);
        });
      });
    } catch (
        const std::exception& e) {  // a defect, not the client's fault: answer 500, keep serving
      write(json_response(Json{{"error", std::string("internal error: ") + e.what()}}, 500),
            version);
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
    stream_.expires_after(server_.options.request_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->busy_ = false;
                        if (ec || !self->keep_alive_) return self->close();
                        self->read();
                      });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    std::lock_guard<std::mutex> l(server_.mu);
    server_.sessions.erase(shared_from_this());
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true, busy_ = false, closed_ = false;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;  // shutting down
      return accept();  // a failed accept (out of descriptors, a reset) must not stop the server
    }
    std::shared_ptr<Session> s;
    {
      std::lock_guard<std::mutex> l(mu);
      if (sessions.size() < options.max_connections && !draining) {
        s = std::make_shared<Session>(std::move(socket), *this);
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
  if (open == 0 || std::chrono::steady_clock::now() > drain_deadline) {
    ioc.stop();
    return;
  }
  drain_timer.expires_after(std::chrono::milliseconds(20));
  drain_timer.async_wait([this](beast::error_code) { finish_drain(); });
}

HttpServer::HttpServer(HttpHandler& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() = default;

Status HttpServer::listen() {
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
  net::post(impl_->ioc, [this] {
    if (impl_->draining.exchange(true)) return;
    impl_->service.set_draining();
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->drain_deadline = std::chrono::steady_clock::now() + impl_->options.drain_timeout;
    impl_->finish_drain();
  });
}

}  // namespace slipway::serve
