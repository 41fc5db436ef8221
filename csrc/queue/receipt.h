// Receipt handles and message ids of the queue engine.
//
// A receipt handle names one receive of one message: the queue's incarnation id (so a handle of a
// deleted and recreated queue is refused), the message's engine-internal number and the receive's
// nonce (so an older handle of a message received again is recognised as stale). Layout before
// encoding: version byte 1, fixed64 queue_uid, fixed64 message_seq, fixed64 nonce, one zero byte,
// masked CRC-32C of the preceding 26 bytes; 30 bytes as 40 URL-safe base64 characters. The CRC
// only tells typos and truncations from real handles; handles are not secrets. Stateless.
#ifndef PYCLOUD_QUEUE_RECEIPT_H_
#define PYCLOUD_QUEUE_RECEIPT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pycloud {
namespace queue {

struct Receipt {
  uint64_t queue_uid = 0;
  uint64_t message_seq = 0;
  uint64_t nonce = 0;
};

std::string EncodeReceipt(const Receipt& r);
// False for anything that is not a handle this engine could have issued.
bool DecodeReceipt(std::string_view handle, Receipt* r);

using MessageId = std::array<uint8_t, 16>;

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (lower-case hex) from 16 bytes whose version and variant
// bits are already set (see RandomMessageId in engine.cc).
std::string FormatMessageId(const MessageId& id);

// FIFO sequence numbers are shown as 20 decimal digits, so they also sort as strings.
std::string FormatSequenceNumber(uint64_t n);

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_RECEIPT_H_
