#include "queue/wal.h"

#include <chrono>
#include <utility>

#include "common/crc32c.h"
#include "objstore/coding.h"

namespace pycloud {
namespace queue {
namespace {

using objstore::DecodeFixed32;
using objstore::EncodeFixed32;

// As in the object store's log: a masked CRC never equals the CRC of data that embeds it.
uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

constexpr size_t kRewriteChunk = 1 << 20;

}  // namespace

void AppendRecord(std::string* out, uint8_t type, std::string_view payload) {
  size_t start = out->size();
  out->resize(start + kWalHeaderSize);
  char* h = &(*out)[start];
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  h[8] = static_cast<char>(type);
  h[9] = h[10] = h[11] = 0;
  out->append(payload.data(), payload.size());
  uint32_t crc = Crc32cExtend(0, out->data() + start + 4, kWalHeaderSize - 4 + payload.size());
  EncodeFixed32(&(*out)[start], MaskCrc(crc));
}

Wal::Wal(objstore::Env* env, std::string dir, const WalOptions& options)
    : env_(env), dir_(std::move(dir)), path_(dir_ + "/queue.log"), options_(options) {}

Status Wal::Open(const std::string& dir, const WalOptions& options, const ReplayFn& replay, std::unique_ptr<Wal>* out,
                 WalRecovery* recovery) {
  objstore::Env* env = options.env != nullptr ? options.env : objstore::Env::Default();
  *recovery = WalRecovery();
  std::unique_ptr<Wal> wal(new Wal(env, dir, options));  // private constructor: make_unique cannot reach it
  Status s = env->CreateDirIfMissing(dir);
  if (!s.ok()) return s;
  // A temp file is a compaction that never reached its rename: the log itself is intact.
  uint64_t ignored;
  if (env->GetFileSize(wal->path_ + ".tmp", &ignored).ok()) env->RemoveFile(wal->path_ + ".tmp");

  uint64_t size = 0;
  uint64_t valid_end = 0;
  if (env->GetFileSize(wal->path_, &size).ok() && size > 0) {
    std::unique_ptr<objstore::RandomAccessFile> f;
    s = env->NewRandomAccessFile(wal->path_, &f);
    if (!s.ok()) return s;
    // The log is bounded by compaction, so reading it whole is fine and keeps the scan simple.
    std::string data(size, '\0');
    size_t got = 0;
    s = f->Read(0, size, data.data(), &got);
    if (!s.ok()) return s;
    data.resize(got);
    size_t pos = 0;
    while (data.size() - pos >= kWalHeaderSize) {
      const char* h = data.data() + pos;
      uint32_t len = DecodeFixed32(h + 4);
      auto type = static_cast<uint8_t>(h[8]);
      if (len > kMaxRecordPayload || data.size() - pos - kWalHeaderSize < len || type == 0 || h[9] != 0 ||
          h[10] != 0 || h[11] != 0) {
        break;
      }
      uint32_t crc = Crc32cExtend(0, h + 4, kWalHeaderSize - 4 + len);
      if (MaskCrc(crc) != DecodeFixed32(h)) break;
      s = replay(type, std::string_view(h + kWalHeaderSize, len));
      if (!s.ok()) return s;
      pos += kWalHeaderSize + len;
      ++recovery->records;
    }
    valid_end = pos;
    size = data.size();
  }
  s = env->NewAppendableFile(wal->path_, &wal->file_);
  if (!s.ok()) return s;
  if (valid_end < wal->file_->Size()) {
    // A torn or corrupt tail: nothing after it was acknowledged as one record, so cut it off.
    recovery->truncated_bytes = wal->file_->Size() - valid_end;
    s = wal->file_->Truncate(valid_end);
    if (s.ok() && options.sync != SyncMode::kNever) s = wal->file_->Sync();
    if (!s.ok()) return s;
  }
  if (options.sync != SyncMode::kNever) {
    s = env->SyncDir(dir);  // the log file's creation must be durable before records in it are
    if (!s.ok()) return s;
  }
  if (options.sync == SyncMode::kBatch) wal->syncer_ = std::thread([w = wal.get()] { w->SyncerLoop(); });
  *out = std::move(wal);
  return Status::OK();
}

Wal::~Wal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  std::unique_lock<std::mutex> lock(mu_);
  if (options_.sync != SyncMode::kNever && error_.ok()) SyncUpToLocked(lock, appended_);
  sync_cv_.wait(lock, [&] { return !syncing_; });
  if (file_) file_->Close();
}

Status Wal::Append(std::string_view records, uint64_t* lsn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  uint64_t before = file_->Size();
  Status s = file_->Append(records.data(), records.size());
  if (!s.ok()) {
    // Later records must never follow a torn one: cut back, or refuse writes from now on.
    Status t = file_->Truncate(before);
    if (!t.ok()) error_ = t;
    return s;
  }
  appended_ += records.size();
  *lsn = appended_;
  if (options_.sync == SyncMode::kBatch) cv_.notify_one();
  return Status::OK();
}

Status Wal::Commit(uint64_t lsn) {
  if (options_.sync != SyncMode::kAlways) return Status::OK();
  std::unique_lock<std::mutex> lock(mu_);
  return SyncUpToLocked(lock, lsn);
}

Status Wal::Sync() {
  std::unique_lock<std::mutex> lock(mu_);
  return SyncUpToLocked(lock, appended_);
}

Status Wal::SyncUpToLocked(std::unique_lock<std::mutex>& lock, uint64_t target) {
  while (synced_ < target) {
    if (!error_.ok()) return error_;
    if (syncing_) {
      // A sync is running; it may not cover us (we appended after it started): wait, then check.
      sync_cv_.wait(lock);
      continue;
    }
    syncing_ = true;
    const uint64_t covers = appended_;
    objstore::WritableFile* file = file_.get();  // Rewrite waits for !syncing_ before replacing it
    lock.unlock();
    Status s = file->Sync();
    lock.lock();
    syncing_ = false;
    ++syncs_;
    if (s.ok()) {
      if (covers > synced_) synced_ = covers;
    } else {
      error_ = s;
    }
    sync_cv_.notify_all();
    if (!s.ok()) return s;
  }
  return Status::OK();
}

void Wal::SyncerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait(lock, [&] { return stop_ || (appended_ > synced_ && error_.ok()); });
    if (stop_) break;
    // Let more appends join this fsync, but never delay one longer than the window.
    cv_.wait_for(lock, std::chrono::milliseconds(options_.batch_window_ms), [&] { return stop_; });
    SyncUpToLocked(lock, appended_);  // a failure is kept in error_
  }
}

Status Wal::Rewrite(const std::function<Status(const EmitFn&)>& produce) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  sync_cv_.wait(lock, [&] { return !syncing_; });
  const std::string tmp = path_ + ".tmp";
  std::unique_ptr<objstore::WritableFile> out;
  Status s = env_->NewWritableFile(tmp, &out);
  if (!s.ok()) return s;
  std::string buf;
  EmitFn emit = [&](std::string_view bytes) -> Status {
    buf.append(bytes.data(), bytes.size());
    if (buf.size() < kRewriteChunk) return Status::OK();
    Status w = out->Append(buf.data(), buf.size());
    buf.clear();
    return w;
  };
  s = produce(emit);
  if (s.ok() && !buf.empty()) s = out->Append(buf.data(), buf.size());
  if (s.ok() && options_.sync != SyncMode::kNever) s = out->Sync();
  if (s.ok()) s = out->Close();
  if (s.ok()) s = env_->RenameFile(tmp, path_);
  if (!s.ok()) {
    out.reset();
    env_->RemoveFile(tmp);  // the old log is untouched and still current
    return s;
  }
  if (options_.sync != SyncMode::kNever) {
    s = env_->SyncDir(dir_);
    if (!s.ok()) {
      error_ = s;
      return s;
    }
  }
  std::unique_ptr<objstore::WritableFile> reopened;
  s = env_->NewAppendableFile(path_, &reopened);
  if (!s.ok()) {
    error_ = s;  // the new log is in place but cannot be appended to: refuse writes until reopened
    return s;
  }
  file_->Close();
  file_ = std::move(reopened);
  // The snapshot reflects every record appended so far, and it is durable now.
  synced_ = appended_;
  return Status::OK();
}

uint64_t Wal::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return file_->Size();
}

uint64_t Wal::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

}  // namespace queue
}  // namespace pycloud
