#include "loadgen/histogram.h"

#include <cmath>

namespace pycloud {
namespace loadgen {

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  if (other.max_ > max_) max_ = other.max_;
  sum_ += other.sum_;
  count_ += other.count_;
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  if (!(p > 0)) p = 0;  // also maps NaN to 0
  if (p > 100) p = 100;
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t high = BucketHigh(i);
      return high < max_ ? high : max_;
    }
  }
  return max_;
}

std::string Histogram::Serialize() const {
  std::string out(kBuckets * 8, '\0');
  for (size_t i = 0; i < kBuckets; ++i) {
    uint64_t c = counts_[i];
    for (int b = 0; b < 8; ++b) out[i * 8 + b] = static_cast<char>((c >> (8 * b)) & 0xff);
  }
  return out;
}

}  // namespace loadgen
}  // namespace pycloud
