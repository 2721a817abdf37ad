// A fault-injecting SQLite VFS, for tests of what slipway does when its store fails: it wraps the
// default VFS and makes chosen writes fail with SQLITE_IOERR_WRITE (a full or failing disk), or
// chosen attempts to take the write lock answer SQLITE_BUSY (another writer holding the store past
// the busy timeout). Nothing is faked: every other call reaches the real file.
//
// A plan is a comma-separated list of rules, KIND@RANGE:
//   write@5      the 5th write (xWrite, counted from when the plan was armed) fails
//   write@5-9    writes 5 to 9 fail
//   write@5+     every write from the 5th on fails
//   busy@3+      every write-lock attempt from the 3rd on answers SQLITE_BUSY
// Counters are per process. Tests arm a plan directly; a slipway process arms the plan in
// SLIPWAY_STORE_FAULTS when it first opens a store, and removes the variable from its environment,
// so an integration test can make one process's store fail and not its children's. Unset, the VFS
// is never installed and costs nothing.
//
// Thread-safe: the counters are atomics.
#pragma once

#include <string>

#include "core/status.h"

namespace slipway::store::faults {

// Installs the VFS as SQLite's default (once) and arms `plan`, resetting the counters.
// InvalidInput for a plan that does not parse.
Status arm(const std::string& plan);
// Lets every call through again; the counters keep counting.
void disarm();
// Writes and write-lock attempts seen since the last arm().
long writes_seen();
long write_locks_seen();
// Arms the plan in SLIPWAY_STORE_FAULTS, if set; called by Db::open before its first open.
Status arm_from_environment();

}  // namespace slipway::store::faults
