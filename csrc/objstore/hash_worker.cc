#include "objstore/hash_worker.h"

#include <system_error>

namespace pycloud {
namespace objstore {

HashWorker::HashWorker(Hasher* hasher) : hasher_(hasher) {}

HashWorker::~HashWorker() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !busy_; });
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool HashWorker::Launch() {
  if (thread_.joinable()) return true;
  try {
    thread_ = std::thread([this] { Loop(); });
  } catch (const std::system_error&) {
    return false;  // out of threads: hashing stays on the caller's thread
  }
  return true;
}

void HashWorker::Start(const void* data, size_t n) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    data_ = data;
    n_ = n;
    busy_ = true;
  }
  cv_.notify_all();
}

void HashWorker::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !busy_; });
}

void HashWorker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || busy_; });
    if (busy_) {
      const void* data = data_;
      const size_t n = n_;
      lock.unlock();
      hasher_->Update(data, n);
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      continue;
    }
    if (stop_) return;
  }
}

}  // namespace objstore
}  // namespace pycloud
