// A run's row: its columns and reader, shared by the files of the store that read runs.
#pragma once

#include "store/records.h"
#include "store/sqlite.h"

namespace slipway::store {

extern const char* const kRunCols;
RunRecord read_run(Stmt& s);  // a row selected with kRunCols

}  // namespace slipway::store
