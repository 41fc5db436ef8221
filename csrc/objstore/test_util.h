// Helpers shared by the objstore native tests: a fresh scratch directory per test.
#ifndef PYCLOUD_OBJSTORE_TEST_UTIL_H_
#define PYCLOUD_OBJSTORE_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace pycloud {
namespace objstore {

// A new empty directory under TMPDIR, removed with its contents when the object dies.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/objstore-test.XXXXXX";
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
  }
  ~ScratchDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_TEST_UTIL_H_
