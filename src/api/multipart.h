// multipart/form-data request bodies (RFC 7578), as a pipeline upload sends its file.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::api {

struct FormPart {
  std::string name;      // the form field
  std::string filename;  // "" for a plain field
  std::string data;
};

// The parts of `body`, whose Content-Type header is `content_type` (it carries the boundary).
Result<std::vector<FormPart>> parse_multipart(const std::string& content_type,
                                              const std::string& body);

}  // namespace slipway::api
