// SHA-256 of strings, files and directory trees (OpenSSL's EVP), for artifact digests and cache
// keys: two artifacts with the same bytes have the same digest wherever they are stored.
#include "core/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <vector>

namespace slipway {

namespace fs = std::filesystem;

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex_digest();
}

static Result<PathDigest> digest_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Failed("cannot read " + path.string());
  Sha256 h;
  PathDigest d;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize n = in.gcount();
    if (n > 0) {
      h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
      d.size += static_cast<std::uint64_t>(n);
    }
  }
  // A read error part-way (an NFS hiccup, a bad sector) must not pass as the digest of a shorter
  // file: the cache would then trust it.
  if (in.bad()) return Failed("cannot read " + path.string() + " to its end");
  d.sha256 = h.hex_digest();
  return d;
}

Result<PathDigest> digest_path(const fs::path& path) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return NotFound("no such file or directory: " + path.string());
  if (!fs::is_directory(st)) return digest_file(path);

  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) return Failed("cannot list " + path.string() + ": " + ec.message());
  // Sorted and keyed by relative path: the digest of a directory depends on its names and bytes
  // only, not on the order the file system lists them or where the directory is.
  std::sort(files.begin(), files.end());
  Sha256 h;
  PathDigest d;
  for (const auto& f : files) {
    auto fd = digest_file(f);
    if (!fd.ok()) return fd.status();
    h.update(fs::relative(f, path).string());
    h.update(std::string_view("\0", 1));  // a name and the digest after it never run together
    h.update(fd->sha256);
    d.size += fd->size;
  }
  d.sha256 = h.hex_digest();
  return d;
}

}  // namespace slipway
