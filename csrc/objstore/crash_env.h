// CrashEnv: an Env wrapper for tests that remembers how much of each file was fdatasynced, so a
// test can build the directory an operating-system crash would leave behind (every file cut back
// to its synced prefix) and check what survives. Sync can be slowed down to act like a real disk,
// which makes concurrent committers pile up behind one fsync the way group commit expects.
// Thread-safe.
#ifndef PYCLOUD_OBJSTORE_CRASH_ENV_H_
#define PYCLOUD_OBJSTORE_CRASH_ENV_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "objstore/env.h"

namespace pycloud {
namespace objstore {

class CrashEnv final : public Env {
 public:
  explicit CrashEnv(Env* base) : base_(base) {}

  std::atomic<int> sync_delay_us{0};
  std::atomic<int> file_syncs{0};

  // Copies dir/segments to out/segments cut back to their synced sizes (never-synced files
  // empty), and dir/data whole (bodies are synced before they are renamed into place).
  Status SnapshotAfterCrash(const std::string& dir, const std::string& out) {
    for (const char* sub : {"", "/segments", "/data", "/tmp"}) {
      Status s = base_->CreateDirIfMissing(out + sub);
      if (!s.ok()) return s;
    }
    for (const char* sub : {"/segments", "/data"}) {
      std::vector<std::string> names;
      Status s = base_->GetChildren(dir + sub, &names);
      if (!s.ok()) return s;
      for (const std::string& n : names) {
        const std::string from = dir + sub + "/" + n;
        uint64_t size = 0;
        s = base_->GetFileSize(from, &size);
        if (!s.ok()) return s;
        if (std::string(sub) == "/segments") size = SyncedSize(from, size);
        s = CopyPrefix(from, out + sub + "/" + n, size);
        if (!s.ok()) return s;
      }
    }
    return Status::OK();
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override {
    std::unique_ptr<WritableFile> f;
    Status s = base_->NewWritableFile(path, &f);
    if (s.ok()) *out = std::make_unique<File>(this, path, std::move(f));
    return s;
  }
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override {
    std::unique_ptr<WritableFile> f;
    Status s = base_->NewAppendableFile(path, &f);
    if (s.ok()) {
      Record(path, f->Size());  // what is there at open counts as durable
      *out = std::make_unique<File>(this, path, std::move(f));
    }
    return s;
  }
  Status NewRandomAccessFile(const std::string& path, std::unique_ptr<RandomAccessFile>* out) override {
    return base_->NewRandomAccessFile(path, out);
  }
  Status RenameFile(const std::string& from, const std::string& to) override { return base_->RenameFile(from, to); }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status CreateDirIfMissing(const std::string& path) override { return base_->CreateDirIfMissing(path); }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return base_->GetChildren(dir, names);
  }
  Status GetFileSize(const std::string& path, uint64_t* size) override { return base_->GetFileSize(path, size); }
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }

 private:
  class File final : public WritableFile {
   public:
    File(CrashEnv* env, std::string path, std::unique_ptr<WritableFile> base)
        : env_(env), path_(std::move(path)), base_(std::move(base)) {}
    Status Append(const void* data, size_t n) override {
      Status s = base_->Append(data, n);
      size_ = base_->Size();
      return s;
    }
    Status Sync() override {
      const uint64_t covered = size_;  // appends racing with this sync may or may not be covered
      if (env_->sync_delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(env_->sync_delay_us.load()));
      Status s = base_->Sync();
      if (s.ok()) {
        env_->Record(path_, covered);
        ++env_->file_syncs;
      }
      return s;
    }
    Status Truncate(uint64_t size) override {
      Status s = base_->Truncate(size);
      size_ = base_->Size();
      return s;
    }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    CrashEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> base_;
    std::atomic<uint64_t> size_{0};
  };

  void Record(const std::string& path, uint64_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t& v = synced_[path];
    if (size > v) v = size;
  }

  uint64_t SyncedSize(const std::string& path, uint64_t actual) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = synced_.find(path);
    return it == synced_.end() ? 0 : std::min(it->second, actual);
  }

  Status CopyPrefix(const std::string& from, const std::string& to, uint64_t size) {
    std::unique_ptr<RandomAccessFile> in;
    Status s = base_->NewRandomAccessFile(from, &in);
    std::unique_ptr<WritableFile> out;
    if (s.ok()) s = base_->NewWritableFile(to, &out);
    std::string buf(1 << 16, '\0');
    for (uint64_t off = 0; s.ok() && off < size;) {
      size_t got = 0;
      s = in->Read(off, std::min<uint64_t>(buf.size(), size - off), buf.data(), &got);
      if (s.ok() && got == 0) break;
      if (s.ok()) s = out->Append(buf.data(), got);
      off += got;
    }
    if (out) out->Close();
    return s;
  }

  Env* base_;
  std::mutex mu_;
  std::map<std::string, uint64_t> synced_;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_CRASH_ENV_H_
