// Native tests of metadata-log compaction: checkpoint records round-trip, the replay rules for a
// checkpoint, and a store compacted, appended to and reopened keeps its catalog, maps, stored
// counts, hydration progress and reusable slots.
#include "blockdev/checkpoint.h"

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "blockdev/block_store.h"
#include "blockdev/meta_log.h"
#include "common/testharness.h"
#include "objstore/test_util.h"

namespace pycloud {
namespace blockdev {
namespace {

using objstore::ScratchDir;

TEST(Records, CheckpointRecordsRoundTrip) {
  Record v;
  v.type = RecordType::kVolumeState;
  v.uid = 9;
  v.id = "vol-1";
  v.size = 10 * kBlockSize;
  v.lineage = 3;
  v.other = 7;
  v.ref_id = "snap-gone";
  v.penalty_us = 1500;
  v.to_hydrate = 6;
  v.hydrated = 2;
  v.pending = {{1, 2}, {5, 1}, {70, 1}};
  std::string payload;
  EncodeRecord(v, &payload);
  Record back;
  CHECK(DecodeRecord(payload, &back));
  CHECK_EQ(back.id, "vol-1");
  CHECK_EQ(back.ref_id, "snap-gone");
  CHECK_EQ(back.other, 7u);
  CHECK_EQ(back.penalty_us, 1500u);
  CHECK_EQ(back.hydrated, 2u);
  CHECK((back.pending == v.pending));
  CHECK(!DecodeRecord(payload.substr(0, payload.size() - 1), &back));

  Record s;
  s.type = RecordType::kSnapshotState;
  s.uid = 4;
  s.id = "snap-1";
  s.ref_id = "vol-1";
  s.complete = true;
  s.block_count = 12;
  s.stored_count = 5;
  payload.clear();
  EncodeRecord(s, &payload);
  CHECK(DecodeRecord(payload, &back));
  CHECK(back.complete);
  CHECK_EQ(back.block_count, 12u);
  CHECK_EQ(back.stored_count, 5u);
  CHECK_EQ(back.ref_id, "vol-1");

  // A pending run past the largest volume is malformed, not a huge allocation.
  v.pending = {{kMaxBlocks - 1, 2}};
  payload.clear();
  EncodeRecord(v, &payload);
  CHECK(!DecodeRecord(payload, &back));
}

TEST(Checkpoint, BitRunsMergeAcrossWords) {
  std::atomic<uint64_t> words[3];
  words[0] = (uint64_t{1} << 63) | 0b1011;
  words[1] = 0b11;
  words[2] = uint64_t{1} << 5;
  auto runs = BitRuns(words, 3);
  std::vector<std::pair<uint64_t, uint64_t>> want = {{0, 2}, {3, 1}, {63, 3}, {133, 1}};
  CHECK((runs == want));
}

TEST(Checkpoint, ReplayAcceptsACheckpointOnlyAtTheStart) {
  auto rec = [](RecordType t, uint64_t uid = 0) {
    Record r;
    r.type = t;
    r.uid = uid;
    return r;
  };
  CheckpointReplay ok;
  CHECK(ok.Accept(rec(RecordType::kCheckpoint, 5), 10).ok());
  CHECK(!ok.AtEnd().ok());  // ends inside: refused, not silently cut
  CHECK(ok.Accept(rec(RecordType::kSnapshotState), 10).ok());
  CHECK(ok.Accept(rec(RecordType::kCheckpointMap), 10).ok());
  CHECK(!ok.Accept(rec(RecordType::kMap), 10).ok());  // a change record inside the checkpoint
  CheckpointReplay closed;
  CHECK(closed.Accept(rec(RecordType::kCheckpoint), 10).ok());
  CHECK(closed.Accept(rec(RecordType::kVolumeState), 10).ok());
  CHECK(!closed.Accept(rec(RecordType::kCheckpointEnd, 2), 10).ok());  // wrong object count
  CheckpointReplay good;
  CHECK(good.Accept(rec(RecordType::kCheckpoint), 10).ok());
  CHECK(good.Accept(rec(RecordType::kVolumeState), 10).ok());
  CHECK(good.Accept(rec(RecordType::kCheckpointEnd, 1), 10).ok());
  CHECK(good.Accept(rec(RecordType::kMap), 7).ok());
  CHECK(good.AtEnd().ok());
  CHECK_EQ(good.checkpoint_bytes(), 30u);
  CHECK(!good.Accept(rec(RecordType::kCheckpoint), 10).ok());
  CheckpointReplay legacy;
  CHECK(legacy.Accept(rec(RecordType::kCreateVolume), 10).ok());
  CHECK(!legacy.Accept(rec(RecordType::kVolumeState), 10).ok());
  CHECK(legacy.AtEnd().ok());
  CHECK_EQ(legacy.checkpoint_bytes(), 0u);
}

std::unique_ptr<BlockStore> OpenStore(const std::string& dir, uint64_t compact_min_bytes = 1u << 30) {
  StoreOptions o;
  o.sync = SyncMode::kBatch;
  o.compact_min_bytes = compact_min_bytes;
  std::unique_ptr<BlockStore> s;
  Status st = BlockStore::Open(dir, o, &s);
  CHECK(st.ok());
  if (!st.ok()) std::fprintf(stderr, "open: %s\n", st.ToString().c_str());
  return s;
}

std::string Block(char c) { return std::string(kBlockSize, c); }

std::string ReadAll(BlockStore* s, const std::string& vol, uint64_t size) {
  std::string out(size, '\0');
  if (!s->Read(vol, 0, size, out.data(), nullptr).ok()) return "<error>";
  return out;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(Compaction, ReopenAfterCompactionKeepsTheCatalog) {
  ScratchDir dir;
  const uint64_t size = 8 * kBlockSize;
  std::string vol_a, vol_r;  // vol-r as restored from snap-1: blocks 0-5 as first written
  for (int i = 0; i < 6; ++i) vol_r += Block('a' + i);
  vol_r.resize(size);
  {
    auto s = OpenStore(dir.path());
    CHECK(s->CreateVolume("vol-a", size, "").ok());
    for (int i = 0; i < 6; ++i) CHECK(s->Write("vol-a", i * kBlockSize, Block('a' + i).data(), kBlockSize, nullptr).ok());
    CHECK(s->CreateSnapshot("vol-a", "snap-1").ok());
    CHECK(s->Write("vol-a", kBlockSize + 3, "xyz", 3, nullptr).ok());
    CHECK(s->Trim("vol-a", 2 * kBlockSize, kBlockSize).ok());
    CHECK(s->CreateSnapshot("vol-a", "snap-2").ok());
    CHECK(s->Write("vol-a", 7 * kBlockSize, "late", 4, nullptr).ok());
    CHECK(s->CreateVolume("vol-r", size, "snap-1").ok());
    uint64_t touched = 0;
    std::string buf(10, '\0');
    CHECK(s->Read("vol-r", 0, 10, buf.data(), &touched).ok());
    CHECK_EQ(touched, 1u);
    CHECK(s->SetFirstTouchPenalty("vol-r", 250).ok());
    CHECK(s->DeleteSnapshot("snap-1").ok());  // snap-2 and vol-r re-parented; vol-r's source stays named
    CHECK(s->StartSnapshot("snap-p", size, "snap-2").ok());
    CHECK(s->PutSnapshotBlock("snap-p", 3, Block('p').data(), kBlockSize).ok());
    CHECK(s->Compact().ok());
    StoreStats st = s->Stats();
    CHECK_EQ(st.compactions, 1u);
    CHECK_EQ(st.log_bytes, st.checkpoint_bytes);
    CHECK_EQ(FileSize(dir.path() + "/meta.log"), st.log_bytes);
    CHECK(s->Write("vol-a", 0, "tail", 4, nullptr).ok());  // appended after the checkpoint
    vol_a = ReadAll(s.get(), "vol-a", size);
  }
  auto s = OpenStore(dir.path());
  CHECK(ReadAll(s.get(), "vol-a", size) == vol_a);
  VolumeInfo r;
  CHECK(s->GetVolumeInfo("vol-r", &r).ok());
  CHECK_EQ(r.source_snapshot, "snap-1");
  CHECK_EQ(r.last_snapshot, "");
  CHECK_EQ(r.hydrated_blocks, 1u);
  CHECK_EQ(r.blocks_to_hydrate, 6u);
  CHECK_EQ(r.first_touch_penalty_us, 250u);
  CHECK(ReadAll(s.get(), "vol-r", size) == vol_r);  // block 0 was hydrated already: 5 first touches
  CHECK(s->GetVolumeInfo("vol-r", &r).ok());
  CHECK_EQ(r.hydrated_blocks, 6u);
  CHECK_EQ(r.first_touches, 5u);
  SnapshotInfo two, pending;
  CHECK(s->GetSnapshotInfo("snap-2", &two).ok());
  CHECK_EQ(two.parent, "");
  CHECK_EQ(two.stored_blocks, 5u);
  CHECK(s->GetSnapshotInfo("snap-p", &pending).ok());
  CHECK(!pending.complete);
  CHECK(s->CompleteSnapshot("snap-p").ok());
  std::vector<uint64_t> changed;
  CHECK(s->ChangedBlocks("snap-2", "snap-p", &changed).ok());
  CHECK((changed == std::vector<uint64_t>{3}));
  // vol-a changed blocks 0 and 7 since snap-2: its next snapshot stores exactly those.
  CHECK(s->CreateSnapshot("vol-a", "snap-3").ok());
  SnapshotInfo three;
  CHECK(s->GetSnapshotInfo("snap-3", &three).ok());
  CHECK_EQ(three.stored_blocks, 2u);
  // A new volume gets a lineage never used before (the next uid survived).
  CHECK(s->CreateVolume("vol-new", kBlockSize, "").ok());
  VolumeInfo a, fresh;
  CHECK(s->GetVolumeInfo("vol-a", &a).ok());
  CHECK(s->GetVolumeInfo("vol-new", &fresh).ok());
  CHECK(fresh.lineage != a.lineage);
  CHECK(s->GetVolumeInfo("vol-r", &r).ok());
  CHECK(fresh.lineage != r.lineage);
}

TEST(Compaction, FreedSlotsAreReusableAfterCompactionAndReopen) {
  ScratchDir dir;
  {
    auto s = OpenStore(dir.path());
    CHECK(s->CreateVolume("vol-1", 4 * kBlockSize, "").ok());
    CHECK(s->Write("vol-1", 0, Block('1').data(), kBlockSize, nullptr).ok());
    CHECK(s->CreateSnapshot("vol-1", "snap-1").ok());
    CHECK(s->Write("vol-1", 0, Block('2').data(), kBlockSize, nullptr).ok());  // copy on write: slot 2
    CHECK(s->DeleteSnapshot("snap-1").ok());  // slot 1 freed, quarantined until durable
    CHECK(s->Compact().ok());
    StoreStats st = s->Stats();
    CHECK_EQ(st.quarantined_slots, 0u);
    CHECK_EQ(st.free_slots, 1u);
    CHECK(s->CreateVolume("vol-2", kBlockSize, "").ok());
    CHECK(s->Write("vol-2", 0, "x", 1, nullptr).ok());
    CHECK_EQ(s->Stats().slots, 2u);  // slot 1 reused
    CHECK(s->DeleteVolume("vol-2").ok());
  }
  auto s = OpenStore(dir.path());
  StoreStats st = s->Stats();
  CHECK_EQ(st.referenced_slots, 1u);
  CHECK(s->CreateVolume("vol-3", kBlockSize, "").ok());
  CHECK(s->Write("vol-3", 0, "y", 1, nullptr).ok());
  CHECK_EQ(s->Stats().slots, 2u);
  CHECK(ReadAll(s.get(), "vol-1", kBlockSize) == Block('2'));
}

TEST(Compaction, AutomaticAndBounded) {
  ScratchDir dir;
  auto s = OpenStore(dir.path(), 4096);
  CHECK(s->CreateVolume("vol-1", 16 * kBlockSize, "").ok());
  uint64_t peak = 0;
  for (int i = 0; i < 3000; ++i) {
    CHECK(s->Trim("vol-1", (i % 16) * kBlockSize, kBlockSize).ok());
    CHECK(s->Write("vol-1", (i % 16) * kBlockSize, "z", 1, nullptr).ok());
    peak = std::max(peak, s->Stats().log_bytes);
  }
  StoreStats st = s->Stats();
  CHECK(st.compactions > 10);
  CHECK_EQ(st.compaction_failures, 0u);
  CHECK(peak < 4096 + 1024);
}

TEST(Compaction, RestoreKeepsItsHydrationBitmap) {
  ScratchDir dir;
  const uint64_t blocks = 300;
  {
    auto s = OpenStore(dir.path());
    CHECK(s->CreateVolume("vol-src", blocks * kBlockSize, "").ok());
    for (uint64_t b = 0; b < blocks; ++b) CHECK(s->Write("vol-src", b * kBlockSize, "d", 1, nullptr).ok());
    CHECK(s->CreateSnapshot("vol-src", "snap-1").ok());
    CHECK(s->CreateVolume("vol-r", blocks * kBlockSize, "snap-1").ok());
    uint64_t touched = 0;
    std::string buf(2 * kBlockSize, '\0');
    CHECK(s->Read("vol-r", 63 * kBlockSize, buf.size(), buf.data(), &touched).ok());  // blocks 63, 64
    CHECK_EQ(touched, 2u);
    CHECK(s->DeleteVolume("vol-src").ok());
    CHECK(s->DeleteSnapshot("snap-1").ok());  // only the bitmap knows what is left to hydrate
    CHECK(s->Compact().ok());
  }
  auto s = OpenStore(dir.path());
  VolumeInfo r;
  CHECK(s->GetVolumeInfo("vol-r", &r).ok());
  CHECK_EQ(r.hydrated_blocks, 2u);
  CHECK_EQ(r.blocks_to_hydrate, blocks);
  uint64_t touched = 0;
  std::string all(blocks * kBlockSize, '\0');
  CHECK(s->Read("vol-r", 0, all.size(), all.data(), &touched).ok());
  CHECK_EQ(touched, blocks - 2);
  bool intact = true;
  for (uint64_t b = 0; b < blocks; ++b) intact = intact && all[b * kBlockSize] == 'd';
  CHECK(intact);
}

TEST(Compaction, StaleRewriteFileIsIgnored) {
  ScratchDir dir;
  { auto s = OpenStore(dir.path()); CHECK(s->CreateVolume("vol-1", kBlockSize, "").ok()); }
  {
    std::FILE* f = std::fopen((dir.path() + "/meta.log.tmp").c_str(), "w");
    CHECK(f != nullptr);
    if (f != nullptr) {
      std::fputs("PCBLKLG1 half a checkpoint", f);
      std::fclose(f);
    }
  }
  auto s = OpenStore(dir.path());
  CHECK((s->ListVolumes() == std::vector<std::string>{"vol-1"}));
  CHECK_EQ(FileSize(dir.path() + "/meta.log.tmp"), 0u);
}

}  // namespace
}  // namespace blockdev
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
