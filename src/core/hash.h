// Content digests (SHA-256, through OpenSSL) for cache keys and artifact identity.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace slipway {

// Incremental SHA-256. Not thread-safe; one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void* ctx_;
};

std::string sha256_hex(std::string_view bytes);

struct PathDigest {
  std::string sha256;
  std::uint64_t size = 0;  // bytes, summed over files for a directory
};

// Digest of a file, or of a directory as the sorted list of (relative path, file digest), so a
// renamed or touched-and-changed file inside a directory changes the digest.
Result<PathDigest> digest_path(const std::filesystem::path& path);

}  // namespace slipway
