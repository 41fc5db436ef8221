#include "queue/receipt.h"

#include <string>

#include "common/testharness.h"

using namespace pycloud::queue;  // NOLINT

TEST(Receipt, RoundTrips) {
  Receipt r{0x0123456789abcdefULL, 42, 7};
  std::string h = EncodeReceipt(r);
  CHECK_EQ(h.size(), size_t{40});
  Receipt back;
  CHECK(DecodeReceipt(h, &back));
  CHECK_EQ(back.queue_uid, r.queue_uid);
  CHECK_EQ(back.message_seq, uint64_t{42});
  CHECK_EQ(back.nonce, uint64_t{7});
  CHECK(EncodeReceipt(Receipt{1, 42, 8}) != EncodeReceipt(Receipt{1, 42, 7}));
}

TEST(Receipt, RejectsDamage) {
  std::string h = EncodeReceipt(Receipt{99, 1, 1});
  Receipt r;
  CHECK(!DecodeReceipt("", &r));
  CHECK(!DecodeReceipt(h.substr(1), &r));
  CHECK(!DecodeReceipt(h + "A", &r));
  for (size_t i = 0; i < h.size(); ++i) {
    std::string bad = h;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    CHECK(!DecodeReceipt(bad, &r));
  }
  std::string punct = h;
  punct[3] = '+';
  CHECK(!DecodeReceipt(punct, &r));
}

TEST(Receipt, FormatsIds) {
  MessageId id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(i * 17);
  CHECK_EQ(FormatMessageId(id), std::string("00112233-4455-6677-8899-aabbccddeeff"));
  CHECK_EQ(FormatSequenceNumber(12), std::string("00000000000000000012"));
  CHECK(FormatSequenceNumber(9) < FormatSequenceNumber(10));
}

int main() { return pycloud::test::RunAllTests(); }
