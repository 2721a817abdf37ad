#include "serve/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace slipway::serve {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

template <typename Stream>
HttpResult exchange(Stream& stream, const HttpEndpoint& to, const std::string& method,
                    const std::string& target, const std::string& body,
                    const std::string& authorization) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, to.host);
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
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  return HttpResult{static_cast<int>(res.result_int()), res.body()};
}

}  // namespace

Result<HttpResult> http_call(const HttpEndpoint& to, const std::string& method,
                             const std::string& target, const std::string& body,
                             std::chrono::milliseconds timeout, const std::string& authorization) {
  const std::string url = std::string(to.tls ? "https://" : "http://") + to.host + ":" +
                          std::to_string(to.port) + target;
  try {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(to.host, std::to_string(to.port));
    if (!to.tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      return exchange(stream, to, method, target, body, authorization);
    }
    ssl::context ctx(ssl::context::tls_client);
    if (to.ca_file.empty())
      ctx.set_default_verify_paths();
    else
      ctx.load_verify_file(to.ca_file);
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    // The name the certificate must carry (an IP address is matched as one), and SNI.
    stream.set_verify_callback(ssl::host_name_verification(to.host));
    if (!SSL_set_tlsext_host_name(stream.native_handle(), to.host.c_str()))
      return Failed(method + " " + url + ": cannot set the TLS server name");
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    return exchange(stream, to, method, target, body, authorization);
  } catch (const std::exception& e) {
    return Failed(method + " " + url + ": " + e.what());
  }
}

}  // namespace slipway::serve
