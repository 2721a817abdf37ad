#include "api/request.h"

#include <charconv>

namespace slipway::api {

std::string url_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += '%';
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

ApiRequest ApiRequest::from(const serve::HttpRequest& r) {
  ApiRequest a;
  a.method = r.method;
  a.body = r.body;
  a.authorization = r.authorization;
  a.content_type = r.content_type;
  size_t q = r.target.find('?');
  a.path = r.target.substr(0, q);
  for (size_t i = 1; i <= a.path.size();) {
    size_t j = a.path.find('/', i);
    if (j == std::string::npos) j = a.path.size();
    a.seg.push_back(url_decode(a.path.substr(i, j - i)));
    i = j + 1;
  }
  if (!a.seg.empty() && a.seg.back().empty()) a.seg.pop_back();  // a trailing slash
  if (q != std::string::npos) {
    std::string qs = r.target.substr(q + 1);
    for (size_t i = 0; i <= qs.size();) {
      size_t j = qs.find('&', i);
      if (j == std::string::npos) j = qs.size();
      std::string kv = qs.substr(i, j - i);
      if (!kv.empty()) {
        size_t eq = kv.find('=');
        a.query[url_decode(kv.substr(0, eq))] =
            eq == std::string::npos ? "" : url_decode(kv.substr(eq + 1));
      }
      i = j + 1;
    }
  }
  return a;
}

std::string ApiRequest::param(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

Result<long long> ApiRequest::int_param(const std::string& name, long long fallback, long long lo,
                                        long long hi) const {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return fallback;
  long long v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < lo || v > hi)
    return InvalidInput("query parameter " + name + "=" + it->second + " must be an integer from " +
                        std::to_string(lo) + " to " + std::to_string(hi));
  return v;
}

}  // namespace slipway::api
