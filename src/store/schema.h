// The store's schema as an ordered list of migrations. The database's PRAGMA user_version is the
// number of migrations applied; opening a store applies the missing ones in one transaction, so a
// store written by an older slipway upgrades in place and a newer one is refused, not damaged.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "store/sqlite.h"

namespace slipway::store {

const std::vector<std::string>& schema_migrations();

// Applies migrations up to `target` (default: all). Refuses a store newer than this binary.
Status migrate(Db& db, int target = -1);

int schema_version(Db& db);

}  // namespace slipway::store
