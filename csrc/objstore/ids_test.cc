// Id encoding round trips, ordering (newest version first, oldest upload first) and uniqueness.
#include "objstore/ids.h"

#include <cctype>
#include <set>
#include <string>

#include "common/testharness.h"

namespace pycloud {
namespace objstore {
namespace {

TEST(Ids, EncodeDecodeRoundTrip) {
  IdGenerator gen;
  for (int i = 0; i < 100; ++i) {
    RawId raw = gen.NewVersionId(1000 + i);
    std::string s = EncodeId(raw);
    CHECK_EQ(s.size(), kIdChars);
    for (char c : s) CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    RawId back;
    CHECK(DecodeId(s, &back));
    CHECK(back == raw);
  }
}

TEST(Ids, RejectsMalformed) {
  RawId raw;
  CHECK(!DecodeId("", &raw));
  CHECK(!DecodeId("null", &raw));
  CHECK(!DecodeId(std::string(31, 'a'), &raw));
  CHECK(!DecodeId(std::string(31, 'a') + "+", &raw));
  CHECK(DecodeId(std::string(32, 'a'), &raw));
}

TEST(Ids, VersionIdsSortNewestFirstEvenWithAFrozenOrBackwardClock) {
  IdGenerator gen;
  std::string prev = EncodeId(gen.NewVersionId(5000));
  std::set<std::string> seen{prev};
  for (int i = 0; i < 1000; ++i) {
    int64_t now = i % 3 == 0 ? 5000 : (i % 3 == 1 ? 100 : 5000 + i);  // frozen, backwards, forwards
    std::string id = EncodeId(gen.NewVersionId(now));
    CHECK(id < prev);
    CHECK(seen.insert(id).second);
    prev = id;
  }
}

TEST(Ids, UploadIdsSortOldestFirst) {
  IdGenerator gen;
  std::string prev = EncodeId(gen.NewUploadId(10));
  for (int i = 0; i < 100; ++i) {
    std::string id = EncodeId(gen.NewUploadId(10));
    CHECK(id > prev);
    prev = id;
  }
}

TEST(Ids, ObservedIdsKeepOrderAcrossRestart) {
  IdGenerator first;
  RawId last = first.NewVersionId(1'000'000);
  IdGenerator second;  // a restarted process whose clock reads earlier
  second.ObserveVersionId(last);
  CHECK(EncodeId(second.NewVersionId(5)) < EncodeId(last));
  RawId up = first.NewUploadId(1'000'000);
  second.ObserveUploadId(up);
  CHECK(EncodeId(second.NewUploadId(5)) > EncodeId(up));
}

}  // namespace
}  // namespace objstore
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
