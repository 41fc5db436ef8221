// BlockMap: a volume's or snapshot's sparse map from block index to physical slot, and SlotTable,
// the reference counts of the physical slots of the store's data file.
//
// A BlockMap is a fixed-depth radix tree (3 levels of 512) of shared nodes. Copying a map copies
// one pointer, so a snapshot is O(1) whatever the volume's size; a later Set on either copy copies
// only the nodes on its path that are still shared (path copying). Subtrees two maps still share
// are identical, which makes Diff proportional to what changed, not to the size.
//
// A slot's count is the number of leaf nodes that point at it: copying a leaf adds one to each of
// its slots, destroying one subtracts. A slot reaching zero is handed back through
// SlotTable::TakeFreed (the store decides when it may be reused). Slots are numbered from 1; 0 in
// a leaf means "no data" (the block reads as zeros).
//
// Thread-safety: SlotTable is thread-safe. A BlockMap is not: readers may run concurrently with
// each other, a writer needs exclusive access to that map object (the store's per-volume lock).
// Maps sharing nodes may be used from different threads (nodes are never changed while shared).
#ifndef PYCLOUD_BLOCKDEV_BLOCK_MAP_H_
#define PYCLOUD_BLOCKDEV_BLOCK_MAP_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace pycloud {
namespace blockdev {

// EBS direct APIs move data in 512 KiB blocks; using the same unit keeps snapshots, changed-block
// lists and the data file aligned with them.
constexpr uint64_t kBlockSize = 512 * 1024;
constexpr int kFanoutBits = 9;
constexpr uint64_t kFanout = 1u << kFanoutBits;
// Three levels of 512 cover 2^27 blocks: 64 TiB, the largest EBS volume.
constexpr uint64_t kMaxBlocks = kFanout * kFanout * kFanout;

class SlotTable {
 public:
  void Ref(uint64_t slot);
  void Unref(uint64_t slot);
  // Refs/Unrefs every non-zero slot of a leaf under one lock acquisition.
  void RefAll(const uint64_t* slots, size_t n);
  void UnrefAll(const uint64_t* slots, size_t n);
  uint32_t Count(uint64_t slot) const;

  // A slot nobody references, lowest first (keeps the data file compact). Its count stays 0
  // until a map references it; until then it belongs to the caller.
  uint64_t Allocate();
  // Makes a slot (count 0, already zeroed on disk) available to Allocate again.
  void Release(uint64_t slot);
  // Slots whose count reached zero since the last call.
  std::vector<uint64_t> TakeFreed();

  // After recovery: every unreferenced slot below the highest referenced one becomes free, and
  // the high-water mark drops to the highest referenced slot. Returns the newly free slots.
  std::vector<uint64_t> RebuildFree();
  // Slots that exist in the data file (1..high_water).
  uint64_t high_water() const;
  uint64_t free_count() const;
  uint64_t referenced() const;

 private:
  void Grow(uint64_t slot);

  mutable std::mutex mu_;
  std::vector<uint32_t> refs_{0};  // index 0 unused
  std::set<uint64_t> free_;
  std::vector<uint64_t> freed_;
  uint64_t high_ = 0;
  uint64_t referenced_ = 0;
};

class BlockMap {
 public:
  explicit BlockMap(SlotTable* table = nullptr) : table_(table) {}

  // The slot of block idx, 0 when it has no data.
  uint64_t Get(uint64_t idx) const;
  // Points block idx at slot (0: no data), copying shared nodes on the path; returns the old slot.
  uint64_t Set(uint64_t idx, uint64_t slot);
  // True when this map alone owns the nodes on idx's path (a write may change them in place).
  bool PathExclusive(uint64_t idx) const;
  // Blocks with data.
  uint64_t blocks() const { return blocks_; }

  // Calls fn(idx, slot) for every block with data, in index order.
  void ForEach(const std::function<void(uint64_t, uint64_t)>& fn) const;
  // Calls fn(idx) for every block whose slot differs between a and b, in index order, skipping
  // subtrees the two maps share.
  static void Diff(const BlockMap& a, const BlockMap& b, const std::function<void(uint64_t)>& fn);
  // Blocks of `map` with data whose slot differs from `base`'s (what map stores beyond base).
  static uint64_t CountOwnBlocks(const BlockMap& map, const BlockMap& base);

 private:
  struct Leaf {
    explicit Leaf(SlotTable* t) : table(t) {}
    Leaf(const Leaf& o);
    ~Leaf();
    Leaf& operator=(const Leaf&) = delete;
    SlotTable* table;
    uint32_t count = 0;
    std::array<uint64_t, kFanout> slots{};
  };
  struct Mid {
    uint32_t count = 0;
    std::array<std::shared_ptr<Leaf>, kFanout> kids;
  };
  struct Top {
    std::array<std::shared_ptr<Mid>, kFanout> kids;
  };

  const Leaf* FindLeaf(uint64_t idx) const;

  SlotTable* table_;
  std::shared_ptr<Top> root_;
  uint64_t blocks_ = 0;
};

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_BLOCK_MAP_H_
