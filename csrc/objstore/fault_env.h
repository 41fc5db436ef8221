// FaultEnv: an Env wrapper for tests that fails chosen operations on demand.
//
// Counters say how many more operations of a kind succeed before they start failing (-1: never
// fail). A failing Append may first write half of its bytes, the way a full disk or a crash tears a
// write, so tests see torn records too. Thread-safe: the counters are atomics.
#ifndef PYCLOUD_OBJSTORE_FAULT_ENV_H_
#define PYCLOUD_OBJSTORE_FAULT_ENV_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "objstore/env.h"

namespace pycloud {
namespace objstore {

class FaultEnv final : public Env {
 public:
  explicit FaultEnv(Env* base) : base_(base) {}

  std::atomic<int> appends_left{-1};
  std::atomic<int> syncs_left{-1};
  std::atomic<int> renames_left{-1};
  std::atomic<int> creates_left{-1};
  std::atomic<bool> tear_appends{true};

  void Heal() {
    appends_left = -1;
    syncs_left = -1;
    renames_left = -1;
    creates_left = -1;
  }

  // True when the counter says this operation must fail (and counts it down otherwise).
  static bool Trip(std::atomic<int>& left) {
    int v = left.load();
    while (v > 0 && !left.compare_exchange_weak(v, v - 1)) {
    }
    return v == 0;
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override {
    if (Trip(creates_left)) return Status::IOError("injected create failure: " + path);
    std::unique_ptr<WritableFile> f;
    Status s = base_->NewWritableFile(path, &f);
    if (s.ok()) *out = std::make_unique<File>(this, std::move(f));
    return s;
  }
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override {
    if (Trip(creates_left)) return Status::IOError("injected create failure: " + path);
    std::unique_ptr<WritableFile> f;
    Status s = base_->NewAppendableFile(path, &f);
    if (s.ok()) *out = std::make_unique<File>(this, std::move(f));
    return s;
  }
  Status NewRandomAccessFile(const std::string& path, std::unique_ptr<RandomAccessFile>* out) override {
    return base_->NewRandomAccessFile(path, out);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (Trip(renames_left)) return Status::IOError("injected rename failure: " + from);
    return base_->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status CreateDirIfMissing(const std::string& path) override { return base_->CreateDirIfMissing(path); }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return base_->GetChildren(dir, names);
  }
  Status GetFileSize(const std::string& path, uint64_t* size) override { return base_->GetFileSize(path, size); }
  Status SyncDir(const std::string& dir) override {
    if (Trip(syncs_left)) return Status::IOError("injected dir sync failure: " + dir);
    return base_->SyncDir(dir);
  }

 private:
  class File final : public WritableFile {
   public:
    File(FaultEnv* env, std::unique_ptr<WritableFile> base) : env_(env), base_(std::move(base)) {}
    Status Append(const void* data, size_t n) override {
      if (Trip(env_->appends_left)) {
        if (env_->tear_appends && n > 1) base_->Append(data, n / 2);  // a torn write
        return Status::IOError("injected append failure");
      }
      return base_->Append(data, n);
    }
    Status Sync() override {
      if (Trip(env_->syncs_left)) return Status::IOError("injected sync failure");
      return base_->Sync();
    }
    Status Truncate(uint64_t size) override { return base_->Truncate(size); }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    FaultEnv* env_;
    std::unique_ptr<WritableFile> base_;
  };

  Env* base_;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_FAULT_ENV_H_
