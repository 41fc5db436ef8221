// Python bindings of the load generator (pycloud._core.LoadGenerator and LoadResult).
#ifndef PYCLOUD_LOADGEN_LOADGEN_PY_H_
#define PYCLOUD_LOADGEN_LOADGEN_PY_H_

#include <pybind11/pybind11.h>

namespace pycloud {

void RegisterLoadgen(pybind11::module_& m);

}  // namespace pycloud

#endif  // PYCLOUD_LOADGEN_LOADGEN_PY_H_
