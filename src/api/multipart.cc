#include "api/multipart.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace slipway::api {

namespace {

// A parameter of a header value: `boundary` of "multipart/form-data; boundary=xyz", `name` of
// "form-data; name=\"uploadfile\"; filename=\"p.yaml\"". Quotes are removed.
std::string header_param(const std::string& value, const std::string& key) {
  const std::string lv = to_lower(value);
  size_t at = 0;
  while ((at = lv.find(key + "=", at)) != std::string::npos) {
    // The key must start a parameter (after ';' and spaces), not end another word (filename).
    size_t before = lv.find_last_not_of(" \t", at == 0 ? 0 : at - 1);
    if (at == 0 || (before != std::string::npos && lv[before] == ';')) break;
    at += key.size();
  }
  if (at == std::string::npos) return "";
  size_t v = at + key.size() + 1;
  if (v < value.size() && value[v] == '"') {
    size_t end = value.find('"', v + 1);
    return value.substr(v + 1, end == std::string::npos ? std::string::npos : end - v - 1);
  }
  size_t end = value.find(';', v);
  std::string out = value.substr(v, end == std::string::npos ? std::string::npos : end - v);
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out;
}

}  // namespace

Result<std::vector<FormPart>> parse_multipart(const std::string& content_type,
                                              const std::string& body) {
  if (to_lower(content_type).rfind("multipart/form-data", 0) != 0)
    return InvalidInput("the upload must be multipart/form-data (the file in a form field), not '" +
                        content_type + "'");
  const std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty()) return InvalidInput("the multipart Content-Type has no boundary");
  const std::string delim = "--" + boundary;
  std::vector<FormPart> parts;
  size_t pos = body.find(delim);
  if (pos == std::string::npos) return InvalidInput("the multipart body has no part");
  for (;;) {
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) break;  // the closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0)
      return InvalidInput("the multipart body is malformed after a boundary");
    pos += 2;
    size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) return InvalidInput("a multipart part has no header end");
    FormPart part;
    for (size_t line = pos; line < head_end;) {
      size_t eol = body.find("\r\n", line);
      if (eol == std::string::npos || eol > head_end) eol = head_end;
      std::string h = body.substr(line, eol - line);
      if (to_lower(h).rfind("content-disposition:", 0) == 0) {
        part.name = header_param(h, "name");
        part.filename = header_param(h, "filename");
      }
      line = eol + 2;
    }
    size_t data = head_end + 4;
    size_t next = body.find("\r\n" + delim, data);
    if (next == std::string::npos)
      return InvalidInput("the multipart body ends inside a part (no closing boundary)");
    part.data = body.substr(data, next - data);
    parts.push_back(std::move(part));
    pos = next + 2;
  }
  return parts;
}

}  // namespace slipway::api
