// ObjectStore end to end: puts, versions, multipart, compaction and recovery, plus fault injection
// through FaultEnv: a failed write, fsync or rename must leave the store consistent (the failed
// operation invisible, everything acknowledged intact, before and after reopening).
#include "objstore/object_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/hasher.h"
#include "common/testharness.h"
#include "objstore/crash_env.h"
#include "objstore/fault_env.h"
#include "objstore/test_util.h"

namespace pycloud {
namespace objstore {
namespace {

Options SmallOptions(Env* env = nullptr, Options::Sync sync = Options::Sync::kAlways) {
  Options o;
  o.sync = sync;
  o.small_object_threshold = 100;
  o.segment_size = 4096;
  o.min_part_size = 10;
  o.env = env;
  return o;
}

Status Put(ObjectStore* s, const std::string& key, const std::string& body, Versioning v = Versioning::kUnversioned,
           ObjectInfo* info = nullptr) {
  std::unique_ptr<ObjectWriter> w;
  Status st = s->BeginPut("b", "", &w);
  for (size_t i = 0; st.ok() && i < body.size(); i += 37) st = w->Write(body.data() + i, std::min<size_t>(37, body.size() - i));
  ObjectInfo local;
  if (st.ok()) st = w->Commit(key, "meta:" + key, 1, v, info != nullptr ? info : &local);
  return st;
}

std::string Get(ObjectStore* s, const std::string& key, const std::string& vid = "") {
  std::unique_ptr<ObjectReader> r;
  if (!s->Open("b", key, vid, &r).ok()) return "<missing>";
  std::string out(r->info().size, '\0');
  size_t got = 0;
  if (!r->Read(0, out.size(), out.data(), &got).ok() || got != out.size()) return "<error>";
  return out;
}

std::unique_ptr<ObjectStore> OpenStore(const std::string& dir, const Options& o) {
  std::unique_ptr<ObjectStore> s;
  Status st = ObjectStore::Open(dir, o, &s);
  CHECK(st.ok());
  if (!st.ok()) std::fprintf(stderr, "open: %s\n", st.ToString().c_str());
  return s;
}

TEST(ObjectStore, PutGetReopen) {
  ScratchDir dir;
  {
    auto s = OpenStore(dir.path(), SmallOptions());
    CHECK(s->CreateBucket("b").ok());
    CHECK(Put(s.get(), "small", "tiny").ok());
    CHECK(Put(s.get(), "large", std::string(1000, 'L')).ok());
    CHECK(Put(s.get(), "empty", "").ok());
    CHECK_EQ(Get(s.get(), "small"), std::string("tiny"));
  }
  auto s = OpenStore(dir.path(), SmallOptions());
  CHECK_EQ(Get(s.get(), "small"), std::string("tiny"));
  CHECK_EQ(Get(s.get(), "large"), std::string(1000, 'L'));
  CHECK_EQ(Get(s.get(), "empty"), std::string());
  ObjectInfo info;
  CHECK(s->Head("b", "large", "", &info).ok());
  CHECK_EQ(info.metadata, std::string("meta:large"));
  CHECK_EQ(ErrorName(s->Head("b", "nope", "", &info)), std::string("NoSuchKey"));
  CHECK_EQ(ErrorName(s->Head("x", "nope", "", &info)), std::string("NoSuchBucket"));
  CHECK_EQ(ErrorName(s->DeleteBucket("b")), std::string("BucketNotEmpty"));
}

TEST(ObjectStore, VersionsSurviveReopenAndCompaction) {
  ScratchDir dir;
  std::vector<std::string> ids;
  {
    auto s = OpenStore(dir.path(), SmallOptions());
    s->CreateBucket("b");
    for (int i = 0; i < 3; ++i) {
      ObjectInfo info;
      CHECK(Put(s.get(), "k", "v" + std::to_string(i), Versioning::kEnabled, &info).ok());
      ids.push_back(info.version_id);
    }
    DeleteResult d;
    CHECK(s->Delete("b", "k", ids[1], Versioning::kEnabled, 2, &d).ok());
    CHECK(s->Delete("b", "k", "", Versioning::kEnabled, 3, &d).ok());
    CHECK(d.is_delete_marker);
    for (int i = 0; i < 200; ++i) CHECK(Put(s.get(), "churn" + std::to_string(i % 7), std::string(50, 'c')).ok());
    CompactionStats cs;
    CHECK(s->Compact(true, &cs).ok());
    CHECK(cs.segments_compacted > 0);
  }
  auto s = OpenStore(dir.path(), SmallOptions());
  ObjectInfo info;
  CHECK(s->Head("b", "k", "", &info).ok());
  CHECK(info.is_delete_marker);
  CHECK_EQ(Get(s.get(), "k", ids[0]), std::string("v0"));
  CHECK_EQ(Get(s.get(), "k", ids[1]), std::string("<missing>"));
  CHECK_EQ(Get(s.get(), "k", ids[2]), std::string("v2"));
  ListResult r;
  CHECK(s->List("b", "", "", "", 100, &r).ok());
  CHECK_EQ(r.objects.size(), 7u);
}

TEST(ObjectStore, MultipartSurvivesReopen) {
  ScratchDir dir;
  std::string upload;
  std::vector<std::pair<uint32_t, std::string>> parts;
  {
    auto s = OpenStore(dir.path(), SmallOptions());
    s->CreateBucket("b");
    CHECK(s->CreateUpload("b", "mp", "m", 1, &upload).ok());
    for (uint32_t n = 1; n <= 3; ++n) {
      std::unique_ptr<PartWriter> w;
      CHECK(s->BeginPart(upload, n, "", &w).ok());
      std::string body(n == 3 ? 5 : 20, static_cast<char>('0' + n));
      CHECK(w->Write(body.data(), body.size()).ok());
      PartInfo p;
      CHECK(w->Commit(1, &p).ok());
      parts.emplace_back(n, p.etag);
    }
  }
  auto s = OpenStore(dir.path(), SmallOptions());
  ObjectInfo info;
  CHECK_EQ(ErrorName(s->CompleteUpload(upload, {parts[1], parts[0]}, "", 2, Versioning::kUnversioned, &info)),
           std::string("InvalidPartOrder"));
  CHECK(s->CompleteUpload(upload, parts, "final", 2, Versioning::kUnversioned, &info).ok());
  CHECK_EQ(info.size, 45u);
  CHECK_EQ(info.parts, 3u);
  CHECK_EQ(Get(s.get(), "mp"), std::string(20, '1') + std::string(20, '2') + std::string(5, '3'));
  s.reset();
  s = OpenStore(dir.path(), SmallOptions());
  CHECK_EQ(Get(s.get(), "mp"), std::string(20, '1') + std::string(20, '2') + std::string(5, '3'));
  CHECK_EQ(s->GetStats().uploads, 0u);
}

TEST(ObjectStoreFaults, FailedLogAppendIsInvisibleAndUndone) {
  ScratchDir dir;
  FaultEnv env(Env::Default());
  {
    auto s = OpenStore(dir.path(), SmallOptions(&env));
    s->CreateBucket("b");
    CHECK(Put(s.get(), "before", "ok").ok());
    env.appends_left = 0;  // the next append tears half a record, then fails
    CHECK(Put(s.get(), "failed", "xyz").IsIOError());
    env.Heal();
    CHECK_EQ(Get(s.get(), "failed"), std::string("<missing>"));
    CHECK(Put(s.get(), "after", "fine").ok());  // lands after "before", not behind garbage
  }
  auto s = OpenStore(dir.path(), SmallOptions());
  CHECK_EQ(Get(s.get(), "before"), std::string("ok"));
  CHECK_EQ(Get(s.get(), "after"), std::string("fine"));
  CHECK_EQ(Get(s.get(), "failed"), std::string("<missing>"));
  CHECK_EQ(s->GetStats().truncated_bytes, 0u);
}

TEST(ObjectStoreFaults, FailedFsyncMakesStoreReadOnly) {
  ScratchDir dir;
  FaultEnv env(Env::Default());
  {
    auto s = OpenStore(dir.path(), SmallOptions(&env));
    s->CreateBucket("b");
    CHECK(Put(s.get(), "before", "ok").ok());
    env.syncs_left = 0;
    CHECK(Put(s.get(), "failed", "xyz").IsIOError());
    env.Heal();
    CHECK(Put(s.get(), "later", "no").IsIOError());  // writes refused after an fsync failure
    CHECK_EQ(Get(s.get(), "before"), std::string("ok"));  // reads still work
  }
  auto s = OpenStore(dir.path(), SmallOptions());
  CHECK_EQ(Get(s.get(), "before"), std::string("ok"));
  CHECK_EQ(Get(s.get(), "failed"), std::string("<missing>"));
  CHECK(Put(s.get(), "later", "yes").ok());
}

TEST(ObjectStoreFaults, FailedLargeBodyLeavesNoFiles) {
  ScratchDir dir;
  FaultEnv env(Env::Default());
  auto s = OpenStore(dir.path(), SmallOptions(&env));
  s->CreateBucket("b");
  env.renames_left = 0;
  CHECK(Put(s.get(), "big", std::string(500, 'b')).IsIOError());
  env.Heal();
  env.appends_left = 3;  // fails while streaming the body to its temp file
  CHECK(Put(s.get(), "big2", std::string(5000, 'b')).IsIOError());
  env.Heal();
  std::vector<std::string> names;
  Env::Default()->GetChildren(dir.path() + "/tmp", &names);
  CHECK_EQ(names.size(), 0u);
  Env::Default()->GetChildren(dir.path() + "/data", &names);
  CHECK_EQ(names.size(), 0u);
  CHECK(Put(s.get(), "big", std::string(500, 'b')).ok());
  CHECK_EQ(Get(s.get(), "big"), std::string(500, 'b'));
}

TEST(ObjectStoreFaults, FailedSegmentRollKeepsAcknowledgedData) {
  ScratchDir dir;
  FaultEnv env(Env::Default());
  int acked = 0;
  {
    auto s = OpenStore(dir.path(), SmallOptions(&env, Options::Sync::kNever));
    s->CreateBucket("b");
    env.creates_left = 0;  // the next segment cannot be created
    for (int i = 0; i < 100; ++i) {
      if (Put(s.get(), "k" + std::to_string(i), std::string(60, 'x')).ok()) {
        ++acked;
      } else {
        break;
      }
    }
    env.Heal();
    CHECK(acked > 0 && acked < 100);
  }
  auto s = OpenStore(dir.path(), SmallOptions());
  for (int i = 0; i < acked; ++i) CHECK_EQ(Get(s.get(), "k" + std::to_string(i)), std::string(60, 'x'));
  CHECK_EQ(Get(s.get(), "k" + std::to_string(acked)), std::string("<missing>"));
}

// Several threads commit under kAlways with a slow "disk": every acknowledged put survives an OS
// crash (segments cut back to what was fdatasynced), and commits shared fsyncs (group commit).
void CommitConcurrentlyThenCrash(Options::Sync sync, bool sync_before_crash) {
  ScratchDir dir, crashed;
  CrashEnv env(Env::Default());
  env.sync_delay_us = 2000;
  Options o = SmallOptions(&env, sync);
  o.small_object_threshold = 1 << 20;
  o.segment_size = 16 * 1024;  // rolls happen while others wait for their sync
  o.batch_window_ms = 5;
  constexpr int kThreads = 4, kPuts = 60;
  std::vector<std::vector<std::string>> acked(kThreads);
  std::atomic<int> failures{0};
  auto s = OpenStore(dir.path(), o);
  CHECK(s->CreateBucket("b").ok());
  const uint64_t syncs_before = s->GetStats().log_syncs;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (Put(s.get(), key, "body of " + key).ok()) {
          acked[t].push_back(key);
        } else {
          ++failures;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK_EQ(failures.load(), 0);
  if (sync_before_crash) CHECK(s->Sync().ok());
  const uint64_t syncs = s->GetStats().log_syncs - syncs_before;
  if (sync == Options::Sync::kAlways) {
    // One fsync per commit would be kThreads * kPuts; waiting committers share the next one.
    CHECK(syncs > 0 && syncs < kThreads * kPuts * 3 / 4);
  }
  CHECK(env.SnapshotAfterCrash(dir.path(), crashed.path()).ok());
  s.reset();
  auto r = OpenStore(crashed.path(), SmallOptions());
  int checked = 0;
  for (const auto& keys : acked) {
    for (const std::string& key : keys) {
      CHECK_EQ(Get(r.get(), key), "body of " + key);
      ++checked;
    }
  }
  CHECK_EQ(checked, kThreads * kPuts);
}

TEST(GroupCommit, AlwaysAcknowledgedCommitsSurviveCrash) { CommitConcurrentlyThenCrash(Options::Sync::kAlways, false); }

TEST(GroupCommit, BatchCommitsSurviveCrashOnceSynced) { CommitConcurrentlyThenCrash(Options::Sync::kBatch, true); }

// A failed shared fsync fails every commit waiting on it and leaves none of them after reopen.
TEST(GroupCommit, FailedSharedSyncFailsWaitersAndTurnsReadOnly) {
  ScratchDir dir;
  FaultEnv env(Env::Default());
  {
    auto s = OpenStore(dir.path(), SmallOptions(&env));
    CHECK(s->CreateBucket("b").ok());
    CHECK(Put(s.get(), "before", "ok").ok());
    env.syncs_left = 0;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] { ok += Put(s.get(), "k" + std::to_string(t), "x").ok(); });
    }
    for (std::thread& th : threads) th.join();
    CHECK_EQ(ok.load(), 0);
    env.Heal();
    CHECK(Put(s.get(), "later", "no").IsIOError());
  }
  auto s = OpenStore(dir.path(), SmallOptions());
  CHECK_EQ(Get(s.get(), "before"), std::string("ok"));
  for (int t = 0; t < 3; ++t) CHECK_EQ(Get(s.get(), "k" + std::to_string(t)), std::string("<missing>"));
}

// Large chunks are hashed on a worker thread while written: digests must equal one-shot ones,
// for puts and parts, whatever the chunking (below and above the overlap size, odd tails).
TEST(HashOverlap, DigestsMatchOneShotHashes) {
  ScratchDir dir;
  Options o = SmallOptions(nullptr, Options::Sync::kNever);
  o.small_object_threshold = 64 * 1024;
  auto s = OpenStore(dir.path(), o);
  CHECK(s->CreateBucket("b").ok());
  std::string body((3u << 20) + 7, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::string md5, sha;
  CHECK(HashBytes("md5", body.data(), body.size(), &md5).ok());
  CHECK(HashBytes("sha256", body.data(), body.size(), &sha).ok());
  for (size_t chunk : {size_t{1000}, size_t{128 * 1024}, size_t{1 << 20}, body.size()}) {
    std::unique_ptr<ObjectWriter> w;
    CHECK(s->BeginPut("b", "sha256", &w).ok());
    for (size_t off = 0; off < body.size(); off += chunk) {
      CHECK(w->Write(body.data() + off, std::min(chunk, body.size() - off)).ok());
    }
    ObjectInfo info;
    CHECK(w->Commit("k", "", 1, Versioning::kUnversioned, &info).ok());
    std::unique_ptr<Hasher> hex;
    NewHasher("md5", &hex);
    hex->Update(body.data(), body.size());
    CHECK_EQ(info.etag, hex->HexDigest());
    CHECK(info.checksum == sha);
    CHECK(Get(s.get(), "k") == body);
  }
  std::string upload;
  CHECK(s->CreateUpload("b", "mp", "", 1, &upload).ok());
  std::unique_ptr<PartWriter> pw;
  CHECK(s->BeginPart(upload, 1, "crc32c", &pw).ok());
  CHECK(pw->Write(body.data(), 300 * 1024).ok());
  CHECK(pw->Write(body.data() + 300 * 1024, body.size() - 300 * 1024).ok());
  PartInfo part;
  CHECK(pw->Commit(1, &part).ok());
  std::string crc;
  CHECK(HashBytes("crc32c", body.data(), body.size(), &crc).ok());
  CHECK(part.checksum == crc);
  std::unique_ptr<Hasher> hex;
  NewHasher("md5", &hex);
  hex->Update(body.data(), body.size());
  CHECK_EQ(part.etag, hex->HexDigest());
}

// Overwrites make sealed segments garbage: the background thread compacts them on its own.
TEST(BackgroundCompaction, ReclaimsGarbageAndKeepsLiveData) {
  ScratchDir dir;
  Options o = SmallOptions(nullptr, Options::Sync::kBatch);
  o.compaction_interval_ms = 20;
  o.batch_window_ms = 1;
  auto s = OpenStore(dir.path(), o);
  CHECK(s->CreateBucket("b").ok());
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 40; ++i) CHECK(Put(s.get(), "k" + std::to_string(i), std::to_string(round) + "/" + std::to_string(i)).ok());
  }
  std::unique_ptr<ObjectReader> early;
  CHECK(s->Open("b", "k0", "", &early).ok());
  bool compacted = false;
  for (int i = 0; i < 500 && !compacted; ++i) {
    compacted = s->GetStats().background_compactions > 0;
    if (!compacted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(compacted);
  CHECK(s->GetStats().bytes_reclaimed > 0);
  for (int i = 0; i < 40; ++i) CHECK_EQ(Get(s.get(), "k" + std::to_string(i)), "4/" + std::to_string(i));
  std::string got(early->info().size, '\0');
  size_t n = 0;
  CHECK(early->Read(0, got.size(), got.data(), &n).ok());
  CHECK_EQ(got, std::string("4/0"));
  s.reset();  // stops the compactor
  auto r = OpenStore(dir.path(), SmallOptions());
  for (int i = 0; i < 40; ++i) CHECK_EQ(Get(r.get(), "k" + std::to_string(i)), "4/" + std::to_string(i));
}

}  // namespace
}  // namespace objstore
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
