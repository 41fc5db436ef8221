// Python bindings of the queue engine (pycloud._core.QueueEngine and friends).
#ifndef PYCLOUD_QUEUE_QUEUE_PY_H_
#define PYCLOUD_QUEUE_QUEUE_PY_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "queue/engine.h"

namespace pycloud {

void RegisterQueue(pybind11::module_& m);

// The engine behind a pycloud._core.QueueEngine object (ValueError when it is closed or not one).
std::shared_ptr<queue::Engine> EngineOf(pybind11::handle engine);

}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_QUEUE_PY_H_
