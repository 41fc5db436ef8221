// Python bindings of the object store (pycloud._core.ObjectStore and friends).
#ifndef PYCLOUD_OBJSTORE_OBJSTORE_PY_H_
#define PYCLOUD_OBJSTORE_OBJSTORE_PY_H_

#include <pybind11/pybind11.h>

namespace pycloud {

void RegisterObjstore(pybind11::module_& m);

}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_OBJSTORE_PY_H_
