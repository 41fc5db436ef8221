// The POSIX Env: append/read/truncate/rename/children, and FaultEnv's injected failures.
#include "objstore/env.h"

#include <string>
#include <vector>

#include "common/testharness.h"
#include "objstore/fault_env.h"
#include "objstore/test_util.h"

namespace pycloud {
namespace objstore {
namespace {

TEST(Env, WriteReadTruncateRename) {
  ScratchDir dir;
  Env* env = Env::Default();
  std::string a = dir.path() + "/a", b = dir.path() + "/b";
  std::unique_ptr<WritableFile> w;
  CHECK(env->NewWritableFile(a, &w).ok());
  CHECK(w->Append("hello world", 11).ok());
  CHECK(w->Sync().ok());
  CHECK(w->Truncate(5).ok());
  CHECK(w->Append("!", 1).ok());
  CHECK_EQ(w->Size(), 6u);
  CHECK(w->Close().ok());
  CHECK(env->RenameFile(a, b).ok());
  std::unique_ptr<RandomAccessFile> r;
  CHECK(!env->NewRandomAccessFile(a, &r).ok());
  CHECK(env->NewRandomAccessFile(b, &r).ok());
  char buf[16];
  size_t got = 0;
  CHECK(r->Read(0, sizeof buf, buf, &got).ok());
  CHECK_EQ(std::string(buf, got), std::string("hello!"));
  CHECK(r->fd() >= 0);
  std::unique_ptr<WritableFile> app;
  CHECK(env->NewAppendableFile(b, &app).ok());
  CHECK_EQ(app->Size(), 6u);
  std::vector<std::string> names;
  CHECK(env->GetChildren(dir.path(), &names).ok());
  CHECK_EQ(names.size(), 1u);
  uint64_t size = 0;
  CHECK(env->GetFileSize(b, &size).ok());
  CHECK_EQ(size, 6u);
  CHECK(env->SyncDir(dir.path()).ok());
  CHECK(env->RemoveFile(b).ok());
  CHECK(env->RemoveFile(b).IsIOError());
}

TEST(FaultEnv, FailsAfterCountAndTearsAppends) {
  ScratchDir dir;
  FaultEnv env(Env::Default());
  std::unique_ptr<WritableFile> w;
  CHECK(env.NewWritableFile(dir.path() + "/f", &w).ok());
  env.appends_left = 1;
  CHECK(w->Append("abcd", 4).ok());
  CHECK(w->Append("efgh", 4).IsIOError());
  CHECK_EQ(w->Size(), 6u);  // half of the failed append landed
  env.syncs_left = 0;
  CHECK(w->Sync().IsIOError());
  env.Heal();
  CHECK(w->Append("x", 1).ok());
  CHECK(w->Sync().ok());
  env.renames_left = 0;
  CHECK(env.RenameFile(dir.path() + "/f", dir.path() + "/g").IsIOError());
}

}  // namespace
}  // namespace objstore
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
