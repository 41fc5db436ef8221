// HashWorker: runs a Hasher on its own thread over the bytes the caller is busy with meanwhile.
//
// A large body's chunk is hashed (MD5) on the worker while the calling thread writes the same bytes
// to disk: the two proceed in parallel on one buffer, nothing is copied, and order is kept because
// the caller waits for each chunk before handing over the next. One worker thread per writer,
// started on first use; only bodies past the small-object threshold use it.
#ifndef PYCLOUD_OBJSTORE_HASH_WORKER_H_
#define PYCLOUD_OBJSTORE_HASH_WORKER_H_

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#include "common/hasher.h"

namespace pycloud {
namespace objstore {

class HashWorker {
 public:
  // hasher: not owned; used only by the worker between Start() and Wait().
  explicit HashWorker(Hasher* hasher);
  ~HashWorker();  // waits for the current chunk, stops and joins the thread
  HashWorker(const HashWorker&) = delete;
  HashWorker& operator=(const HashWorker&) = delete;

  // Starts the thread; false when the system refuses one (the caller then hashes itself).
  bool Launch();
  // Begins hashing [data, data + n); the bytes must stay valid and unchanged until Wait().
  void Start(const void* data, size_t n);
  // Returns once the chunk given to Start() is hashed.
  void Wait();

 private:
  void Loop();

  Hasher* const hasher_;
  std::mutex mu_;
  std::condition_variable cv_;
  const void* data_ = nullptr;
  size_t n_ = 0;
  bool busy_ = false;  // a chunk was handed over and is not hashed yet
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_HASH_WORKER_H_
