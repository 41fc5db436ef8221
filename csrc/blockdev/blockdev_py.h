// Python bindings of the block store (pycloud._core.BlockStore, BlockStoreError).
#ifndef PYCLOUD_BLOCKDEV_BLOCKDEV_PY_H_
#define PYCLOUD_BLOCKDEV_BLOCKDEV_PY_H_

#include <pybind11/pybind11.h>

namespace pycloud {

void RegisterBlockdev(pybind11::module_& m);

}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_BLOCKDEV_PY_H_
