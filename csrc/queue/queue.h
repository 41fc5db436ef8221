// Queue: the in-memory state of one SQS queue, standard or FIFO. No I/O and no locking: the engine
// (engine.h) decides what happens, logs it, and applies it here; recovery replays the log through
// the same methods, so live state and recovered state cannot drift apart.
//
// Structures (all O(1) or O(log n) per message, independent of queue depth):
//  - messages_: every live message by its engine-internal number `seq` (what receipt handles
//    carry; increasing per queue, so it is also send order).
//  - standard queues: visible_, a deque of visible messages in the order they became visible.
//  - FIFO queues: one Group per MessageGroupId holding its not-in-flight messages in seq order,
//    plus how many are in flight (the group is locked while that is non-zero), and ready_, a ring
//    of groups that may have a deliverable message.
//  - timers_: a min-heap of visibility deadlines (delayed and in-flight messages).
//  - retention_: a min-heap of retention start times.
// Heaps and the visible deque are cleaned lazily: an entry whose message is gone or whose `gen` no
// longer matches is skipped when met, and the container is rebuilt once such dead entries
// outnumber live ones, so memory follows the live message count, not the history.
#ifndef PYCLOUD_QUEUE_QUEUE_H_
#define PYCLOUD_QUEUE_QUEUE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "queue/dedup_window.h"
#include "queue/receipt.h"
#include "queue/types.h"

namespace pycloud {
namespace queue {

enum class MsgState : uint8_t {
  kVisible = 0,
  kDelayed = 1,   // not visible before visible_at_ms (DelaySeconds)
  kInFlight = 2,  // received; invisible until visible_at_ms
  kDetached = 3,  // taken out by NextDeliverable(), about to be marked in flight or removed
};

struct Message {
  uint64_t seq = 0;
  MessageId id{};
  MsgState state = MsgState::kVisible;
  uint32_t receive_count = 0;
  uint32_t gen = 0;  // bumped on every state change; stale heap/deque entries carry older values
  int64_t sent_ms = 0;
  int64_t retain_from_ms = 0;  // retention counts from here (the original send, or a FIFO redrive)
  int64_t first_receive_ms = 0;
  int64_t visible_at_ms = 0;   // deadline while delayed or in flight
  uint64_t sequence_number = 0;  // FIFO only
  uint64_t nonce = 0;            // of the latest receive; 0: never received
  std::string body, attributes, group_id, dedup_id, dead_letter_source;

  // Bytes of its log record besides the fixed fields (see kMessageRecordOverhead).
  uint64_t RecordBytes() const {
    return body.size() + attributes.size() + group_id.size() + dedup_id.size() + dead_letter_source.size();
  }
  uint64_t PayloadBytes() const {
    return body.capacity() + attributes.capacity() + group_id.capacity() + dedup_id.capacity() +
           dead_letter_source.capacity();
  }
};

// Fixed-size part of a message's log record (header, ids, times, counters), for estimates.
constexpr uint64_t kMessageRecordOverhead = 72;

struct DedupValue {
  MessageId id{};
  uint64_t sequence_number = 0;
};

// A FIFO receive attempt: which receives it made, to hand back the same handles on a retry.
using AttemptValue = std::vector<std::pair<uint64_t, uint64_t>>;  // (seq, nonce)

class Queue {
 public:
  Queue(std::string name, bool fifo, uint64_t uid) : name_(std::move(name)), fifo_(fifo), uid_(uid) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  const std::string& name() const { return name_; }
  bool fifo() const { return fifo_; }
  uint64_t uid() const { return uid_; }

  QueueConfig config;
  // Counters restored by recovery from what it replays (or from the queue-create record).
  uint64_t next_seq = 1;
  uint64_t next_sequence_number = 1;
  uint64_t next_nonce = 1;
  ExpiringMap<DedupValue> dedup;
  ExpiringMap<AttemptValue> attempts;

  // Lazy time: drops messages past retention and turns due delayed/in-flight messages visible.
  void Advance(int64_t now);

  Message* Find(uint64_t seq);
  // Adds a message in the state it carries (kVisible, kDelayed or kInFlight, deadline in
  // visible_at_ms). Its seq must be new.
  Message& Insert(Message m);
  // Marks a message in flight until deadline (a receive, a visibility change, or replay of either).
  void SetInFlight(Message& m, int64_t deadline);
  // Makes a message visible now (a visibility change to 0 or a due timer).
  void MakeVisible(Message& m);
  void Remove(uint64_t seq);
  // Drops every message (PurgeQueue); deduplication ids are kept, as SQS does.
  void Clear();

  // The next message a receive may deliver, taken out of the visible structures (kDetached); the
  // caller must then SetInFlight or Remove it before calling again. nullptr when none is left.
  // FIFO: keeps draining the current group (strict order), then moves to the next unlocked one.
  Message* NextDeliverable();
  // Ends a receive: returns the group being drained to the ready ring if it is still unlocked.
  void EndReceive();

  // Earliest deadline of a delayed or in-flight message, or -1.
  int64_t NextDeadline();

  QueueStats Stats() const;
  size_t size() const { return messages_.size(); }
  // Estimate of the log bytes a snapshot of this queue's messages takes (kept up to date on every
  // insert and erase, so compaction can be decided in O(1) per queue).
  uint64_t live_log_bytes() const { return live_log_bytes_; }
  uint64_t in_flight() const { return n_in_flight_; }

  // Every live message (unordered); for snapshots.
  template <typename Fn>
  void ForEachMessage(Fn&& fn) const {
    for (const auto& [seq, m] : messages_) fn(m);
  }

 private:
  // Not-in-flight messages of one FIFO group in seq order: a vector with a moving head, since a
  // std::deque costs hundreds of bytes even when empty and a FIFO queue may hold millions of groups.
  class SeqList {
   public:
    bool empty() const { return head_ == v_.size(); }
    size_t size() const { return v_.size() - head_; }
    uint64_t front() const { return v_[head_]; }
    void pop_front();
    void insert(uint64_t seq);  // keeps order; usually an append
    void erase(uint64_t seq);
    size_t capacity() const { return v_.capacity(); }

   private:
    std::vector<uint64_t> v_;
    size_t head_ = 0;
  };

  struct Group {
    SeqList pending;
    uint32_t in_flight = 0;
    bool in_ready = false;
  };

  struct Timer {
    int64_t deadline;
    uint64_t seq;
    uint32_t gen;
  };
  struct RetentionEntry {
    int64_t from;
    uint64_t seq;
  };
  struct VisibleEntry {
    uint64_t seq;
    uint32_t gen;
  };

  void PushTimer(Message& m);
  void PushVisible(Message& m);        // standard only
  void LeaveState(Message& m);         // undoes the bookkeeping of m's current state
  void EnterVisible(Message& m);       // the bookkeeping of the visible state (m.state set already)
  void MaybeReady(const std::string& group_id, Group& g);
  void MaybeEraseGroup(const std::string& group_id);
  void Erase(Message& m);
  void Maintain();

  std::string name_;
  bool fifo_;
  uint64_t uid_;

  std::unordered_map<uint64_t, Message> messages_;
  std::deque<VisibleEntry> visible_;
  std::unordered_map<std::string, Group> groups_;
  std::deque<std::string> ready_;
  Group* current_ = nullptr;  // FIFO group being drained by the receive in progress
  std::string current_id_;
  std::vector<Timer> timers_;
  std::vector<RetentionEntry> retention_;

  uint64_t n_visible_ = 0, n_delayed_ = 0, n_in_flight_ = 0;
  uint64_t payload_bytes_ = 0;
  uint64_t live_log_bytes_ = 0;
  uint64_t ops_since_maintain_ = 0;
};

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_QUEUE_H_
