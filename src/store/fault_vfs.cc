#include "store/fault_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/strings.h"

namespace slipway::store::faults {

namespace {

struct Rule {
  bool busy = false;  // false: a write rule
  long from = 0, to = 0;
};

// The plan is replaced only by arm()/disarm(), which tests call between operations; the I/O path
// reads it under a mutex that is uncontended in practice.
std::mutex g_mu;
std::vector<Rule> g_rules;
std::atomic<long> g_writes{0}, g_locks{0};
sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;

bool fails(bool busy, long n) {
  std::lock_guard<std::mutex> l(g_mu);
  for (const Rule& r : g_rules)
    if (r.busy == busy && n >= r.from && n <= r.to) return true;
  return false;
}

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;  // lives right after this struct, in the same allocation
};

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int x_close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (fails(false, ++g_writes)) return SQLITE_IOERR_WRITE;
  return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); }
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) {
  // Rollback-journal mode takes its write lock here (RESERVED); WAL mode in x_shm_lock.
  if (level == SQLITE_LOCK_RESERVED && fails(true, ++g_locks)) return SQLITE_BUSY;
  return real(f)->pMethods->xLock(real(f), level);
}
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  // WAL's write lock is the exclusive lock on slot 0 (WAL_WRITE_LOCK in SQLite's wal.c).
  if (offset == 0 && (flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE) &&
      fails(true, ++g_locks))
    return SQLITE_BUSY;
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), off, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), off, p);
}

const sqlite3_io_methods kMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* f = reinterpret_cast<FaultFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->base.pMethods = nullptr;
  int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
  // The unix VFS's methods are version 3; anything older would make the forwards above unsafe.
  if (f->real->pMethods) {
    if (f->real->pMethods->iVersion < 3) {
      f->real->pMethods->xClose(f->real);
      return SQLITE_CANTOPEN;
    }
    f->base.pMethods = &kMethods;
  }
  return rc;
}

Status parse_plan(const std::string& plan, std::vector<Rule>* out) {
  for (const std::string& raw : split(plan, ',')) {
    std::string r = trim(raw);
    if (r.empty()) continue;
    auto bad = [&] {
      return InvalidInput("store fault rule '" + r +
                          "' is not KIND@N, KIND@N-M or KIND@N+ with KIND write or busy "
                          "(e.g. write@5+)");
    };
    auto at = r.find('@');
    if (at == std::string::npos) return bad();
    Rule rule;
    std::string kind = r.substr(0, at), range = r.substr(at + 1);
    if (kind == "busy")
      rule.busy = true;
    else if (kind != "write")
      return bad();
    char* end = nullptr;
    rule.from = std::strtol(range.c_str(), &end, 10);
    if (end == range.c_str() || rule.from < 1) return bad();
    if (*end == '\0') {
      rule.to = rule.from;
    } else if (std::string(end) == "+") {
      rule.to = LONG_MAX;
    } else if (*end == '-') {
      char* end2 = nullptr;
      rule.to = std::strtol(end + 1, &end2, 10);
      if (end2 == end + 1 || *end2 != '\0' || rule.to < rule.from) return bad();
    } else {
      return bad();
    }
    out->push_back(rule);
  }
  return Status::Ok();
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_real = sqlite3_vfs_find(nullptr);
    g_vfs = *g_real;
    g_vfs.iVersion = g_real->iVersion;
    g_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real->szOsFile;
    g_vfs.zName = "slipway-faults";
    g_vfs.pNext = nullptr;
    g_vfs.xOpen = x_open;
    sqlite3_vfs_register(&g_vfs, 1);
  });
}

}  // namespace

Status arm(const std::string& plan) {
  std::vector<Rule> rules;
  SLIPWAY_RETURN_IF_ERROR(parse_plan(plan, &rules));
  install_once();
  std::lock_guard<std::mutex> l(g_mu);
  g_rules = std::move(rules);
  g_writes = 0;
  g_locks = 0;
  return Status::Ok();
}

void disarm() {
  std::lock_guard<std::mutex> l(g_mu);
  g_rules.clear();
}

long writes_seen() { return g_writes; }
long write_locks_seen() { return g_locks; }

Status arm_from_environment() {
  static std::once_flag once;
  static Status result;
  std::call_once(once, [] {
    const char* env = std::getenv("SLIPWAY_STORE_FAULTS");
    if (env && *env) {
      std::string plan = env;
      // The plan is this process's: the tasks and drivers it starts get a healthy store.
      unsetenv("SLIPWAY_STORE_FAULTS");
      result = arm(plan);
      if (!result.ok()) result = InvalidInput("SLIPWAY_STORE_FAULTS: " + result.message());
    }
  });
  return result;
}

}  // namespace slipway::store::faults
