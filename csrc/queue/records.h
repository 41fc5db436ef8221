// Payloads of the queue engine's log records (layouts in docs/queue-format.md).
//
// Every change to engine state is one record; recovery decodes them and applies them through the
// same Queue methods the live path uses. Decoders never read past their input and return false on
// malformed payloads. Stateless functions.
#ifndef PYCLOUD_QUEUE_RECORDS_H_
#define PYCLOUD_QUEUE_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "queue/queue.h"
#include "queue/types.h"

namespace pycloud {
namespace queue {

enum class RecordType : uint8_t {
  kCreateQueue = 1,
  kDeleteQueue = 2,
  kConfigure = 3,
  kMessage = 4,     // a send, a redrive/move into a queue, or a message in a compaction snapshot
  kDelete = 5,      // a message deleted (or moved out)
  kVisibility = 6,  // a receive or a visibility change: in flight until `deadline`
  kPurge = 7,
  kDedup = 8,       // a deduplication id still in its window (compaction snapshots only)
};
constexpr uint8_t kMaxRecordType = 8;

// kMessage flags.
constexpr uint64_t kFlagRememberDedup = 1;  // register the message's deduplication id on replay

struct CreateQueueRec {
  uint64_t uid = 0;
  std::string name;
  bool fifo = false;
  uint64_t next_seq = 1, next_sequence_number = 1, next_nonce = 1;
};

struct VisibilityRec {
  uint64_t uid = 0, seq = 0, nonce = 0;
  uint32_t receive_count = 0;
  int64_t first_receive_ms = 0;
  int64_t deadline = 0;
};

struct DedupRec {
  uint64_t uid = 0;
  std::string key;
  DedupValue value;
  int64_t expires_ms = 0;
};

// Every payload starts with the queue uid; the decoders below read the rest.
bool DecodeUid(std::string_view payload, uint64_t* uid);

std::string EncodeCreateQueue(const CreateQueueRec& r);
bool DecodeCreateQueue(std::string_view p, CreateQueueRec* r);

std::string EncodeUidOnly(uint64_t uid);  // kDeleteQueue, kPurge

std::string EncodeConfigure(uint64_t uid, const QueueConfig& c);
bool DecodeConfigure(std::string_view p, uint64_t* uid, QueueConfig* c);

std::string EncodeMessage(uint64_t uid, const Message& m, uint64_t flags);
bool DecodeMessage(std::string_view p, uint64_t* uid, Message* m, uint64_t* flags);

std::string EncodeDelete(uint64_t uid, uint64_t seq);
bool DecodeDelete(std::string_view p, uint64_t* uid, uint64_t* seq);

std::string EncodeVisibility(const VisibilityRec& r);
bool DecodeVisibility(std::string_view p, VisibilityRec* r);

std::string EncodeDedup(const DedupRec& r);
bool DecodeDedup(std::string_view p, DedupRec* r);

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_RECORDS_H_
