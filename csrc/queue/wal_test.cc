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

Status OpenCollect(const std::string& dir, Records* got, std::unique_ptr<Wal>* wal, WalRecovery* rec,
                   SyncMode mode = SyncMode::kNever, objstore::Env* env = nullptr) {
  WalOptions o;
  o.sync = mode;
  o.env = env;
  got->clear();
  return Wal::Open(
      dir, o,
      [got](uint8_t type, std::string_view payload) {
        got->emplace_back(type, std::string(payload));
        return Status::OK();
      },
      wal, rec);
}

Status AppendOne(Wal& wal, uint8_t type, const std::string& payload) {
  std::string buf;
  AppendRecord(&buf, type, payload);
  uint64_t lsn;
  Status s = wal.Append(buf, &lsn);
  if (s.ok()) s = wal.Commit(lsn);
  return s;
}

}  // namespace

TEST(Wal, ReplaysWhatWasAppended) {
  ScratchDir dir;
  for (SyncMode mode : {SyncMode::kAlways, SyncMode::kBatch, SyncMode::kNever}) {
    std::string d = dir.path() + "/" + std::to_string(static_cast<int>(mode));
    Records got;
    std::unique_ptr<Wal> wal;
    WalRecovery rec;
    CHECK(OpenCollect(d, &got, &wal, &rec, mode).ok());
    CHECK(got.empty());
    for (int i = 0; i < 100; ++i) CHECK(AppendOne(*wal, 1 + i % 8, std::string(i * 37, 'x')).ok());
    wal.reset();
    CHECK(OpenCollect(d, &got, &wal, &rec, mode).ok());
    CHECK_EQ(got.size(), size_t{100});
    CHECK_EQ(rec.records, uint64_t{100});
    CHECK_EQ(got[5].first, uint8_t{6});
    CHECK_EQ(got[99].second.size(), size_t{99 * 37});
  }
}

TEST(Wal, TruncatesATornTail) {
  ScratchDir dir;
  Records got;
  std::unique_ptr<Wal> wal;
  WalRecovery rec;
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK(AppendOne(*wal, 4, "first").ok());
  CHECK(AppendOne(*wal, 4, "second").ok());
  uint64_t good = wal->size();
  wal.reset();
  // A torn append: a header promising more bytes than follow, then garbage.
  std::string path = dir.path() + "/queue.log";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  std::string partial;
  AppendRecord(&partial, 4, std::string(100, 'z'));
  CHECK(::write(fd, partial.data(), 50) == 50);
  ::close(fd);
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK_EQ(got.size(), size_t{2});
  CHECK_EQ(rec.truncated_bytes, uint64_t{50});
  CHECK_EQ(wal->size(), good);
  CHECK(AppendOne(*wal, 5, "third").ok());
  wal.reset();
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK_EQ(got.size(), size_t{3});
  CHECK_EQ(got[2].second, std::string("third"));
  CHECK_EQ(rec.truncated_bytes, uint64_t{0});
}

TEST(Wal, StopsAtACorruptRecord) {
  ScratchDir dir;
  Records got;
  std::unique_ptr<Wal> wal;
  WalRecovery rec;
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK(AppendOne(*wal, 4, "aaaa").ok());
  uint64_t first = wal->size();
  CHECK(AppendOne(*wal, 4, "bbbb").ok());
  wal.reset();
  int fd = ::open((dir.path() + "/queue.log").c_str(), O_WRONLY);
  CHECK(::pwrite(fd, "X", 1, static_cast<off_t>(first + kWalHeaderSize + 1)) == 1);
  ::close(fd);
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK_EQ(got.size(), size_t{1});
  CHECK_EQ(wal->size(), first);
}

TEST(Wal, RewriteReplacesTheLog) {
  ScratchDir dir;
  Records got;
  std::unique_ptr<Wal> wal;
  WalRecovery rec;
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec, SyncMode::kAlways).ok());
  for (int i = 0; i < 50; ++i) CHECK(AppendOne(*wal, 4, std::string(1000, 'a')).ok());
  Status s = wal->Rewrite([](const Wal::EmitFn& emit) {
    std::string buf;
    AppendRecord(&buf, 1, "snapshot");
    return emit(buf);
  });
  CHECK(s.ok());
  CHECK(wal->size() < 100);
  CHECK(AppendOne(*wal, 5, "after").ok());
  wal.reset();
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK_EQ(got.size(), size_t{2});
  CHECK_EQ(got[0].second, std::string("snapshot"));
  CHECK_EQ(got[1].second, std::string("after"));
}

TEST(Wal, FailedAppendIsCutBack) {
  ScratchDir dir;
  objstore::FaultEnv env(objstore::Env::Default());
  Records got;
  std::unique_ptr<Wal> wal;
  WalRecovery rec;
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec, SyncMode::kAlways, &env).ok());
  CHECK(AppendOne(*wal, 4, "kept").ok());
  uint64_t size = wal->size();
  env.appends_left = 0;
  CHECK(!AppendOne(*wal, 4, std::string(500, 'q')).ok());
  CHECK_EQ(wal->size(), size);
  env.Heal();
  CHECK(AppendOne(*wal, 4, "next").ok());
  env.syncs_left = 0;
  CHECK(!AppendOne(*wal, 4, "unsynced").ok());
  env.Heal();
  CHECK(!AppendOne(*wal, 4, "refused").ok());  // a failed fsync poisons the log until reopened
  wal.reset();
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK(got.size() >= 2);
  CHECK_EQ(got[0].second, std::string("kept"));
  CHECK_EQ(got[1].second, std::string("next"));
}

TEST(Wal, FailedRewriteKeepsTheOldLog) {
  ScratchDir dir;
  objstore::FaultEnv env(objstore::Env::Default());
  Records got;
  std::unique_ptr<Wal> wal;
  WalRecovery rec;
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec, SyncMode::kNever, &env).ok());
  CHECK(AppendOne(*wal, 4, "one").ok());
  env.renames_left = 0;
  Status s = wal->Rewrite([](const Wal::EmitFn& emit) { return emit("garbage"); });
  CHECK(!s.ok());
  env.Heal();
  CHECK(AppendOne(*wal, 4, "two").ok());
  wal.reset();
  CHECK(OpenCollect(dir.path(), &got, &wal, &rec).ok());
  CHECK_EQ(got.size(), size_t{2});
}

int main() { return pycloud::test::RunAllTests(); }
