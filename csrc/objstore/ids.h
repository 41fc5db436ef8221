// Version ids and upload ids.
//
// Both are 24 random-ish bytes rendered as 32 characters of an order-preserving, URL-safe base64
// alphabet ("-0-9A-Z_a-z" is in ASCII order), so comparing the strings compares the bytes. Version
// ids start with the bitwise complement of a strictly increasing timestamp: newer ids sort first.
// Upload ids start with the timestamp itself: older uploads sort first, as ListMultipartUploads
// orders uploads of one key. Thread-safety: IdGenerator is internally synchronised.
#ifndef PYCLOUD_OBJSTORE_IDS_H_
#define PYCLOUD_OBJSTORE_IDS_H_

#include <array>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

namespace pycloud {
namespace objstore {

constexpr size_t kRawIdSize = 24;
constexpr size_t kIdChars = 32;
using RawId = std::array<uint8_t, kRawIdSize>;

std::string EncodeId(const RawId& raw);
// False unless s is exactly 32 characters of the alphabet.
bool DecodeId(std::string_view s, RawId* raw);

class IdGenerator {
 public:
  IdGenerator();
  // A version id for a version written at now_ns (virtual clock); strictly newer than every id
  // issued or observed before, even if the clock stands still or goes back.
  RawId NewVersionId(int64_t now_ns);
  RawId NewUploadId(int64_t now_ns);
  // Recovery: ids found on disk, so new ones keep sorting correctly after a restart.
  void ObserveVersionId(const RawId& raw);
  void ObserveUploadId(const RawId& raw);

 private:
  uint64_t NextTick(uint64_t* last, int64_t now_ns);
  RawId Make(uint64_t head);

  std::mutex mu_;
  std::mt19937_64 rng_;
  uint64_t last_version_tick_ = 0;
  uint64_t last_upload_tick_ = 0;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_IDS_H_
