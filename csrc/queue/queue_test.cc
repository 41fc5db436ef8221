// Queue: the in-memory structures, without the engine or a log.
#include "queue/queue.h"

#include <string>
#include <vector>

#include "common/testharness.h"

using namespace pycloud::queue;  // NOLINT

namespace {

Message Msg(uint64_t seq, const std::string& group = "", MsgState state = MsgState::kVisible, int64_t at = 0) {
  Message m;
  m.seq = seq;
  m.group_id = group;
  m.state = state;
  m.visible_at_ms = at;
  m.body = "body" + std::to_string(seq);
  return m;
}

// Receives up to max like the engine does (in flight until `deadline`), returning the seqs.
std::vector<uint64_t> Take(Queue& q, size_t max, int64_t deadline) {
  std::vector<uint64_t> out;
  while (out.size() < max) {
    Message* m = q.NextDeliverable();
    if (m == nullptr) break;
    q.SetInFlight(*m, deadline);
    out.push_back(m->seq);
  }
  q.EndReceive();
  return out;
}

}  // namespace

TEST(Queue, StandardVisibilityCycle) {
  Queue q("q", false, 1);
  for (uint64_t i = 1; i <= 3; ++i) q.Insert(Msg(i));
  CHECK_EQ(q.Stats().visible, uint64_t{3});
  auto got = Take(q, 2, 100);
  CHECK_EQ(got.size(), size_t{2});
  CHECK_EQ(got[0], uint64_t{1});
  CHECK_EQ(q.Stats().in_flight, uint64_t{2});
  CHECK_EQ(q.NextDeadline(), int64_t{100});
  q.Advance(99);
  CHECK_EQ(q.Stats().in_flight, uint64_t{2});
  q.Advance(100);
  CHECK_EQ(q.Stats().visible, uint64_t{3});
  CHECK_EQ(q.NextDeadline(), int64_t{-1});
  q.Remove(3);
  CHECK_EQ(Take(q, 10, 200).size(), size_t{2});
}

TEST(Queue, DelayedMessagesWaitForTheirTimer) {
  Queue q("q", false, 1);
  q.Insert(Msg(1, "", MsgState::kDelayed, 50));
  CHECK_EQ(q.Stats().delayed, uint64_t{1});
  CHECK(Take(q, 10, 1000).empty());
  q.Advance(50);
  CHECK_EQ(Take(q, 10, 1000).size(), size_t{1});
}

TEST(Queue, FifoGroupsLockWhileInFlight) {
  Queue q("f", true, 1);
  q.Insert(Msg(1, "a"));
  q.Insert(Msg(2, "a"));
  q.Insert(Msg(3, "b"));
  auto first = Take(q, 1, 100);
  CHECK_EQ(first.size(), size_t{1});
  CHECK_EQ(first[0], uint64_t{1});
  // Group a is locked by message 1: only group b is available.
  auto second = Take(q, 10, 100);
  CHECK_EQ(second.size(), size_t{1});
  CHECK_EQ(second[0], uint64_t{3});
  CHECK(Take(q, 10, 100).empty());
  q.Remove(1);
  auto third = Take(q, 10, 100);
  CHECK_EQ(third.size(), size_t{1});
  CHECK_EQ(third[0], uint64_t{2});
}

TEST(Queue, FifoReturnsExpiredMessagesInOrder) {
  Queue q("f", true, 1);
  for (uint64_t i = 1; i <= 4; ++i) q.Insert(Msg(i, "g"));
  auto got = Take(q, 3, 100);
  CHECK_EQ(got.size(), size_t{3});
  // Message 3 comes back first, then 1 and 2: the group must still deliver 1, 2, 3, 4.
  q.SetInFlight(*q.Find(3), 10);
  q.Advance(10);
  CHECK(Take(q, 10, 1000).empty());  // 1 and 2 still in flight: group locked
  q.Advance(100);
  auto again = Take(q, 10, 1000);
  CHECK_EQ(again.size(), size_t{4});
  for (size_t i = 0; i < again.size(); ++i) CHECK_EQ(again[i], uint64_t{i + 1});
}

TEST(Queue, RetentionDropsOldMessages) {
  Queue q("q", false, 1);
  q.config.retention_ms = 1000;
  Message a = Msg(1);
  a.retain_from_ms = 0;
  Message b = Msg(2);
  b.retain_from_ms = 500;
  q.Insert(a);
  q.Insert(b);
  q.Advance(999);
  CHECK_EQ(q.size(), size_t{2});
  q.Advance(1000);
  CHECK_EQ(q.size(), size_t{1});
  q.Advance(1500);
  CHECK_EQ(q.size(), size_t{0});
}

TEST(Queue, MemoryIsReclaimed) {
  Queue q("q", false, 1);
  for (uint64_t i = 1; i <= 200000; ++i) q.Insert(Msg(i));
  uint64_t full = q.Stats().memory_bytes;
  for (int round = 0; round < 20000; ++round) {
    for (uint64_t seq : Take(q, 10, 1000000)) q.Remove(seq);
    if (round % 100 == 0) q.Advance(0);
  }
  q.Advance(0);
  CHECK_EQ(q.size(), size_t{0});
  uint64_t empty = q.Stats().memory_bytes;
  CHECK(empty < full / 100);
  CHECK(empty < 64 * 1024);
}

TEST(Queue, ClearDropsEverything) {
  Queue q("f", true, 1);
  q.Insert(Msg(1, "a"));
  q.Insert(Msg(2, "b", MsgState::kDelayed, 10));
  Take(q, 1, 100);
  q.Clear();
  QueueStats s = q.Stats();
  CHECK_EQ(s.visible + s.in_flight + s.delayed, uint64_t{0});
  q.Advance(1000);
  CHECK(Take(q, 10, 2000).empty());
  q.Insert(Msg(3, "a"));
  CHECK_EQ(Take(q, 10, 2000).size(), size_t{1});
}

int main() { return pycloud::test::RunAllTests(); }
