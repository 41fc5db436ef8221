// Python bindings of the schedulers (pycloud._core.VolumeScheduler, CpuCreditScheduler, ...).
#ifndef PYCLOUD_SCHED_SCHED_PY_H_
#define PYCLOUD_SCHED_SCHED_PY_H_

#include <pybind11/pybind11.h>

namespace pycloud {

void RegisterSched(pybind11::module_& m);

}  // namespace pycloud

#endif  // PYCLOUD_SCHED_SCHED_PY_H_
