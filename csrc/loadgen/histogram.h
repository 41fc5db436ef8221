// Histogram: the latency histogram of `pycloud bench`, with a bucket layout shared bit for bit with
// pycloud/bench/histogram.py (docs: notes/loadgen-api.md, "Histogram layout").
//
// Log-linear buckets over integer nanoseconds, HdrHistogram-style: values below 2^kSubBits are
// exact, above that every power of two is split into 2^(kSubBits-1) equal sub-buckets, so a bucket
// is never wider than 1/64 of its low bound (relative error < 0.8 %). Values are clamped to
// kMaxValue (about 18 minutes). Counts are uint64; the wire form is kBuckets little-endian uint64s.
//
// Thread-safety: none; each worker thread records into its own histogram and they are merged at
// the end of a run.
#ifndef PYCLOUD_LOADGEN_HISTOGRAM_H_
#define PYCLOUD_LOADGEN_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pycloud {
namespace loadgen {

constexpr int kSubBits = 7;
constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;   // 128: exact values below this
constexpr uint64_t kHalf = uint64_t{1} << (kSubBits - 1);  // 64 sub-buckets per power of two
constexpr uint64_t kMaxValue = (uint64_t{1} << 40) - 1;

// Bucket holding v (nanoseconds); v is clamped to kMaxValue.
inline size_t BucketIndex(uint64_t v) {
  if (v > kMaxValue) v = kMaxValue;
  if (v < kSubCount) return static_cast<size_t>(v);
  const int e = (64 - __builtin_clzll(v)) - kSubBits;  // bit_length - kSubBits, >= 1
  return static_cast<size_t>(kSubCount + static_cast<uint64_t>(e - 1) * kHalf + ((v >> e) - kHalf));
}

// Smallest value in bucket i.
inline uint64_t BucketLow(size_t i) {
  if (i < kSubCount) return i;
  const uint64_t rel = i - kSubCount;
  const uint64_t e = rel / kHalf + 1;
  const uint64_t m = rel % kHalf + kHalf;
  return m << e;
}

// Largest value in bucket i.
inline uint64_t BucketHigh(size_t i) { return BucketLow(i + 1) - 1; }

// Number of buckets: bucket_index(kMaxValue) + 1 = 2240.
constexpr size_t kBuckets = kSubCount + (40 - kSubBits - 1) * kHalf + kHalf;
static_assert(kBuckets == 2240, "bucket layout changed: keep pycloud/bench/histogram.py in step");

class Histogram {
 public:
  Histogram() : counts_(kBuckets, 0) {}

  // Records one value in nanoseconds (clamped to kMaxValue).
  void Record(uint64_t ns) {
    if (ns > kMaxValue) ns = kMaxValue;
    ++counts_[BucketIndex(ns)];
    if (count_ == 0 || ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
    sum_ += ns;
    ++count_;
  }

  // Adds other's counts; min, max and sum combine.
  void Merge(const Histogram& other);

  // The value at percentile p (0..100): bucket_high of the bucket holding rank ceil(p/100*count),
  // clamped to the largest value seen. 0 when empty.
  uint64_t Percentile(double p) const;

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  uint64_t sum() const { return sum_; }
  const std::vector<uint64_t>& counts() const { return counts_; }

  // kBuckets little-endian uint64 counts (the layout Python decodes).
  std::string Serialize() const;

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace loadgen
}  // namespace pycloud

#endif  // PYCLOUD_LOADGEN_HISTOGRAM_H_
