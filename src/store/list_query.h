// A list request over one table, as an API with filters and page tokens asks it: conditions on
// named columns, one sort column, a page size and a keyset position. The table's list function
// names the columns it allows; any other column is InvalidInput naming it, so a caller never
// gets a silently unfiltered list. The SQL binds every value; column names come only from the
// allowed set.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "store/sqlite.h"

namespace slipway::store {

using SqlValue = std::variant<std::int64_t, double, std::string>;

struct Condition {
  std::string column;
  std::string op;                // = != > >= < <= IN LIKE
  std::vector<SqlValue> values;  // one, or several for IN
};

struct ListQuery {
  std::vector<Condition> where;
  std::string sort = "created_ms";
  bool desc = false;
  int limit = 20;
  // Keyset pagination: rows strictly after (after_value, after_id) in the sort order.
  std::optional<SqlValue> after_value;
  std::string after_id;
};

template <typename Record>
struct ListPage {
  std::vector<Record> items;  // at most limit
  std::int64_t total = 0;     // rows matching the conditions, over every page
  bool more = false;          // another page follows the last item
  // The last item's sort value and id: where the next page starts (after_value, after_id).
  SqlValue last_sort;
  std::string last_id;
};

// The WHERE clause of `q` (without the keyset position) and its values, for a table whose
// allowed columns are `allowed`. `extra` is a condition the caller adds (a namespace).
struct SqlWhere {
  std::string sql;  // " WHERE ..." or ""
  std::vector<SqlValue> values;
};
Result<SqlWhere> where_clause(const ListQuery& q, const std::set<std::string>& allowed,
                              const std::string& extra = "",
                              const std::vector<SqlValue>& extra_values = {});

// Runs `SELECT cols FROM table <where> <keyset> ORDER BY sort, id LIMIT limit+1` and a count,
// calling read(stmt) for each row. `id` is the table's unique key column (the tie-breaker).
template <typename Record, typename Reader>
Result<ListPage<Record>> run_list_query(Db& db, const std::string& cols, const std::string& table,
                                        const std::string& id, const ListQuery& q,
                                        const SqlWhere& where, Reader read);

// Binds values to positions 1..n of a statement.
void bind_values(Stmt& s, const std::vector<SqlValue>& values, int first = 1);
// A column of the current row as the value it holds (NULL reads as 0).
SqlValue column_value(const Stmt& s, int col);

}  // namespace slipway::store

namespace slipway::store {

template <typename Record, typename Reader>
Result<ListPage<Record>> run_list_query(Db& db, const std::string& cols, const std::string& table,
                                        const std::string& id, const ListQuery& q,
                                        const SqlWhere& where, Reader read) {
  ListPage<Record> page;
  Stmt& count = db.prepare("SELECT COUNT(*) FROM " + table + where.sql);
  bind_values(count, where.values);
  if (count.step()) page.total = count.integer(0);
  count.reset();
  // The sort column and the id come last, for the next page's position.
  std::string sql = "SELECT " + cols + ", " + q.sort + ", " + id + " FROM " + table + where.sql;
  std::vector<SqlValue> values = where.values;
  const char* cmp = q.desc ? "<" : ">";
  const char* dir = q.desc ? " DESC" : "";
  if (q.after_value) {
    sql += std::string(where.sql.empty() ? " WHERE " : " AND ") + "(" + q.sort + ", " + id + ") " +
           cmp + " (?, ?)";
    values.push_back(*q.after_value);
    values.push_back(q.after_id);
  }
  sql += " ORDER BY " + q.sort + dir + ", " + id + dir + " LIMIT " + std::to_string(q.limit + 1);
  Stmt& s = db.prepare(sql);
  bind_values(s, values);
  const int position = s.columns() - 2;
  while (s.step()) {
    if (static_cast<int>(page.items.size()) == q.limit) {
      page.more = true;
      break;
    }
    page.items.push_back(read(s));
    page.last_sort = column_value(s, position);
    page.last_id = s.text(position + 1);
  }
  s.reset();
  return page;
}

}  // namespace slipway::store
