#include "blockdev/file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "blockdev/errors.h"

namespace pycloud {
namespace blockdev {
namespace {

Status IoError(const std::string& what, const std::string& path, int err) {
  return Status::IOError(what + " " + path + ": " + std::strerror(err));
}

}  // namespace

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

Status File::Open(const std::string& path) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return IoError("open", path, errno);
  return Status::OK();
}

Status File::LockExclusive() {
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return MakeError(BlockError::kInUse, "the store at " + path_ + " is open elsewhere");
    return IoError("flock", path_, errno);
  }
  return Status::OK();
}

Status File::ReadAt(uint64_t offset, size_t n, char* out) const {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("pread", path_, errno);
    }
    if (r == 0) {  // past the end: a sparse slot never written up to its end
      std::memset(out + done, 0, n - done);
      break;
    }
    done += static_cast<size_t>(r);
  }
  return Status::OK();
}

Status File::WriteAt(uint64_t offset, const char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pwrite(fd_, data + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("pwrite", path_, errno);
    }
    done += static_cast<size_t>(r);
  }
  return Status::OK();
}

Status File::Sync() {
  if (::fdatasync(fd_) != 0) return IoError("fdatasync", path_, errno);
  return Status::OK();
}

Status File::PunchHole(uint64_t offset, uint64_t n) {
#ifdef FALLOC_FL_PUNCH_HOLE
  if (punch_supported_) {
    if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                    static_cast<off_t>(n)) == 0) {
      return Status::OK();
    }
    if (errno != EOPNOTSUPP && errno != ENOSYS) return IoError("fallocate", path_, errno);
    punch_supported_ = false;
  }
#endif
  // No hole punching here: zeros keep the "a free slot reads as zeros" promise, not the space.
  std::vector<char> zeros(1 << 20, 0);
  for (uint64_t done = 0; done < n;) {
    size_t step = static_cast<size_t>(std::min<uint64_t>(zeros.size(), n - done));
    Status s = WriteAt(offset + done, zeros.data(), step);
    if (!s.ok()) return s;
    done += step;
  }
  return Status::OK();
}

Status File::Truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return IoError("ftruncate", path_, errno);
  return Status::OK();
}

Status File::Size(uint64_t* size) const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return IoError("fstat", path_, errno);
  *size = static_cast<uint64_t>(st.st_size);
  return Status::OK();
}

Status File::DiskUsage(uint64_t* bytes) const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return IoError("fstat", path_, errno);
  *bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync", dir, err);
  return Status::OK();
}

}  // namespace blockdev
}  // namespace pycloud
