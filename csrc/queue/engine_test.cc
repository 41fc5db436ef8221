// Engine: SQS semantics end to end, persistence across reopen, compaction and log failures.
#include "queue/engine.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/testharness.h"
#include "objstore/fault_env.h"
#include "objstore/test_util.h"
#include "queue/errors.h"

using namespace pycloud;         // NOLINT
using namespace pycloud::queue;  // NOLINT
using pycloud::objstore::ScratchDir;

namespace {

std::unique_ptr<Engine> OpenEngine(const std::string& path, SyncMode mode = SyncMode::kNever,
                                   objstore::Env* env = nullptr, uint64_t compact_min = 8u << 20) {
  EngineOptions o;
  o.sync = mode;
  o.env = env;
  o.compact_min_bytes = compact_min;
  std::unique_ptr<Engine> e;
  Status s = Engine::Open(path, o, &e);
  if (!s.ok()) std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
  return e;
}

SendRequest Req(const std::string& body, std::optional<std::string> group = std::nullopt,
                std::optional<std::string> dedup = std::nullopt, int64_t delay = -1) {
  SendRequest r;
  r.body = body;
  r.attributes = "attr:" + body;
  r.group_id = std::move(group);
  r.dedup_id = std::move(dedup);
  r.delay_ms = delay;
  return r;
}

std::vector<ReceivedMessage> Recv(Engine& e, const std::string& q, uint32_t max, int64_t now, int64_t vis = -1) {
  ReceiveRequest r;
  r.max_messages = max;
  r.visibility_timeout_ms = vis;
  std::vector<ReceivedMessage> out;
  Status s = e.Receive(q, r, now, &out);
  if (!s.ok()) std::fprintf(stderr, "receive: %s\n", s.ToString().c_str());
  return out;
}

// Sends each body to src (configured to dead-letter into dlq after one receive) and redrives it:
// a receive, then the receive that would exceed maxReceiveCount once the visibility timeout ran out.
void DeadLetter(Engine& e, const std::string& src, const std::string& dlq, const std::vector<std::string>& bodies,
                int64_t now, bool fifo = false) {
  QueueConfig c;
  c.dead_letter_target = dlq;
  c.max_receive_count = 1;
  c.content_based_dedup = fifo;
  CHECK(e.Configure(src, c).ok());
  for (const auto& body : bodies) {
    SendResult r;
    CHECK(e.Send(src, fifo ? Req(body, "g") : Req(body), now, &r).ok());
  }
  while (!Recv(e, src, 10, now, 1).empty()) {
  }
  CHECK(Recv(e, src, 10, now + 1).empty());
}

uint64_t Visible(Engine& e, const std::string& q, int64_t now) {
  QueueStats st;
  CHECK(e.GetStats(q, now, &st).ok());
  return st.visible;
}

}  // namespace

TEST(Engine, SendReceiveDelete) {
  auto e = OpenEngine("");
  CHECK(e->CreateQueue("q", false).ok());
  CHECK_EQ(ErrorName(e->CreateQueue("q", false)), std::string("QueueExists"));
  SendResult r;
  CHECK(e->Send("q", Req("hello"), 1000, &r).ok());
  CHECK_EQ(r.message_id.size(), size_t{36});
  CHECK_EQ(ErrorName(e->Send("nope", Req("x"), 1000, &r)), std::string("NoSuchQueue"));
  auto got = Recv(*e, "q", 10, 1000);
  CHECK_EQ(got.size(), size_t{1});
  CHECK_EQ(got[0].body, std::string("hello"));
  CHECK_EQ(got[0].attributes, std::string("attr:hello"));
  CHECK_EQ(got[0].receive_count, uint32_t{1});
  CHECK_EQ(got[0].message_id, r.message_id);
  CHECK(Recv(*e, "q", 10, 1000).empty());
  CHECK(e->Delete("q", got[0].receipt_handle, 1001).ok());
  CHECK(e->Delete("q", got[0].receipt_handle, 1002).ok());  // stale handle of a deleted message
  CHECK_EQ(ErrorName(e->Delete("q", "junk", 1002)), std::string("ReceiptHandleIsInvalid"));
  CHECK(Recv(*e, "q", 10, 100000).empty());
}

TEST(Engine, VisibilityTimeoutAndStaleHandles) {
  auto e = OpenEngine("");
  CHECK(e->CreateQueue("q", false).ok());
  SendResult r;
  CHECK(e->Send("q", Req("m"), 0, &r).ok());
  auto first = Recv(*e, "q", 1, 0, 1000);
  CHECK(Recv(*e, "q", 1, 999).empty());
  auto second = Recv(*e, "q", 1, 1000, 1000);
  CHECK_EQ(second.size(), size_t{1});
  CHECK_EQ(second[0].receive_count, uint32_t{2});
  CHECK(first[0].receipt_handle != second[0].receipt_handle);
  CHECK_EQ(ErrorName(e->ChangeVisibility("q", first[0].receipt_handle, 5000, 1001)), std::string("MessageNotInflight"));
  CHECK(e->ChangeVisibility("q", second[0].receipt_handle, 5000, 1001).ok());
  QueueStats st;
  CHECK(e->GetStats("q", 5000, &st).ok());
  CHECK_EQ(st.in_flight, uint64_t{1});
  CHECK(e->GetStats("q", 6001, &st).ok());
  CHECK_EQ(st.visible, uint64_t{1});
  // Any well-formed handle of a live message deletes it.
  CHECK(e->Delete("q", first[0].receipt_handle, 6002).ok());
  CHECK(e->GetStats("q", 6002, &st).ok());
  CHECK_EQ(st.visible + st.in_flight, uint64_t{0});
}

TEST(Engine, FifoDedupAndOrder) {
  auto e = OpenEngine("");
  CHECK(e->CreateQueue("f", true).ok());
  SendResult r;
  CHECK_EQ(ErrorName(e->Send("f", Req("x"), 0, &r)), std::string("MissingGroupId"));
  CHECK_EQ(ErrorName(e->Send("f", Req("x", "g"), 0, &r)), std::string("MissingDedupId"));
  SendResult a, dup, b;
  CHECK(e->Send("f", Req("one", "g", "d1"), 0, &a).ok());
  CHECK(e->Send("f", Req("one again", "g", "d1"), 1000, &dup).ok());
  CHECK(dup.duplicate);
  CHECK_EQ(dup.message_id, a.message_id);
  CHECK_EQ(dup.sequence_number, a.sequence_number);
  CHECK(e->Send("f", Req("two", "g", "d2"), 2000, &b).ok());
  CHECK(b.sequence_number > a.sequence_number);
  SendResult late;
  CHECK(e->Send("f", Req("one later", "g", "d1"), kDedupWindowMs + 1, &late).ok());
  CHECK(!late.duplicate);
  auto got = Recv(*e, "f", 10, kDedupWindowMs + 2);
  CHECK_EQ(got.size(), size_t{3});
  CHECK_EQ(got[0].body, std::string("one"));
  CHECK_EQ(got[1].body, std::string("two"));
  CHECK_EQ(got[2].body, std::string("one later"));
}

TEST(Engine, RedriveToDeadLetterQueue) {
  auto e = OpenEngine("");
  CHECK(e->CreateQueue("src", false).ok());
  CHECK(e->CreateQueue("dlq", false).ok());
  QueueConfig c;
  c.dead_letter_target = "dlq";
  c.max_receive_count = 2;
  CHECK(e->Configure("src", c).ok());
  SendResult r;
  CHECK(e->Send("src", Req("poison"), 0, &r).ok());
  CHECK_EQ(Recv(*e, "src", 1, 0, 10).size(), size_t{1});
  CHECK_EQ(Recv(*e, "src", 1, 10, 10).size(), size_t{1});
  CHECK(Recv(*e, "src", 1, 20, 10).empty());  // the third receive would exceed 2: moved instead
  auto dead = Recv(*e, "dlq", 1, 20);
  CHECK_EQ(dead.size(), size_t{1});
  CHECK_EQ(dead[0].message_id, r.message_id);
  CHECK_EQ(dead[0].receive_count, uint32_t{1});
  CHECK(dead[0].dead_letter_source.has_value() && *dead[0].dead_letter_source == "src");
}

TEST(Engine, MoveMessagesBackToTheirSources) {
  auto e = OpenEngine("");
  for (const char* name : {"a", "b", "gone", "dlq"}) CHECK(e->CreateQueue(name, false).ok());
  DeadLetter(*e, "a", "dlq", {"a1", "a2"}, 0);
  DeadLetter(*e, "gone", "dlq", {"g1"}, 0);
  DeadLetter(*e, "b", "dlq", {"b1", "b2", "b3"}, 0);
  SendResult direct;
  CHECK(e->Send("dlq", Req("no source"), 0, &direct).ok());
  CHECK(e->DeleteQueue("gone").ok());
  CHECK_EQ(Visible(*e, "dlq", 10), uint64_t{7});

  uint64_t moved = 0;
  CHECK(e->MoveMessagesToSources("dlq", 3, 10, &moved).ok());
  CHECK_EQ(moved, uint64_t{3});  // the message of the deleted queue does not count
  CHECK(e->MoveMessagesToSources("dlq", -1, 10, &moved).ok());
  CHECK_EQ(moved, uint64_t{2});
  CHECK(e->MoveMessagesToSources("dlq", -1, 10, &moved).ok());
  CHECK_EQ(moved, uint64_t{0});

  auto a = Recv(*e, "a", 10, 20);
  auto b = Recv(*e, "b", 10, 20);
  CHECK_EQ(a.size(), size_t{2});
  CHECK_EQ(b.size(), size_t{3});
  for (const auto& m : a) {
    CHECK(m.body[0] == 'a');
    CHECK(!m.dead_letter_source.has_value());
    CHECK_EQ(m.receive_count, uint32_t{1});  // reset by the move, then this receive
  }
  for (const auto& m : b) CHECK(m.body[0] == 'b');
  auto left = Recv(*e, "dlq", 10, 20);  // what could not go back is still there, and visible
  CHECK_EQ(left.size(), size_t{2});
  std::vector<std::string> bodies{left[0].body, left[1].body};
  std::sort(bodies.begin(), bodies.end());
  CHECK_EQ(bodies[0], std::string("g1"));
  CHECK_EQ(bodies[1], std::string("no source"));
}

TEST(Engine, MoveMessagesBackSkipsInFlightAndNeedsTheQueue) {
  auto e = OpenEngine("");
  CHECK(e->CreateQueue("a", false).ok());
  CHECK(e->CreateQueue("dlq", false).ok());
  DeadLetter(*e, "a", "dlq", {"x", "y"}, 0);
  CHECK_EQ(Recv(*e, "dlq", 1, 5, 1000).size(), size_t{1});  // in flight: not moved
  uint64_t moved = 7;
  CHECK(e->MoveMessagesToSources("dlq", 0, 5, &moved).ok());
  CHECK_EQ(moved, uint64_t{0});
  CHECK(e->MoveMessagesToSources("dlq", -1, 5, &moved).ok());
  CHECK_EQ(moved, uint64_t{1});
  CHECK_EQ(ErrorName(e->MoveMessagesToSources("nope", -1, 5, &moved)), std::string("NoSuchQueue"));
}

TEST(Engine, MoveFifoMessagesBackToTheirSources) {
  auto e = OpenEngine("");
  for (const char* name : {"a.fifo", "b.fifo", "gone.fifo", "dlq.fifo"}) CHECK(e->CreateQueue(name, true).ok());
  DeadLetter(*e, "a.fifo", "dlq.fifo", {"a1", "a2"}, 0, true);
  DeadLetter(*e, "gone.fifo", "dlq.fifo", {"g1"}, 0, true);
  DeadLetter(*e, "b.fifo", "dlq.fifo", {"b1"}, 0, true);
  CHECK(e->DeleteQueue("gone.fifo").ok());
  uint64_t moved = 0;
  CHECK(e->MoveMessagesToSources("dlq.fifo", -1, 10, &moved).ok());
  CHECK_EQ(moved, uint64_t{3});
  auto a = Recv(*e, "a.fifo", 10, 20);
  CHECK_EQ(a.size(), size_t{2});
  CHECK_EQ(a[0].body, std::string("a1"));  // order within the group kept
  CHECK_EQ(a[1].body, std::string("a2"));
  CHECK(a[0].sequence_number < a[1].sequence_number);
  CHECK_EQ(Recv(*e, "b.fifo", 10, 20).size(), size_t{1});
  auto left = Recv(*e, "dlq.fifo", 10, 20);
  CHECK_EQ(left.size(), size_t{1});
  CHECK_EQ(left[0].body, std::string("g1"));
}

TEST(Engine, MoveMessagesBackSurvivesReopen) {
  ScratchDir dir;
  {
    auto e = OpenEngine(dir.path(), SyncMode::kAlways);
    for (const char* name : {"a", "b", "gone", "dlq"}) CHECK(e->CreateQueue(name, false).ok());
    DeadLetter(*e, "a", "dlq", {"a1"}, 0);
    DeadLetter(*e, "b", "dlq", {"b1", "b2"}, 0);
    DeadLetter(*e, "gone", "dlq", {"g1"}, 0);
    CHECK(e->DeleteQueue("gone").ok());
    uint64_t moved = 0;
    CHECK(e->MoveMessagesToSources("dlq", -1, 10, &moved).ok());
    CHECK_EQ(moved, uint64_t{3});
  }
  for (int round = 0; round < 2; ++round) {  // replayed, then from a compacted log
    auto e = OpenEngine(dir.path(), SyncMode::kAlways);
    CHECK_EQ(Visible(*e, "a", 20), uint64_t{1});
    CHECK_EQ(Visible(*e, "b", 20), uint64_t{2});
    CHECK_EQ(Visible(*e, "dlq", 20), uint64_t{1});
    auto left = Recv(*e, "dlq", 10, 20, 0);
    CHECK_EQ(left.size(), size_t{1});
    CHECK_EQ(left[0].body, std::string("g1"));
    CHECK(left[0].dead_letter_source.has_value() && *left[0].dead_letter_source == "gone");
    CHECK(e->Compact(true).ok());
  }
}

TEST(Engine, InFlightLimit) {
  auto e = OpenEngine("");
  CHECK(e->CreateQueue("q", false).ok());
  std::vector<SendRequest> batch(1000, Req("x"));
  std::vector<SendOutcome> out;
  for (uint32_t i = 0; i < kStandardInFlightLimit / 1000 + 1; ++i) CHECK(e->SendBatch("q", batch, 0, &out).ok());
  std::vector<ReceivedMessage> got;
  ReceiveRequest rr;
  rr.max_messages = 1000;
  uint64_t total = 0;
  Status s;
  for (;;) {
    s = e->Receive("q", rr, 0, &got);
    if (!s.ok() || got.empty()) break;
    total += got.size();
  }
  CHECK_EQ(total, uint64_t{kStandardInFlightLimit});
  CHECK_EQ(ErrorName(s), std::string("OverLimit"));
}

TEST(Engine, SurvivesReopen) {
  ScratchDir dir;
  std::string handle;
  {
    auto e = OpenEngine(dir.path(), SyncMode::kAlways);
    CHECK(e->CreateQueue("q", false).ok());
    CHECK(e->CreateQueue("f", true).ok());
    QueueConfig c;
    c.visibility_timeout_ms = 5000;
    c.content_based_dedup = true;
    CHECK(e->Configure("f", c).ok());
    SendResult r;
    for (int i = 0; i < 5; ++i) CHECK(e->Send("q", Req("m" + std::to_string(i)), 100, &r).ok());
    CHECK(e->Send("f", Req("fifo", "g"), 100, &r).ok());
    auto got = Recv(*e, "q", 2, 200, 10000);
    CHECK(e->Delete("q", got[0].receipt_handle, 300).ok());
    handle = got[1].receipt_handle;
    CHECK(e->CreateQueue("gone", false).ok());
    CHECK(e->DeleteQueue("gone").ok());
  }
  auto e = OpenEngine(dir.path(), SyncMode::kAlways);
  CHECK_EQ(e->QueueNames().size(), size_t{2});
  QueueStats st;
  CHECK(e->GetStats("q", 400, &st).ok());
  CHECK_EQ(st.visible, uint64_t{3});
  CHECK_EQ(st.in_flight, uint64_t{1});  // still invisible until 200 + 10000
  CHECK(e->ChangeVisibility("q", handle, 0, 500).ok());  // the handle survived too
  CHECK(e->GetStats("q", 500, &st).ok());
  CHECK_EQ(st.visible, uint64_t{4});
  SendResult dup;
  CHECK(e->Send("f", Req("fifo", "g"), 200, &dup).ok());
  CHECK(dup.duplicate);  // the dedup window survived
  QueueConfig c;
  bool fifo = false;
  CHECK(e->GetConfig("f", &c, &fifo).ok());
  CHECK(fifo && c.visibility_timeout_ms == 5000 && c.content_based_dedup);
}

TEST(Engine, CompactionBoundsTheLog) {
  ScratchDir dir;
  uint64_t max_log = 0;
  {
    auto e = OpenEngine(dir.path(), SyncMode::kNever, nullptr, 256 * 1024);
    CHECK(e->CreateQueue("q", false).ok());
    SendResult r;
    CHECK(e->Send("q", Req("keeper"), 0, &r).ok());
    std::string body(200, 'b');
    for (int i = 0; i < 20000; ++i) {
      CHECK(e->Send("q", Req(body), 1, &r).ok());
      auto got = Recv(*e, "q", 10, 1, 1000000);
      for (const auto& m : got) {
        if (m.body == "keeper") {
          CHECK(e->ChangeVisibility("q", m.receipt_handle, 0, 1).ok());
        } else {
          CHECK(e->Delete("q", m.receipt_handle, 1).ok());
        }
      }
      max_log = std::max(max_log, e->GetEngineStats().log_bytes);
    }
    EngineStats st = e->GetEngineStats();
    CHECK(st.compactions > 0);
    CHECK(max_log < 1024 * 1024);
  }
  auto e = OpenEngine(dir.path());
  auto got = Recv(*e, "q", 10, 2);
  CHECK_EQ(got.size(), size_t{1});
  CHECK_EQ(got[0].body, std::string("keeper"));
}

TEST(Engine, LogFailureRefusesFurtherCalls) {
  ScratchDir dir;
  objstore::FaultEnv env(objstore::Env::Default());
  {
    auto e = OpenEngine(dir.path(), SyncMode::kAlways, &env);
    CHECK(e->CreateQueue("q", false).ok());
    SendResult r;
    CHECK(e->Send("q", Req("durable"), 0, &r).ok());
    env.appends_left = 0;
    CHECK_EQ(ErrorName(e->Send("q", Req("lost"), 0, &r)), std::string("IOError"));
    env.Heal();
    CHECK_EQ(ErrorName(e->Send("q", Req("refused"), 0, &r)), std::string("IOError"));
  }
  auto e = OpenEngine(dir.path(), SyncMode::kAlways, &env);
  auto got = Recv(*e, "q", 10, 0);
  CHECK_EQ(got.size(), size_t{1});
  CHECK_EQ(got[0].body, std::string("durable"));
}

int main() { return pycloud::test::RunAllTests(); }
