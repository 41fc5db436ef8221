// Value types of the queue engine's public API (csrc/queue/engine.h). Plain data, no behaviour.
//
// Times are milliseconds of the caller's (virtual) clock; the engine never reads the wall clock
// for semantics.
#ifndef PYCLOUD_QUEUE_TYPES_H_
#define PYCLOUD_QUEUE_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>

namespace pycloud {
namespace queue {

// SQS limits the engine itself enforces (everything else is validated by the SQS layer).
constexpr uint32_t kStandardInFlightLimit = 120000;
constexpr uint32_t kFifoInFlightLimit = 20000;
constexpr int64_t kDedupWindowMs = 5 * 60 * 1000;

struct QueueConfig {
  int64_t visibility_timeout_ms = 30000;
  int64_t delay_ms = 0;
  int64_t retention_ms = 4LL * 24 * 3600 * 1000;
  int64_t max_message_bytes = 256 * 1024;
  bool content_based_dedup = false;
  bool dedup_scope_group = false;  // FIFO high throughput: dedup ids are unique per message group
  std::string dead_letter_target;  // empty: no redrive
  uint32_t max_receive_count = 0;  // redrive once a receive would make receive_count exceed this
};

struct SendRequest {
  std::string body;
  std::string attributes;                // opaque to the engine
  int64_t delay_ms = -1;                 // -1: the queue's default
  std::optional<std::string> group_id;   // FIFO: required
  std::optional<std::string> dedup_id;   // FIFO: required unless content-based deduplication
};

struct SendResult {
  std::string message_id;       // UUID
  std::string sequence_number;  // FIFO only, else ""
  bool duplicate = false;       // FIFO: an earlier send with the same deduplication id was found
};

struct ReceiveRequest {
  uint32_t max_messages = 1;
  int64_t visibility_timeout_ms = -1;  // -1: the queue's default
  std::optional<std::string> attempt_id;
};

struct ReceivedMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string attributes;
  uint32_t receive_count = 0;
  int64_t sent_ms = 0;
  int64_t first_receive_ms = 0;
  std::optional<std::string> group_id;
  std::optional<std::string> dedup_id;
  std::string sequence_number;  // FIFO only, else ""
  std::optional<std::string> dead_letter_source;
};

struct QueueStats {
  uint64_t visible = 0;    // ApproximateNumberOfMessages
  uint64_t in_flight = 0;  // ApproximateNumberOfMessagesNotVisible
  uint64_t delayed = 0;    // ApproximateNumberOfMessagesDelayed
  uint64_t memory_bytes = 0;  // estimate of the memory this queue holds (messages and indexes)
};

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_TYPES_H_
