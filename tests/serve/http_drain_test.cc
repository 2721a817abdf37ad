// The HTTP transport's graceful shutdown, over and over with real sockets: every request the
// application accepted before shutdown() is answered, idle kept-alive connections are closed, and
// a reply that arrives after a timed-out drain, once the server is gone, is dropped safely.
// SLIPWAY_DRAIN_ITERATIONS sets how often (default 20); `make sanitize` runs it 200 times under
// AddressSanitizer and ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "serve/http_server.h"

namespace slipway::serve {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Answers each request after `delay`, from its own thread, as the serving daemon's batchers do.
class DelayedHandler : public HttpHandler {
 public:
  explicit DelayedHandler(std::chrono::milliseconds delay) : delay_(delay) {
    worker_ = std::thread([this] { loop(); });
  }
  ~DelayedHandler() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  void handle(const HttpRequest&, Reply reply) override {
    ++accepted_;
    {
      std::lock_guard<std::mutex> l(mu_);
      queue_.push_back({Clock::now() + delay_, std::move(reply)});
    }
    cv_.notify_all();
  }
  int accepted() const { return accepted_; }

 private:
  void loop() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every accepted request was answered
      auto [due, reply] = std::move(queue_.front());
      queue_.pop_front();
      l.unlock();
      std::this_thread::sleep_until(due);
      reply(HttpResponse{200, "application/json", "{\"ok\":true}", {}});
      l.lock();
    }
  }

  std::chrono::milliseconds delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Clock::time_point, Reply>> queue_;
  bool stopping_ = false;
  std::atomic<int> accepted_{0};
  std::thread worker_;
};

int iterations() {
  const char* n = std::getenv("SLIPWAY_DRAIN_ITERATIONS");
  return n ? std::max(1, std::atoi(n)) : 20;
}

// Sends requests on one kept-alive connection until the server closes it; counts the answers by
// status.
void client(int port, std::atomic<int>* ok, std::atomic<int>* other) {
  try {
    net::io_context ioc;
    tcp::socket sock(ioc);
    sock.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req{http::verb::post, "/infer", 11};
      req.set(http::field::host, "127.0.0.1");
      req.body() = "{}";
      req.prepare_payload();
      http::write(sock, req);
      http::response<http::string_body> res;
      http::read(sock, buf, res);
      (res.result_int() == 200 ? *ok : *other) += 1;
      if (!res.keep_alive()) return;
    }
  } catch (const std::exception&) {
    // Refused or closed by the shutdown: expected once it has begun.
  }
}

TEST(HttpDrain, EveryAcceptedRequestIsAnsweredAndTheServerStops) {
  std::mt19937 rng(12345);
  for (int i = 0; i < iterations(); ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i));
    DelayedHandler handler(std::chrono::milliseconds(20));
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 2;
    o.drain_timeout = std::chrono::milliseconds(5000);
    HttpServer server(handler, o);
    ASSERT_TRUE(server.listen().ok());
    std::thread serving([&] { server.run(); });
    std::atomic<int> ok{0}, other{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) clients.emplace_back(client, server.port(), &ok, &other);
    // Two idle connections, which the drain must close rather than wait for.
    net::io_context ioc;
    std::vector<tcp::socket> idle;
    for (int c = 0; c < 2; ++c) {
      idle.emplace_back(ioc);
      boost::system::error_code ec;
      idle.back().connect(
          {net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port())}, ec);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
    const auto asked = Clock::now();
    server.shutdown();
    serving.join();
    EXPECT_LT(Clock::now() - asked, std::chrono::seconds(3)) << "the drain waited for idle clients";
    for (auto& t : clients) t.join();
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(ok.load(), handler.accepted())
        << "a request accepted before the shutdown went unanswered";
  }
}

TEST(HttpDrain, AReplyAfterATimedOutDrainIsDroppedSafely) {
  for (int i = 0; i < std::max(1, iterations() / 4); ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i));
    // The handler outlives the server, and answers after the server gave up and was destroyed.
    DelayedHandler handler(std::chrono::milliseconds(150));
    std::atomic<int> ok{0}, other{0};
    std::thread slow_client;
    {
      ServerOptions o;
      o.host = "127.0.0.1";
      o.port = 0;
      o.drain_timeout = std::chrono::milliseconds(30);
      HttpServer server(handler, o);
      ASSERT_TRUE(server.listen().ok());
      std::thread serving([&] { server.run(); });
      slow_client = std::thread(client, server.port(), &ok, &other);
      for (int w = 0; w < 200 && handler.accepted() == 0; ++w)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      ASSERT_EQ(handler.accepted(), 1);
      server.shutdown();
      serving.join();
    }
    slow_client.join();  // its connection closed with the server
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the late reply comes now
    EXPECT_EQ(ok.load(), 0);
  }
}

}  // namespace
}  // namespace slipway::serve
