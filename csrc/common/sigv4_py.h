// Python binding of the SigV4 signature computation (`pycloud._core.sigv4_signature`).
#ifndef PYCLOUD_COMMON_SIGV4_PY_H_
#define PYCLOUD_COMMON_SIGV4_PY_H_

#include <pybind11/pybind11.h>

namespace pycloud {

void RegisterSigv4(pybind11::module_& m);

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_SIGV4_PY_H_
