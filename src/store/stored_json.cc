#include "store/stored_json.h"

namespace slipway::store {

Json stored_json(const std::string& text, const char* table, const std::string& row,
                 const char* column) {
  if (text.empty()) return Json();
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    std::string excerpt = text.size() > 40 ? text.substr(0, 40) + "..." : text;
    throw StoreCorruption("the store is corrupt: table " + std::string(table) + ", row " + row +
                          ", column " + column + " is not valid JSON ('" + excerpt +
                          "'); restore the store (slipway.db) from a backup, or repair or delete "
                          "that row with sqlite3");
  }
  return j;
}

}  // namespace slipway::store
