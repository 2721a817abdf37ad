#include "store/list_query.h"

namespace slipway::store {

void bind_values(Stmt& s, const std::vector<SqlValue>& values, int first) {
  int i = first;
  for (const auto& v : values) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      s.bind(i++, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      s.bind(i++, *d);
    } else {
      s.bind(i++, std::get<std::string>(v));
    }
  }
}

SqlValue column_value(const Stmt& s, int col) {
  switch (s.type(col)) {
    case SQLITE_INTEGER:
      return s.integer(col);
    case SQLITE_FLOAT:
      return s.real(col);
    case SQLITE_NULL:
      return std::int64_t{0};
    default:
      return s.text(col);
  }
}

Result<SqlWhere> where_clause(const ListQuery& q, const std::set<std::string>& allowed,
                              const std::string& extra, const std::vector<SqlValue>& extra_values) {
  static const std::set<std::string> kOps = {"=", "!=", ">", ">=", "<", "<=", "IN", "LIKE"};
  if (!allowed.count(q.sort)) return InvalidInput("cannot sort by '" + q.sort + "'");
  SqlWhere w;
  std::vector<std::string> parts;
  if (!extra.empty()) {
    parts.push_back("(" + extra + ")");
    w.values = extra_values;
  }
  for (const auto& c : q.where) {
    if (!allowed.count(c.column)) return InvalidInput("cannot filter on '" + c.column + "'");
    if (!kOps.count(c.op)) return InvalidInput("unknown filter operation '" + c.op + "'");
    if (c.op == "IN") {
      if (c.values.empty()) {
        parts.emplace_back("0");  // IN () matches nothing
        continue;
      }
      std::string marks;
      for (size_t i = 0; i < c.values.size(); ++i) marks += i ? ", ?" : "?";
      parts.push_back(c.column + " IN (" + marks + ")");
    } else {
      if (c.values.size() != 1)
        return InvalidInput("the filter operation " + c.op + " on '" + c.column +
                            "' takes one value");
      parts.push_back(c.op == "LIKE" ? c.column + " LIKE ? ESCAPE '\\'"
                                     : c.column + " " + c.op + " ?");
    }
    w.values.insert(w.values.end(), c.values.begin(), c.values.end());
  }
  for (size_t i = 0; i < parts.size(); ++i) w.sql += (i ? " AND " : " WHERE ") + parts[i];
  return w;
}

}  // namespace slipway::store
