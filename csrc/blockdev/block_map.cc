#include "blockdev/block_map.h"

#include <algorithm>

namespace pycloud {
namespace blockdev {
namespace {

constexpr uint64_t kMask = kFanout - 1;

inline uint64_t TopIndex(uint64_t idx) { return idx >> (2 * kFanoutBits); }
inline uint64_t MidIndex(uint64_t idx) { return (idx >> kFanoutBits) & kMask; }
inline uint64_t LeafIndex(uint64_t idx) { return idx & kMask; }

// Copies a node when someone else also holds it, so the caller may change it.
template <typename Node>
Node* Unshare(std::shared_ptr<Node>& p) {
  if (p.use_count() > 1) p = std::make_shared<Node>(*p);
  return p.get();
}

}  // namespace

// ------------------------------------------------------------------------------ SlotTable

void SlotTable::Grow(uint64_t slot) {
  if (slot >= refs_.size()) refs_.resize(std::max<uint64_t>(slot + 1, refs_.size() * 2), 0);
  if (slot > high_) high_ = slot;
}

void SlotTable::Ref(uint64_t slot) { RefAll(&slot, 1); }
void SlotTable::Unref(uint64_t slot) { UnrefAll(&slot, 1); }

void SlotTable::RefAll(const uint64_t* slots, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < n; ++i) {
    uint64_t s = slots[i];
    if (s == 0) continue;
    Grow(s);
    if (refs_[s]++ == 0) {
      ++referenced_;
      free_.erase(s);  // recovery references slots in any order
    }
  }
}

void SlotTable::UnrefAll(const uint64_t* slots, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < n; ++i) {
    uint64_t s = slots[i];
    if (s == 0 || s >= refs_.size() || refs_[s] == 0) continue;
    if (--refs_[s] == 0) {
      --referenced_;
      freed_.push_back(s);
    }
  }
}

uint32_t SlotTable::Count(uint64_t slot) const {
  std::lock_guard<std::mutex> lock(mu_);
  return slot < refs_.size() ? refs_[slot] : 0;
}

uint64_t SlotTable::Allocate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!free_.empty()) {
    uint64_t s = *free_.begin();
    free_.erase(free_.begin());
    return s;
  }
  uint64_t s = high_ + 1;
  Grow(s);
  return s;
}

void SlotTable::Release(uint64_t slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slot != 0 && slot <= high_ && refs_[slot] == 0) free_.insert(slot);
}

std::vector<uint64_t> SlotTable::TakeFreed() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint64_t> out;
  out.swap(freed_);
  return out;
}

std::vector<uint64_t> SlotTable::RebuildFree() {
  std::lock_guard<std::mutex> lock(mu_);
  freed_.clear();
  free_.clear();
  uint64_t top = 0;
  for (uint64_t s = 1; s <= high_; ++s) {
    if (refs_[s] != 0) top = s;
  }
  high_ = top;
  std::vector<uint64_t> out;
  for (uint64_t s = 1; s <= high_; ++s) {
    if (refs_[s] == 0) {
      free_.insert(s);
      out.push_back(s);
    }
  }
  return out;
}

uint64_t SlotTable::high_water() const {
  std::lock_guard<std::mutex> lock(mu_);
  return high_;
}

uint64_t SlotTable::free_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_.size();
}

uint64_t SlotTable::referenced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return referenced_;
}

// ------------------------------------------------------------------------------ BlockMap

BlockMap::Leaf::Leaf(const Leaf& o) : table(o.table), count(o.count), slots(o.slots) {
  table->RefAll(slots.data(), slots.size());
}

BlockMap::Leaf::~Leaf() {
  if (count != 0) table->UnrefAll(slots.data(), slots.size());
}

const BlockMap::Leaf* BlockMap::FindLeaf(uint64_t idx) const {
  if (!root_ || idx >= kMaxBlocks) return nullptr;
  const Mid* mid = root_->kids[TopIndex(idx)].get();
  if (mid == nullptr) return nullptr;
  return mid->kids[MidIndex(idx)].get();
}

uint64_t BlockMap::Get(uint64_t idx) const {
  const Leaf* leaf = FindLeaf(idx);
  return leaf == nullptr ? 0 : leaf->slots[LeafIndex(idx)];
}

bool BlockMap::PathExclusive(uint64_t idx) const {
  if (!root_ || root_.use_count() != 1) return false;
  const std::shared_ptr<Mid>& mid = root_->kids[TopIndex(idx)];
  if (!mid || mid.use_count() != 1) return false;
  const std::shared_ptr<Leaf>& leaf = mid->kids[MidIndex(idx)];
  return leaf && leaf.use_count() == 1;
}

uint64_t BlockMap::Set(uint64_t idx, uint64_t slot) {
  if (idx >= kMaxBlocks) return 0;
  if (Get(idx) == slot) return slot;
  if (!root_) root_ = std::make_shared<Top>();
  Top* top = Unshare(root_);
  std::shared_ptr<Mid>& mid_ptr = top->kids[TopIndex(idx)];
  if (!mid_ptr) mid_ptr = std::make_shared<Mid>();
  Mid* mid = Unshare(mid_ptr);
  std::shared_ptr<Leaf>& leaf_ptr = mid->kids[MidIndex(idx)];
  if (!leaf_ptr) {
    leaf_ptr = std::make_shared<Leaf>(table_);
    ++mid->count;
  }
  Leaf* leaf = Unshare(leaf_ptr);
  uint64_t& entry = leaf->slots[LeafIndex(idx)];
  uint64_t old = entry;
  // Reference the new slot before dropping the old one: both may share a count's lifetime.
  if (slot != 0) table_->Ref(slot);
  entry = slot;
  if (old != 0) table_->Unref(old);
  if (old == 0) {
    ++leaf->count;
    ++blocks_;
  } else if (slot == 0) {
    --blocks_;
    if (--leaf->count == 0) {
      // Drop empty nodes so walks and diffs never visit them.
      leaf_ptr.reset();
      if (--mid->count == 0) mid_ptr.reset();
    }
  }
  return old;
}

void BlockMap::ForEach(const std::function<void(uint64_t, uint64_t)>& fn) const {
  if (!root_) return;
  for (uint64_t t = 0; t < kFanout; ++t) {
    const Mid* mid = root_->kids[t].get();
    if (mid == nullptr) continue;
    for (uint64_t m = 0; m < kFanout; ++m) {
      const Leaf* leaf = mid->kids[m].get();
      if (leaf == nullptr) continue;
      uint64_t base = (t << (2 * kFanoutBits)) | (m << kFanoutBits);
      for (uint64_t l = 0; l < kFanout; ++l) {
        if (leaf->slots[l] != 0) fn(base | l, leaf->slots[l]);
      }
    }
  }
}

void BlockMap::Diff(const BlockMap& a, const BlockMap& b, const std::function<void(uint64_t)>& fn) {
  const Top* ta = a.root_.get();
  const Top* tb = b.root_.get();
  if (ta == tb) return;
  for (uint64_t t = 0; t < kFanout; ++t) {
    const Mid* ma = ta ? ta->kids[t].get() : nullptr;
    const Mid* mb = tb ? tb->kids[t].get() : nullptr;
    if (ma == mb) continue;
    for (uint64_t m = 0; m < kFanout; ++m) {
      const Leaf* la = ma ? ma->kids[m].get() : nullptr;
      const Leaf* lb = mb ? mb->kids[m].get() : nullptr;
      if (la == lb) continue;
      uint64_t base = (t << (2 * kFanoutBits)) | (m << kFanoutBits);
      for (uint64_t l = 0; l < kFanout; ++l) {
        uint64_t sa = la ? la->slots[l] : 0;
        uint64_t sb = lb ? lb->slots[l] : 0;
        if (sa != sb) fn(base | l);
      }
    }
  }
}

uint64_t BlockMap::CountOwnBlocks(const BlockMap& map, const BlockMap& base) {
  uint64_t n = 0;
  Diff(map, base, [&](uint64_t idx) {
    if (map.Get(idx) != 0) ++n;
  });
  return n;
}

}  // namespace blockdev
}  // namespace pycloud
