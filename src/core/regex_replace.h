// Replacing each match of a regex with text computed from the match (std::regex_replace takes
// only a format string).
#pragma once

#include <functional>
#include <regex>
#include <string>

namespace slipway {

std::string replace_matches(const std::string& text, const std::regex& re,
                            const std::function<std::string(const std::smatch&)>& replacement);

}  // namespace slipway
