// Kubeflow Pipelines' list requests: page_size, sort_by ("created_at desc"), filter (a JSON
// Filter of predicates, filter.proto) and page_token, turned into a store::ListQuery over the
// columns a resource's keys map to. A key the resource does not map, an operation that does not
// fit the value, or a token this server did not give out is an error that names it.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "api/handlers.h"
#include "store/list_query.h"

namespace slipway::api::kfp {

// How one API key maps to a column, and how its predicate values become the column's values.
struct KeyColumn {
  enum class Kind { kText, kTime, kBool, kCustom };
  using Convert = std::function<Result<store::SqlValue>(const std::string&)>;
  KeyColumn(std::string c, Kind k = Kind::kText, Convert f = {})
      : column(std::move(c)), kind(k), convert(std::move(f)) {}
  std::string column;
  Kind kind;
  // kCustom: the predicate's string value as the column's value (a state, an experiment id).
  Convert convert;
};
using KeyMap = std::map<std::string, KeyColumn>;

// storage_state (AVAILABLE, ARCHIVED) as the archived column's 0 or 1.
Result<store::SqlValue> storage_state_value(const std::string& s);

// The query a list request asks for. `default_sort` is the API key lists sort by when sort_by
// is empty (KFP: created_at, ascending). Page sizes run 1..1000; KFP's default is 20.
Result<store::ListQuery> list_query(const ApiRequest& req, const KeyMap& keys,
                                    const std::string& default_sort = "created_at");

// The page_token for the page after `q`'s, whose last item has this sort value and id.
std::string next_page_token(const store::ListQuery& q, const store::SqlValue& last_sort_value,
                            const std::string& last_id);

// A list response: {"<items_key>": [...], "total_size": N, "next_page_token": "..."}.
template <typename Record, typename ToJson>
Json list_response(const store::ListQuery& q, const store::ListPage<Record>& page,
                   const std::string& items_key, ToJson to_json) {
  Json items = Json::array();
  for (const auto& r : page.items) items.push_back(to_json(r));
  Json out = {{"total_size", page.total}};
  if (!page.items.empty()) out[items_key] = items;
  if (page.more) out["next_page_token"] = next_page_token(q, page.last_sort, page.last_id);
  return out;
}

}  // namespace slipway::api::kfp
