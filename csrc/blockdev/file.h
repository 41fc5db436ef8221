// File: an owned POSIX descriptor with the positional I/O the block store needs.
//
// pread/pwrite loop over short transfers and EINTR; PunchHole gives a range's disk space back
// (falling back to writing zeros where the file system cannot punch). Thread-safe for positional
// I/O on distinct or identical ranges (the kernel orders them). SyncDir makes a rename in a
// directory durable.
#ifndef PYCLOUD_BLOCKDEV_FILE_H_
#define PYCLOUD_BLOCKDEV_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace pycloud {
namespace blockdev {

class File {
 public:
  File() = default;
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Opens (creating if missing) for reading and writing.
  Status Open(const std::string& path);
  // Takes an exclusive advisory lock; InUse when another descriptor holds it.
  Status LockExclusive();
  // Reads n bytes at offset; bytes past the end of the file read as zeros.
  Status ReadAt(uint64_t offset, size_t n, char* out) const;
  Status WriteAt(uint64_t offset, const char* data, size_t n);
  Status Sync();
  Status PunchHole(uint64_t offset, uint64_t n);
  Status Truncate(uint64_t size);
  Status Size(uint64_t* size) const;
  // Bytes the file occupies on disk (st_blocks * 512).
  Status DiskUsage(uint64_t* bytes) const;

 private:
  int fd_ = -1;
  std::string path_;
  bool punch_supported_ = true;
};

// fsyncs the directory itself, so the names created or renamed in it survive a power loss.
Status SyncDir(const std::string& dir);

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_FILE_H_
