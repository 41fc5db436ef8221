// Python bindings of the native SQS front (pycloud._core.SqsFront).
#ifndef PYCLOUD_FRONT_FRONT_PY_H_
#define PYCLOUD_FRONT_FRONT_PY_H_

#include <pybind11/pybind11.h>

namespace pycloud {

void RegisterFront(pybind11::module_& m);

}  // namespace pycloud

#endif  // PYCLOUD_FRONT_FRONT_PY_H_
