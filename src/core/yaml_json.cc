#include "core/yaml_json.h"

#include <cctype>
#include <cstdlib>
#include <string_view>

namespace slipway {

Json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      char* end = nullptr;
      long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == 0) return i;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == 0) return d;
      return s;
    }
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& e : n) a.push_back(yaml_to_json(e));
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (auto it = n.begin(); it != n.end(); ++it)
        o[it->first.Scalar()] = yaml_to_json(it->second);
      return o;
    }
  }
  return nullptr;
}

namespace {

// Plain scalars some YAML reader would not take for the string: numbers in any notation, the
// 1.1 booleans (yes, on, ...), null, and text starting like a number.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  char c = s[0];
  if (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.') return true;
  std::string l;
  for (char ch : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* w : {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
    if (l == w) return true;
  return false;
}

void emit(YAML::Emitter& out, const Json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key;
      if (needs_quotes(k)) out << YAML::DoubleQuoted;
      out << k << YAML::Value;
      emit(out, v);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& v : j) emit(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (needs_quotes(s)) out << YAML::DoubleQuoted;
    out << s;
  } else if (j.is_boolean()) {
    out << (j.get<bool>() ? "true" : "false");
  } else if (j.is_null()) {
    out << YAML::Null;
  } else {
    out << j.dump();  // numbers exactly as JSON writes them
  }
}

}  // namespace

std::string json_to_yaml(const Json& j) {
  YAML::Emitter out;
  emit(out, j);
  return std::string(out.c_str()) + "\n";
}

namespace {

// Each document's text, padded with the newlines before it so that marks keep their line numbers.
std::vector<std::string> split_documents(const std::string& text) {
  std::vector<std::string> docs;
  std::string current;
  size_t line = 0, start_line = 0, pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view l(text.data() + pos, end - pos);
    bool marker = l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\r');
    if (marker) {
      docs.push_back(std::string(start_line, '\n') + current);
      // What follows `--- ` on the marker line is the document's first line.
      current = std::string(l.size() > 4 ? l.substr(4) : std::string_view()) + "\n";
      start_line = line;
    } else {
      current.append(l).append("\n");
    }
    ++line;
    pos = end + 1;
  }
  docs.push_back(std::string(start_line, '\n') + current);
  return docs;
}

}  // namespace

std::vector<YAML::Node> load_yaml_documents(const std::string& text) {
  std::vector<YAML::Node> out;
  for (const std::string& part : split_documents(text)) out.push_back(YAML::Load(part));
  return out;
}

}  // namespace slipway
