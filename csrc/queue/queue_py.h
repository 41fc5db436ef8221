// Python bindings of the queue engine (pycloud._core.QueueEngine and friends).
#ifndef PYCLOUD_QUEUE_QUEUE_PY_H_
#define PYCLOUD_QUEUE_QUEUE_PY_H_

#include <pybind11/pybind11.h>

namespace pycloud {

void RegisterQueue(pybind11::module_& m);

}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_QUEUE_PY_H_
