#include "common/hasher.h"

#include <cctype>

#include "common/crc32.h"
#include "common/crc32c.h"
#include "common/crc64nvme.h"
#include "common/md5.h"
#include "common/sha1.h"
#include "common/sha256.h"

namespace pycloud {
namespace {

// One adapter turns each algorithm's plain value type into a Hasher; the algorithms themselves
// stay free of virtual calls so C++ callers that know the algorithm can use them directly.
template <typename Algo>
class HasherImpl final : public Hasher {
 public:
  const char* name() const override { return Algo::kName; }
  size_t digest_size() const override { return Algo::kDigestSize; }
  void Update(const void* data, size_t n) override { algo_.Update(data, n); }
  void Final(uint8_t* out) const override { algo_.Final(out); }
  void Reset() override { algo_.Reset(); }
  std::unique_ptr<Hasher> Clone() const override { return std::make_unique<HasherImpl>(*this); }

 private:
  Algo algo_;
};

template <typename Algo>
std::unique_ptr<Hasher> Make() {
  return std::make_unique<HasherImpl<Algo>>();
}

struct Entry {
  const char* name;
  std::unique_ptr<Hasher> (*make)();
};

constexpr Entry kRegistry[] = {
    {Md5::kName, &Make<Md5>},         {Sha1::kName, &Make<Sha1>},     {Sha256::kName, &Make<Sha256>},
    {Crc32::kName, &Make<Crc32>},     {Crc32c::kName, &Make<Crc32c>}, {Crc64Nvme::kName, &Make<Crc64Nvme>},
};

// "SHA-256", "Sha256" and "sha256" all name the same algorithm.
std::string Canonical(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '-' || c == '_') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::string Hasher::Digest() const {
  uint8_t buf[kMaxDigestSize];
  Final(buf);
  return std::string(reinterpret_cast<const char*>(buf), digest_size());
}

std::string Hasher::HexDigest() const {
  static constexpr char kHex[] = "0123456789abcdef";
  uint8_t buf[kMaxDigestSize];
  Final(buf);
  std::string out(2 * digest_size(), '\0');
  for (size_t i = 0; i < digest_size(); ++i) {
    out[2 * i] = kHex[buf[i] >> 4];
    out[2 * i + 1] = kHex[buf[i] & 15];
  }
  return out;
}

Status NewHasher(std::string_view name, std::unique_ptr<Hasher>* out) {
  std::string canonical = Canonical(name);
  for (const Entry& e : kRegistry) {
    if (canonical == e.name) {
      *out = e.make();
      return Status::OK();
    }
  }
  std::string msg = "unsupported hash algorithm '";
  msg.append(name);
  msg += "'";
  return Status::InvalidArgument(msg);
}

const std::vector<std::string>& HasherNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Entry& e : kRegistry) v.emplace_back(e.name);
    return v;
  }();
  return names;
}

Status HashBytes(std::string_view name, const void* data, size_t n, std::string* digest) {
  std::unique_ptr<Hasher> h;
  Status s = NewHasher(name, &h);
  if (!s.ok()) return s;
  h->Update(data, n);
  *digest = h->Digest();
  return Status::OK();
}

}  // namespace pycloud
