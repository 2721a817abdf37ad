#include "api/kfp_list.h"

#include "api/kfp_wire.h"

namespace slipway::api::kfp {

namespace {

// filter.proto's operations, by name or by enum number.
Result<std::string> sql_op(const Json& op) {
  static const std::map<std::string, std::string> kOps = {
      {"EQUALS", "="},       {"NOT_EQUALS", "!="},
      {"GREATER_THAN", ">"}, {"GREATER_THAN_EQUALS", ">="},
      {"LESS_THAN", "<"},    {"LESS_THAN_EQUALS", "<="},
      {"IN", "IN"},          {"IS_SUBSTRING", "LIKE"}};
  static const char* kByNumber[] = {
      "",          "EQUALS",           "NOT_EQUALS", "GREATER_THAN", "GREATER_THAN_EQUALS",
      "LESS_THAN", "LESS_THAN_EQUALS", "IN",         "IS_SUBSTRING"};
  std::string name;
  if (op.is_number_integer() && op.get<int>() >= 1 && op.get<int>() <= 8)
    name = kByNumber[op.get<int>()];
  else if (op.is_string())
    name = op.get<std::string>();
  auto it = kOps.find(name);
  if (it == kOps.end())
    return InvalidInput("filter operation " + op.dump() +
                        " is not one of EQUALS, NOT_EQUALS, GREATER_THAN, GREATER_THAN_EQUALS, "
                        "LESS_THAN, LESS_THAN_EQUALS, IN, IS_SUBSTRING");
  return it->second;
}

// A predicate field under either of its JSON spellings (proto name or lowerCamel).
const Json* field(const Json& p, const char* snake, const char* camel) {
  if (p.contains(snake)) return &p[snake];
  if (p.contains(camel)) return &p[camel];
  return nullptr;
}

// The predicate's values, as the JSON that holds them: one scalar or several for IN.
Result<std::vector<Json>> predicate_values(const Json& p) {
  struct Spelling {
    const char *snake, *camel;
    bool list;
  };
  static const Spelling kFields[] = {
      {"string_value", "stringValue", false},  {"int_value", "intValue", false},
      {"long_value", "longValue", false},      {"timestamp_value", "timestampValue", false},
      {"string_values", "stringValues", true}, {"int_values", "intValues", true},
      {"long_values", "longValues", true}};
  std::vector<Json> out;
  int found = 0;
  for (const auto& f : kFields) {
    const Json* v = field(p, f.snake, f.camel);
    if (!v) continue;
    ++found;
    if (!f.list) {
      out.push_back(*v);
    } else {
      if (!v->is_object() || !v->contains("values") || !(*v)["values"].is_array())
        return InvalidInput(std::string("filter predicate's ") + f.snake +
                            " must be {\"values\": [...]}");
      for (const auto& x : (*v)["values"]) out.push_back(x);
    }
  }
  if (found != 1)
    return InvalidInput(
        "a filter predicate needs exactly one value field (string_value, "
        "int_value, long_value, timestamp_value, or string_values/int_values/"
        "long_values for IN); this one has " +
        std::to_string(found));
  return out;
}

Result<store::SqlValue> column_value(const std::string& key, const KeyColumn& c, const Json& v) {
  auto text = [&]() -> std::string { return v.is_string() ? v.get<std::string>() : v.dump(); };
  switch (c.kind) {
    case KeyColumn::Kind::kTime: {
      if (v.is_string()) {
        // A timestamp_value, or int64 seconds sent as a string (KFP's long_value).
        const std::string s = v.get<std::string>();
        if (!s.empty() && s.size() <= 12 && s.find_first_not_of("0123456789") == std::string::npos)
          return store::SqlValue{std::int64_t{std::stoll(s) * 1000}};
        auto ms = parse_timestamp(s, "filter value for '" + key + "'");
        if (!ms.ok()) return ms.status();
        return store::SqlValue{*ms};
      }
      if (v.is_number_integer())
        return store::SqlValue{std::int64_t{v.get<std::int64_t>() * 1000}};  // seconds
      return InvalidInput("filter value for '" + key + "' must be a time");
    }
    case KeyColumn::Kind::kBool:
      if (v.is_boolean()) return store::SqlValue{std::int64_t{v.get<bool>() ? 1 : 0}};
      return InvalidInput("filter value for '" + key + "' must be true or false");
    case KeyColumn::Kind::kCustom:
      return c.convert(text());
    case KeyColumn::Kind::kText:
      return store::SqlValue{text()};
  }
  return store::SqlValue{text()};
}

std::string like_pattern(const std::string& s) {
  std::string out = "%";
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "%";
}

Json value_json(const store::SqlValue& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

store::SqlValue value_of(const Json& j) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number()) return j.get<double>();
  return j.is_string() ? j.get<std::string>() : j.dump();
}

// A page token is the whole query, so the next page keeps the filter and sort of the first, as
// KFP's tokens do. Hex of its JSON: opaque, and safe in a URL.
std::string to_hex(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Result<std::string> from_hex(const std::string& s) {
  if (s.size() % 2) return InvalidInput("odd length");
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      char c = s[i + static_cast<size_t>(k)];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return InvalidInput("not hex");
      v = v * 16 + d;
    }
    out += static_cast<char>(v);
  }
  return out;
}

Result<store::ListQuery> query_from_token(const std::string& token) {
  auto bad = [&] {
    return InvalidInput("page_token '" + token.substr(0, 40) +
                        "' is not one this server gave out; list again without it");
  };
  auto text = from_hex(token);
  if (!text.ok()) return bad();
  Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad();
  try {
    store::ListQuery q;
    q.sort = j.at("sort").get<std::string>();
    q.desc = j.at("desc").get<bool>();
    q.limit = j.at("limit").get<int>();
    q.after_value = value_of(j.at("after"));
    q.after_id = j.at("after_id").get<std::string>();
    for (const auto& c : j.at("where")) {
      store::Condition cond{c.at("column").get<std::string>(), c.at("op").get<std::string>(), {}};
      for (const auto& v : c.at("values")) cond.values.push_back(value_of(v));
      q.where.push_back(cond);
    }
    return q;
  } catch (const Json::exception&) {
    return bad();
  }
}

}  // namespace

Result<store::SqlValue> storage_state_value(const std::string& s) {
  if (s == "ARCHIVED" || s == "STORAGE_STATE_ARCHIVED") return store::SqlValue{std::int64_t{1}};
  if (s == "AVAILABLE" || s == "STORAGE_STATE_AVAILABLE") return store::SqlValue{std::int64_t{0}};
  return InvalidInput("storage_state is AVAILABLE or ARCHIVED, not '" + s + "'");
}

std::string next_page_token(const store::ListQuery& q, const store::SqlValue& last_sort_value,
                            const std::string& last_id) {
  Json where = Json::array();
  for (const auto& c : q.where) {
    Json values = Json::array();
    for (const auto& v : c.values) values.push_back(value_json(v));
    where.push_back({{"column", c.column}, {"op", c.op}, {"values", values}});
  }
  Json j = {{"sort", q.sort},
            {"desc", q.desc},
            {"limit", q.limit},
            {"where", where},
            {"after", value_json(last_sort_value)},
            {"after_id", last_id}};
  return to_hex(j.dump());
}

Result<store::ListQuery> list_query(const ApiRequest& req, const KeyMap& keys,
                                    const std::string& default_sort) {
  auto size = req.int_param("page_size", 20, 0, 1000);
  if (!size.ok()) return size.status();
  const std::string token = req.param("page_token");
  if (!token.empty()) {
    // KFP reads the filter and sort from the token; page_size may change between pages.
    auto q = query_from_token(token);
    if (!q.ok()) return q.status();
    if (req.query.count("page_size") && *size > 0) q->limit = static_cast<int>(*size);
    return q;
  }
  store::ListQuery q;
  q.limit = *size > 0 ? static_cast<int>(*size) : 20;
  std::string sort = req.param("sort_by");
  std::string sort_key = sort.empty() ? default_sort : sort;
  if (size_t sp = sort_key.find(' '); sp != std::string::npos) {
    std::string dir = sort_key.substr(sp + 1);
    sort_key = sort_key.substr(0, sp);
    if (dir == "desc" || dir == "DESC")
      q.desc = true;
    else if (dir != "asc" && dir != "ASC")
      return InvalidInput("sort_by '" + sort + "': the direction after the key is asc or desc");
  }
  auto sk = keys.find(sort_key);
  if (sk == keys.end()) {
    std::string known;
    for (const auto& [k, c] : keys) known += (known.empty() ? "" : ", ") + k;
    return InvalidInput("cannot sort by '" + sort_key + "'; sort_by takes one of " + known +
                        ", then optionally ' desc'");
  }
  q.sort = sk->second.column;
  const std::string filter = req.param("filter");
  if (filter.empty()) return q;
  Json f = Json::parse(filter, nullptr, false);
  if (f.is_discarded() || !f.is_object())
    return InvalidInput(
        "filter is not a JSON object; send a Filter: {\"predicates\": [{\"key\": "
        "..., \"operation\": \"EQUALS\", \"string_value\": ...}]}");
  for (const auto& [k, v] : f.items())
    if (k != "predicates")
      return InvalidInput("unknown field '" + k + "' in filter; a Filter has only predicates");
  if (!f.contains("predicates")) return q;
  if (!f["predicates"].is_array()) return InvalidInput("filter's predicates must be a list");
  for (const auto& p : f["predicates"]) {
    if (!p.is_object() || !p.contains("key") || !p["key"].is_string())
      return InvalidInput("each filter predicate needs a \"key\"");
    const std::string key = p["key"].get<std::string>();
    auto kc = keys.find(key);
    if (kc == keys.end()) {
      std::string known;
      for (const auto& [k, c] : keys) known += (known.empty() ? "" : ", ") + k;
      return InvalidInput("cannot filter on '" + key + "'; this list filters on " + known);
    }
    const Json* op_json = field(p, "operation", "op");
    auto op = sql_op(op_json ? *op_json : Json());
    if (!op.ok()) return op.status();
    auto values = predicate_values(p);
    if (!values.ok()) return values.status();
    if ((*op == "IN") != (values->size() != 1 || p.contains("string_values") ||
                          p.contains("stringValues") || p.contains("int_values") ||
                          p.contains("intValues") || p.contains("long_values") ||
                          p.contains("longValues")))
      return InvalidInput("filter on '" + key +
                          "': IN takes a list (string_values, int_values, "
                          "long_values) and the other operations one value");
    store::Condition c{kc->second.column, *op, {}};
    for (const auto& v : *values) {
      if (*op == "LIKE") {
        if (!v.is_string())
          return InvalidInput("filter on '" + key + "': IS_SUBSTRING takes a string_value");
        c.values.emplace_back(like_pattern(v.get<std::string>()));
        continue;
      }
      auto cv = column_value(key, kc->second, v);
      if (!cv.ok()) return cv.status();
      c.values.push_back(*cv);
    }
    q.where.push_back(c);
  }
  return q;
}

}  // namespace slipway::api::kfp
