// Env: the object store's seam to the file system.
//
// Every byte the store reads or writes goes through an Env, so tests can substitute one that fails
// writes, syncs or renames on demand (see fault_env.h) and check the store stays consistent.
// Thread-safety: Env methods may be called from any thread. A WritableFile is single-owner (the
// store serialises appends under its mutex); a RandomAccessFile may be shared by readers on any
// number of threads (Read is a positional pread).
#ifndef PYCLOUD_OBJSTORE_ENV_H_
#define PYCLOUD_OBJSTORE_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace pycloud {
namespace objstore {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(const void* data, size_t n) = 0;
  // fdatasync: the appended bytes survive an operating-system crash once this returns OK.
  virtual Status Sync() = 0;
  // Cuts the file back to `size` bytes (used to undo a partially failed append).
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Close() = 0;
  // Bytes in the file (appends included).
  virtual uint64_t Size() const = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; *got < n only at end of file.
  virtual Status Read(uint64_t offset, size_t n, char* scratch, size_t* got) const = 0;
  // The OS descriptor, for sendfile/mmap by the caller; -1 when the Env has none.
  virtual int fd() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env (never destroyed).
  static Env* Default();

  // Creates (or truncates) a file for appending.
  virtual Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) = 0;
  // Opens an existing file for appending at its end.
  virtual Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* out) = 0;
  virtual Status NewRandomAccessFile(const std::string& path, std::unique_ptr<RandomAccessFile>* out) = 0;
  // Atomic within one file system (rename(2)).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status CreateDirIfMissing(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;
  // Makes renames and creations inside dir durable (fsync on the directory).
  virtual Status SyncDir(const std::string& dir) = 0;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_ENV_H_
