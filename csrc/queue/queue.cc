#include "queue/queue.h"

#include <algorithm>

namespace pycloud {
namespace queue {
namespace {

// Rebuild a lazily cleaned container once dead entries exceed live ones by this much.
constexpr size_t kSlack = 1024;

struct TimerLater {
  template <typename T>
  bool operator()(const T& a, const T& b) const { return a.deadline > b.deadline; }
};
struct RetentionLater {
  template <typename T>
  bool operator()(const T& a, const T& b) const { return a.from > b.from; }
};

// Heaps are cleaned lazily (dead entries are skipped when popped): once dead entries outnumber
// the `live` ones by far, rebuild from the live ones; otherwise give back spare capacity.
template <typename T, typename Later, typename IsLive>
void MaintainHeap(std::vector<T>* heap, size_t live, Later later, IsLive is_live) {
  if (heap->size() > 2 * live + kSlack) {
    std::vector<T> keep;
    keep.reserve(live);
    for (const T& e : *heap) {
      if (is_live(e)) keep.push_back(e);
    }
    std::make_heap(keep.begin(), keep.end(), later);
    heap->swap(keep);
  } else if (heap->capacity() > 4 * heap->size() + kSlack) {
    heap->shrink_to_fit();
  }
}

}  // namespace

// ------------------------------------------------------------------------------ SeqList

void Queue::SeqList::pop_front() {
  ++head_;
  if (head_ == v_.size()) {
    v_.clear();
    head_ = 0;
  } else if (head_ >= 32 && head_ * 2 >= v_.size()) {
    v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  if (v_.capacity() > 64 && v_.capacity() > 4 * v_.size()) v_.shrink_to_fit();
}

void Queue::SeqList::insert(uint64_t seq) {
  if (empty() || v_.back() < seq) {
    v_.push_back(seq);
    return;
  }
  auto it = std::upper_bound(v_.begin() + static_cast<std::ptrdiff_t>(head_), v_.end(), seq);
  if (it == v_.begin() + static_cast<std::ptrdiff_t>(head_) && head_ > 0) {
    v_[--head_] = seq;  // returning to the front: reuse the slot just popped
    return;
  }
  v_.insert(it, seq);
}

void Queue::SeqList::erase(uint64_t seq) {
  auto first = v_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto it = std::lower_bound(first, v_.end(), seq);
  if (it == v_.end() || *it != seq) return;
  if (it == first) {
    pop_front();
  } else {
    v_.erase(it);
  }
}

// ------------------------------------------------------------------------------ Queue

Message* Queue::Find(uint64_t seq) {
  auto it = messages_.find(seq);
  return it == messages_.end() ? nullptr : &it->second;
}

void Queue::PushTimer(Message& m) {
  timers_.push_back(Timer{m.visible_at_ms, m.seq, m.gen});
  std::push_heap(timers_.begin(), timers_.end(), TimerLater());
}

void Queue::PushVisible(Message& m) { visible_.push_back(VisibleEntry{m.seq, m.gen}); }

void Queue::MaybeReady(const std::string& group_id, Group& g) {
  if (!g.in_ready && g.in_flight == 0 && !g.pending.empty() && &g != current_) {
    g.in_ready = true;
    ready_.push_back(group_id);
  }
}

void Queue::MaybeEraseGroup(const std::string& group_id) {
  auto it = groups_.find(group_id);
  if (it == groups_.end() || &it->second == current_) return;
  Group& g = it->second;
  if (g.pending.empty() && g.in_flight == 0) {
    groups_.erase(it);  // a ring entry naming it is skipped when met
  } else {
    MaybeReady(group_id, g);
  }
}

void Queue::LeaveState(Message& m) {
  switch (m.state) {
    case MsgState::kVisible:
      --n_visible_;
      if (fifo_) groups_[m.group_id].pending.erase(m.seq);
      break;
    case MsgState::kDelayed:
      --n_delayed_;
      if (fifo_) groups_[m.group_id].pending.erase(m.seq);
      break;
    case MsgState::kInFlight:
      --n_in_flight_;
      if (fifo_) --groups_[m.group_id].in_flight;
      break;
    case MsgState::kDetached:
      break;
  }
  ++m.gen;  // whatever heap or deque entry pointed at the old state is now dead
}

Message& Queue::Insert(Message m) {
  payload_bytes_ += m.PayloadBytes();
  live_log_bytes_ += kMessageRecordOverhead + m.RecordBytes();
  auto [it, inserted] = messages_.emplace(m.seq, std::move(m));
  Message& msg = it->second;
  retention_.push_back(RetentionEntry{msg.retain_from_ms, msg.seq});
  std::push_heap(retention_.begin(), retention_.end(), RetentionLater());
  switch (msg.state) {
    case MsgState::kDetached:
      msg.state = MsgState::kVisible;
      [[fallthrough]];
    case MsgState::kVisible:
      EnterVisible(msg);
      break;
    case MsgState::kDelayed:
      ++n_delayed_;
      PushTimer(msg);
      if (fifo_) groups_[msg.group_id].pending.insert(msg.seq);  // readied when its timer fires
      break;
    case MsgState::kInFlight:
      ++n_in_flight_;
      PushTimer(msg);
      if (fifo_) ++groups_[msg.group_id].in_flight;
      break;
  }
  return msg;
}

void Queue::SetInFlight(Message& m, int64_t deadline) {
  LeaveState(m);
  m.state = MsgState::kInFlight;
  m.visible_at_ms = deadline;
  ++n_in_flight_;
  PushTimer(m);
  if (fifo_) ++groups_[m.group_id].in_flight;
}

void Queue::EnterVisible(Message& m) {
  ++n_visible_;
  if (fifo_) {
    Group& g = groups_[m.group_id];
    g.pending.insert(m.seq);
    MaybeReady(m.group_id, g);
  } else {
    PushVisible(m);
  }
}

void Queue::MakeVisible(Message& m) {
  LeaveState(m);
  m.state = MsgState::kVisible;
  EnterVisible(m);
}

void Queue::Erase(Message& m) {
  payload_bytes_ -= m.PayloadBytes();
  live_log_bytes_ -= kMessageRecordOverhead + m.RecordBytes();
  messages_.erase(m.seq);
}

void Queue::Remove(uint64_t seq) {
  Message* m = Find(seq);
  if (m == nullptr) return;
  bool touches_group = fifo_ && m->state != MsgState::kDetached;
  LeaveState(*m);
  if (touches_group) {
    std::string group_id = m->group_id;
    Erase(*m);
    MaybeEraseGroup(group_id);
  } else {
    Erase(*m);
  }
}

void Queue::Clear() {
  std::unordered_map<uint64_t, Message>().swap(messages_);
  std::deque<VisibleEntry>().swap(visible_);
  std::unordered_map<std::string, Group>().swap(groups_);
  std::deque<std::string>().swap(ready_);
  std::vector<Timer>().swap(timers_);
  std::vector<RetentionEntry>().swap(retention_);
  current_ = nullptr;
  attempts.Clear();
  n_visible_ = n_delayed_ = n_in_flight_ = 0;
  payload_bytes_ = 0;
  live_log_bytes_ = 0;
}

void Queue::Advance(int64_t now) {
  while (!retention_.empty() && retention_.front().from + config.retention_ms <= now) {
    RetentionEntry e = retention_.front();
    std::pop_heap(retention_.begin(), retention_.end(), RetentionLater());
    retention_.pop_back();
    Message* m = Find(e.seq);
    if (m != nullptr && m->retain_from_ms == e.from) Remove(e.seq);
  }
  while (!timers_.empty() && timers_.front().deadline <= now) {
    Timer t = timers_.front();
    std::pop_heap(timers_.begin(), timers_.end(), TimerLater());
    timers_.pop_back();
    Message* m = Find(t.seq);
    if (m != nullptr && m->gen == t.gen) MakeVisible(*m);
  }
  dedup.Expire(now);
  attempts.Expire(now);
  Maintain();
}

int64_t Queue::NextDeadline() {
  while (!timers_.empty()) {
    const Timer& t = timers_.front();
    Message* m = Find(t.seq);
    if (m != nullptr && m->gen == t.gen) return t.deadline;
    std::pop_heap(timers_.begin(), timers_.end(), TimerLater());
    timers_.pop_back();
  }
  return -1;
}

Message* Queue::NextDeliverable() {
  if (!fifo_) {
    while (!visible_.empty()) {
      VisibleEntry e = visible_.front();
      visible_.pop_front();
      Message* m = Find(e.seq);
      if (m == nullptr || m->gen != e.gen || m->state != MsgState::kVisible) continue;
      LeaveState(*m);
      m->state = MsgState::kDetached;
      return m;
    }
    return nullptr;
  }
  for (;;) {
    if (current_ != nullptr) {
      Group& g = *current_;
      if (!g.pending.empty()) {
        Message* m = Find(g.pending.front());
        if (m != nullptr && m->state == MsgState::kVisible) {
          LeaveState(*m);
          m->state = MsgState::kDetached;
          return m;
        }
      }
      current_ = nullptr;
      MaybeEraseGroup(current_id_);
      continue;
    }
    if (ready_.empty()) return nullptr;
    std::string id = std::move(ready_.front());
    ready_.pop_front();
    auto it = groups_.find(id);
    if (it == groups_.end()) continue;
    Group& g = it->second;
    g.in_ready = false;
    if (g.in_flight > 0) continue;  // unlocking re-readies it
    if (g.pending.empty()) {
      groups_.erase(it);
      continue;
    }
    Message* front = Find(g.pending.front());
    if (front == nullptr || front->state != MsgState::kVisible) continue;  // delayed: its timer re-readies
    current_ = &g;
    current_id_ = std::move(id);
  }
}

void Queue::EndReceive() {
  if (current_ == nullptr) return;
  current_ = nullptr;
  MaybeEraseGroup(current_id_);
}

void Queue::Maintain() {
  MaintainHeap(&timers_, n_delayed_ + n_in_flight_, TimerLater(), [this](const Timer& t) {
    const Message* m = Find(t.seq);
    return m != nullptr && m->gen == t.gen;
  });
  MaintainHeap(&retention_, messages_.size(), RetentionLater(), [this](const RetentionEntry& e) {
    const Message* m = Find(e.seq);
    return m != nullptr && m->retain_from_ms == e.from;
  });
  if (visible_.size() > 2 * n_visible_ + kSlack) {
    std::deque<VisibleEntry> keep;
    for (const VisibleEntry& e : visible_) {
      Message* m = Find(e.seq);
      if (m != nullptr && m->gen == e.gen && m->state == MsgState::kVisible) keep.push_back(e);
    }
    visible_.swap(keep);
  }
  if (ready_.size() > 2 * groups_.size() + kSlack) {
    std::deque<std::string> keep;
    for (auto& [id, g] : groups_) {
      if (g.in_ready) keep.push_back(id);
    }
    ready_.swap(keep);
  }
  // Hash tables never shrink by themselves; a queue that once held a million messages should not
  // keep a million buckets.
  if (messages_.bucket_count() > 8 * messages_.size() + kSlack) messages_.rehash(0);
  if (groups_.bucket_count() > 8 * groups_.size() + kSlack && current_ == nullptr) groups_.rehash(0);
}

QueueStats Queue::Stats() const {
  QueueStats s;
  s.visible = n_visible_;
  s.in_flight = n_in_flight_;
  s.delayed = n_delayed_;
  constexpr uint64_t kNodeOverhead = 32;  // hash node link, cached hash and allocator header
  s.memory_bytes = messages_.size() * (sizeof(Message) + kNodeOverhead) + payload_bytes_ +
                   messages_.bucket_count() * sizeof(void*) + visible_.size() * sizeof(VisibleEntry) +
                   timers_.capacity() * sizeof(Timer) + retention_.capacity() * sizeof(RetentionEntry) +
                   groups_.size() * (sizeof(Group) + 64 + kNodeOverhead) + groups_.bucket_count() * sizeof(void*) +
                   (fifo_ ? (n_visible_ + n_delayed_) * sizeof(uint64_t) : 0) + ready_.size() * 48 +
                   dedup.MemoryBytes() + attempts.MemoryBytes();
  return s;
}

}  // namespace queue
}  // namespace pycloud
