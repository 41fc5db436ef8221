// IoCounter: counts I/Os in operations the way EBS does.
//
// An I/O of up to one unit (256 KiB on SSD volumes, 1 MiB on HDD volumes) is one operation; a
// larger one is split into ceil(length / unit) operations. Physically contiguous I/Os merge, so a
// sequential stream is counted by its bytes, not its requests (8 contiguous 32 KiB reads: one
// operation on SSD; 8 random ones: eight).
//
// The exact merging rule: reads and writes are two separate streams. Each stream remembers where
// its last I/O ended and how many bytes are left in its last counted operation ("room"). An I/O
// that starts exactly where the previous I/O of the same stream ended first fills that room, and
// only what does not fit is counted, in whole units. Any other I/O starts afresh. A zero-length
// I/O counts as one operation and leaves the stream as it was. There is no time window: a
// contiguous I/O merges however long after its predecessor it comes.
//
// Not thread-safe; the owner serialises calls.
#ifndef PYCLOUD_SCHED_IO_COUNTER_H_
#define PYCLOUD_SCHED_IO_COUNTER_H_

#include <cstdint>

namespace pycloud {
namespace sched {

class IoCounter {
 public:
  explicit IoCounter(uint64_t unit) : unit_(unit > 0 ? unit : 1) {}

  // Operations this I/O adds (0 when it fits entirely in the previous operation's room).
  uint64_t Count(uint64_t offset, uint64_t length, bool is_write) {
    if (length == 0) return 1;
    Stream& s = streams_[is_write ? 1 : 0];
    const uint64_t merged = (s.valid && offset == s.next_offset) ? (length < s.room ? length : s.room) : 0;
    const uint64_t rest = length - merged;
    const uint64_t ops = rest / unit_ + (rest % unit_ != 0 ? 1 : 0);
    s.room = ops > 0 ? ops * unit_ - rest : s.room - merged;
    // An I/O reaching the end of the address space cannot be followed contiguously.
    s.valid = length <= UINT64_MAX - offset;
    s.next_offset = s.valid ? offset + length : 0;
    return ops;
  }

  uint64_t unit() const { return unit_; }

 private:
  struct Stream {
    bool valid = false;
    uint64_t next_offset = 0;
    uint64_t room = 0;
  };
  uint64_t unit_;
  Stream streams_[2];  // reads, writes
};

}  // namespace sched
}  // namespace pycloud

#endif  // PYCLOUD_SCHED_IO_COUNTER_H_
