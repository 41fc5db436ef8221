// Helpers shared by every pybind11 binding file: buffer access and Status -> exception mapping.
//
// Only binding sources (those that include pybind11) may include this header; the native test
// runner skips them. All functions here must be called with the GIL held.
#ifndef PYCLOUD_PYUTIL_H_
#define PYCLOUD_PYUTIL_H_

#include <pybind11/pybind11.h>

#include <cstddef>

#include "common/status.h"

namespace pycloud {
namespace py = pybind11;

// Inputs at least this large are processed with the GIL released: below it the release/reacquire
// round trip costs more than it frees up for other threads.
constexpr size_t kReleaseGilThreshold = 64 * 1024;

// A read-only, contiguous view of any object exporting the buffer protocol (bytes, bytearray,
// memoryview, array, mmap, numpy...). The export pins the object (a bytearray cannot be resized
// while viewed), so the bytes stay valid with the GIL released; the view must be destroyed with the
// GIL held.
class BufferView {
 public:
  explicit BufferView(py::handle obj) {
    if (PyUnicode_Check(obj.ptr())) {
      // Same message as hashlib: hashing text needs an explicit encoding.
      throw py::type_error("Strings must be encoded before hashing");
    }
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
  }
  ~BufferView() { PyBuffer_Release(&view_); }
  BufferView(const BufferView&) = delete;
  BufferView& operator=(const BufferView&) = delete;

  const void* data() const { return view_.buf; }
  size_t size() const { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

// Raises the Python exception matching a failed Status; does nothing for OK.
inline void ThrowIfError(const Status& s) {
  if (s.ok()) return;
  const std::string msg = s.message();
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
      throw py::value_error(msg);
    case Status::Code::kNotFound:
      throw py::key_error(msg);
    case Status::Code::kNotSupported:
      PyErr_SetString(PyExc_NotImplementedError, msg.c_str());
      throw py::error_already_set();
    case Status::Code::kIOError:
      PyErr_SetString(PyExc_OSError, msg.c_str());
      throw py::error_already_set();
    default:
      throw std::runtime_error(s.ToString());
  }
}

}  // namespace pycloud

#endif  // PYCLOUD_PYUTIL_H_
