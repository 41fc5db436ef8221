// Wal: framing, replay, torn tails, rewrite and failure handling.
#include "queue/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/testharness.h"
#include "objstore/fault_env.h"
#include "objstore/test_util.h"

using namespace pycloud;         // NOLINT
using namespace pycloud::queue;  // NOLINT
using pycloud::objstore::ScratchDir;

namespace {

using Records = std::vector<std::pair<uint8_t, std::string>>;

Status AppendOne(Wal& wal, uint8_t type, const std::string& payload) {
  std::string buf;
  AppendRecord(&buf, type, payload);
  uint64_t lsn;
  Status s = wal.Append(buf, &lsn);
  if (s.ok()) s = wal.Commit(lsn);
  return s;
}

// A scratch log directory, the log opened on it and what the last open replayed. The log runs on
// a FaultEnv, which passes everything through until a test arms one of its counters.
struct LogDir {
  objstore::FaultEnv env{objstore::Env::Default()};  // declared first: outlives the log
  ScratchDir dir;
  Records got;
  std::unique_ptr<Wal> wal;
  WalRecovery rec;

  // Closes the log first, so two Wals never hold the same file.
  Status Reopen(SyncMode mode = SyncMode::kNever) {
    wal.reset();
    WalOptions o;
    o.sync = mode;
    o.env = &env;
    got.clear();
    return Wal::Open(
        dir.path(), o,
        [this](uint8_t type, std::string_view payload) {
          got.emplace_back(type, std::string(payload));
          return Status::OK();
        },
        &wal, &rec);
  }
  std::string log_path() const { return dir.path() + "/queue.log"; }
};

}  // namespace

TEST(Wal, ReplaysWhatWasAppended) {
  for (SyncMode mode : {SyncMode::kAlways, SyncMode::kBatch, SyncMode::kNever}) {
    LogDir log;
    CHECK(log.Reopen(mode).ok());
    CHECK(log.got.empty());
    for (int i = 0; i < 100; ++i) CHECK(AppendOne(*log.wal, 1 + i % 8, std::string(i * 37, 'x')).ok());
    CHECK(log.Reopen(mode).ok());
    CHECK_EQ(log.got.size(), size_t{100});
    CHECK_EQ(log.rec.records, uint64_t{100});
    CHECK_EQ(log.got[5].first, uint8_t{6});
    CHECK_EQ(log.got[99].second.size(), size_t{99 * 37});
  }
}

TEST(Wal, TruncatesATornTail) {
  LogDir log;
  CHECK(log.Reopen().ok());
  CHECK(AppendOne(*log.wal, 4, "first").ok());
  CHECK(AppendOne(*log.wal, 4, "second").ok());
  uint64_t good = log.wal->size();
  log.wal.reset();
  // A torn append: a header promising more bytes than follow, then garbage.
  std::string path = log.log_path();
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  std::string partial;
  AppendRecord(&partial, 4, std::string(100, 'z'));
  CHECK(::write(fd, partial.data(), 50) == 50);
  ::close(fd);
  CHECK(log.Reopen().ok());
  CHECK_EQ(log.got.size(), size_t{2});
  CHECK_EQ(log.rec.truncated_bytes, uint64_t{50});
  CHECK_EQ(log.wal->size(), good);
  CHECK(AppendOne(*log.wal, 5, "third").ok());
  CHECK(log.Reopen().ok());
  CHECK_EQ(log.got.size(), size_t{3});
  CHECK_EQ(log.got[2].second, std::string("third"));
  CHECK_EQ(log.rec.truncated_bytes, uint64_t{0});
}

TEST(Wal, StopsAtACorruptRecord) {
  LogDir log;
  CHECK(log.Reopen().ok());
  CHECK(AppendOne(*log.wal, 4, "aaaa").ok());
  uint64_t first = log.wal->size();
  CHECK(AppendOne(*log.wal, 4, "bbbb").ok());
  log.wal.reset();
  int fd = ::open(log.log_path().c_str(), O_WRONLY);
  CHECK(::pwrite(fd, "X", 1, static_cast<off_t>(first + kWalHeaderSize + 1)) == 1);
  ::close(fd);
  CHECK(log.Reopen().ok());
  CHECK_EQ(log.got.size(), size_t{1});
  CHECK_EQ(log.wal->size(), first);
}

TEST(Wal, RewriteReplacesTheLog) {
  LogDir log;
  CHECK(log.Reopen(SyncMode::kAlways).ok());
  for (int i = 0; i < 50; ++i) CHECK(AppendOne(*log.wal, 4, std::string(1000, 'a')).ok());
  Status s = log.wal->Rewrite([](const Wal::EmitFn& emit) {
    std::string buf;
    AppendRecord(&buf, 1, "snapshot");
    return emit(buf);
  });
  CHECK(s.ok());
  CHECK(log.wal->size() < 100);
  CHECK(AppendOne(*log.wal, 5, "after").ok());
  CHECK(log.Reopen().ok());
  CHECK_EQ(log.got.size(), size_t{2});
  CHECK_EQ(log.got[0].second, std::string("snapshot"));
  CHECK_EQ(log.got[1].second, std::string("after"));
}

TEST(Wal, FailedAppendIsCutBack) {
  LogDir log;
  CHECK(log.Reopen(SyncMode::kAlways).ok());
  CHECK(AppendOne(*log.wal, 4, "kept").ok());
  uint64_t size = log.wal->size();
  log.env.appends_left = 0;
  CHECK(!AppendOne(*log.wal, 4, std::string(500, 'q')).ok());
  CHECK_EQ(log.wal->size(), size);
  log.env.Heal();
  CHECK(AppendOne(*log.wal, 4, "next").ok());
  log.env.syncs_left = 0;
  CHECK(!AppendOne(*log.wal, 4, "unsynced").ok());
  log.env.Heal();
  CHECK(!AppendOne(*log.wal, 4, "refused").ok());  // a failed fsync poisons the log until reopened
  CHECK(log.Reopen().ok());
  CHECK(log.got.size() >= 2);
  CHECK_EQ(log.got[0].second, std::string("kept"));
  CHECK_EQ(log.got[1].second, std::string("next"));
}

TEST(Wal, FailedRewriteKeepsTheOldLog) {
  LogDir log;
  CHECK(log.Reopen().ok());
  CHECK(AppendOne(*log.wal, 4, "one").ok());
  log.env.renames_left = 0;
  Status s = log.wal->Rewrite([](const Wal::EmitFn& emit) { return emit("garbage"); });
  CHECK(!s.ok());
  log.env.Heal();
  CHECK(AppendOne(*log.wal, 4, "two").ok());
  CHECK(log.Reopen().ok());
  CHECK_EQ(log.got.size(), size_t{2});
}

int main() { return pycloud::test::RunAllTests(); }
