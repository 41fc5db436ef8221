// Native tests of the block map and slot reference counts: path copying, sharing, diffs, frees.
#include "blockdev/block_map.h"

#include <algorithm>
#include <vector>

#include "common/testharness.h"

namespace pycloud {
namespace blockdev {
namespace {

TEST(SlotTable, AllocatesLowestFreeFirst) {
  SlotTable t;
  CHECK_EQ(t.Allocate(), 1u);
  CHECK_EQ(t.Allocate(), 2u);
  t.Ref(1);
  t.Ref(2);
  t.Unref(1);
  std::vector<uint64_t> freed = t.TakeFreed();
  CHECK_EQ(freed.size(), 1u);
  CHECK_EQ(freed[0], 1u);
  CHECK_EQ(t.Allocate(), 3u);  // freed is not free until released
  t.Release(1);
  CHECK_EQ(t.Allocate(), 1u);
}

TEST(SlotTable, RebuildFreeAfterRecovery) {
  SlotTable t;
  t.Ref(2);
  t.Ref(5);
  t.Ref(9);
  t.Unref(9);
  std::vector<uint64_t> unused = t.RebuildFree();
  CHECK((unused == std::vector<uint64_t>{1, 3, 4}));
  CHECK_EQ(t.high_water(), 5u);
  CHECK_EQ(t.referenced(), 2u);
  CHECK_EQ(t.Allocate(), 1u);
}

TEST(BlockMap, GetSetAndCounts) {
  SlotTable t;
  BlockMap m(&t);
  CHECK_EQ(m.Get(7), 0u);
  CHECK_EQ(m.Set(7, 1), 0u);
  CHECK_EQ(m.Set(kMaxBlocks - 1, 2), 0u);
  CHECK_EQ(m.blocks(), 2u);
  CHECK_EQ(m.Get(kMaxBlocks - 1), 2u);
  CHECK_EQ(t.Count(1), 1u);
  CHECK_EQ(m.Set(7, 0), 1u);
  CHECK_EQ(t.Count(1), 0u);
  CHECK_EQ(m.blocks(), 1u);
  CHECK(m.PathExclusive(kMaxBlocks - 1));
}

TEST(BlockMap, CopyIsSharedUntilWritten) {
  SlotTable t;
  BlockMap vol(&t);
  for (uint64_t i = 0; i < 1000; ++i) vol.Set(i, i + 1);
  BlockMap snap = vol;  // O(1): shares every node
  CHECK(!vol.PathExclusive(5));
  CHECK_EQ(t.Count(6), 1u);  // one leaf, two maps
  vol.Set(5, 2000);          // copies the path: the leaf's other slots gain a reference
  CHECK(vol.PathExclusive(5));
  CHECK_EQ(snap.Get(5), 6u);
  CHECK_EQ(vol.Get(5), 2000u);
  CHECK_EQ(t.Count(6), 1u);  // now only the snapshot's leaf
  CHECK_EQ(t.Count(7), 2u);  // both leaves
  CHECK_EQ(BlockMap::CountOwnBlocks(vol, snap), 1u);
  std::vector<uint64_t> diff;
  BlockMap::Diff(snap, vol, [&](uint64_t idx) { diff.push_back(idx); });
  CHECK((diff == std::vector<uint64_t>{5}));
}

TEST(BlockMap, DroppingMapsFreesOnlyUnsharedSlots) {
  SlotTable t;
  std::vector<uint64_t> freed;
  {
    BlockMap vol(&t);
    vol.Set(1, 1);
    vol.Set(2, 2);
    BlockMap snap = vol;
    vol.Set(2, 3);  // copy on write of block 2
    vol.Set(1, 0);  // trim: slot 1 still held by the snapshot
    CHECK(t.TakeFreed().empty());
    snap = BlockMap(&t);  // the snapshot goes: slots 1 and 2 have no other holder
    freed = t.TakeFreed();
    std::sort(freed.begin(), freed.end());
    CHECK((freed == std::vector<uint64_t>{1, 2}));
    CHECK_EQ(t.Count(3), 1u);
  }
  freed = t.TakeFreed();
  CHECK((freed == std::vector<uint64_t>{3}));
  CHECK_EQ(t.referenced(), 0u);
}

TEST(BlockMap, ForEachAndDiffSkipEmptySubtrees) {
  SlotTable t;
  BlockMap a(&t), b(&t);
  a.Set(3, 1);
  a.Set(600000, 2);
  b = a;
  b.Set(600001, 3);
  b.Set(3, 0);
  std::vector<uint64_t> seen;
  b.ForEach([&](uint64_t idx, uint64_t) { seen.push_back(idx); });
  CHECK((seen == std::vector<uint64_t>{600000, 600001}));
  std::vector<uint64_t> diff;
  BlockMap::Diff(a, b, [&](uint64_t idx) { diff.push_back(idx); });
  CHECK((diff == std::vector<uint64_t>{3, 600001}));
}

}  // namespace
}  // namespace blockdev
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
