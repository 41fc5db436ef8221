// ExpiringMap: string keys that expire a fixed time after they were added (FIFO deduplication ids
// and receive-request attempt ids, both remembered for 5 minutes).
//
// Expiry is lazy: Expire(now) drops entries from an insertion-ordered queue, so each lookup costs
// one hash probe and memory is reclaimed as time passes. Keys are added with non-decreasing
// expiry in practice; an out-of-order key simply lingers until those before it expire (Find still
// treats it as expired on time). Header-only because it is a template. Single-owner, not
// thread-safe (the engine holds its mutex).
#ifndef PYCLOUD_QUEUE_DEDUP_WINDOW_H_
#define PYCLOUD_QUEUE_DEDUP_WINDOW_H_

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

namespace pycloud {
namespace queue {

template <typename V>
class ExpiringMap {
 public:
  struct Entry {
    V value;
    int64_t expires_ms = 0;
  };

  // The live entry for key, or nullptr if absent or expired at now.
  const Entry* Find(const std::string& key, int64_t now) {
    Expire(now);
    auto it = map_.find(key);
    if (it == map_.end() || it->second.expires_ms <= now) return nullptr;
    return &it->second;
  }

  // Adds or replaces key.
  void Put(const std::string& key, V value, int64_t expires_ms) {
    map_[key] = Entry{std::move(value), expires_ms};
    order_.emplace_back(expires_ms, key);
  }

  void Expire(int64_t now) {
    while (!order_.empty() && order_.front().first <= now) {
      auto it = map_.find(order_.front().second);
      // A replaced key has a later expiry than this queue entry: keep it.
      if (it != map_.end() && it->second.expires_ms == order_.front().first) map_.erase(it);
      order_.pop_front();
    }
    if (map_.empty() && map_.bucket_count() > 64) {
      std::unordered_map<std::string, Entry>().swap(map_);
      std::deque<std::pair<int64_t, std::string>>().swap(order_);
    }
  }

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [key, entry] : map_) fn(key, entry);
  }

  void Clear() {
    std::unordered_map<std::string, Entry>().swap(map_);
    std::deque<std::pair<int64_t, std::string>>().swap(order_);
  }

  size_t size() const { return map_.size(); }
  // Rough bytes held, for memory statistics.
  uint64_t MemoryBytes() const {
    uint64_t n = map_.bucket_count() * sizeof(void*) + map_.size() * (sizeof(Entry) + 64) +
                 order_.size() * (sizeof(std::pair<int64_t, std::string>) + 16);
    return n;
  }

 private:
  std::unordered_map<std::string, Entry> map_;
  std::deque<std::pair<int64_t, std::string>> order_;
};

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_DEDUP_WINDOW_H_
