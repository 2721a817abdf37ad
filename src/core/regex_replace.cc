#include "core/regex_replace.h"

namespace slipway {

std::string replace_matches(const std::string& text, const std::regex& re,
                            const std::function<std::string(const std::smatch&)>& replacement) {
  std::string out;
  size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out += text.substr(last, static_cast<size_t>(it->position()) - last);
    out += replacement(*it);
    last = static_cast<size_t>(it->position() + it->length());
  }
  return out + text.substr(last);
}

}  // namespace slipway
