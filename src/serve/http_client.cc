#include "serve/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace slipway::serve {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<HttpResult> http_call(const std::string& host, int port, const std::string& method,
                             const std::string& target, const std::string& body,
                             std::chrono::milliseconds timeout, const std::string& authorization) {
  try {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(host, std::to_string(port)));
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "slipway");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return HttpResult{static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception& e) {
    return Failed(method + " http://" + host + ":" + std::to_string(port) + target + ": " +
                  e.what());
  }
}

}  // namespace slipway::serve
