#include "common/sigv4_py.h"

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

#include "common/sigv4.h"

namespace pycloud {
namespace {

namespace py = pybind11;

// A str's UTF-8 bytes (borrowed from the str, valid while it lives).
std::string_view Utf8(PyObject* text) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text, &size);
  if (data == nullptr) throw py::error_already_set();
  return {data, static_cast<size_t>(size)};
}

py::object Sigv4SignaturePy(py::bytes signing_key, py::str amz_date, py::str scope, py::str method, py::str uri,
                            py::str query, py::dict headers, py::list signed_names, py::str signed_headers,
                            py::str payload_hash) {
  Sigv4Request request;
  request.method = Utf8(method.ptr());
  request.canonical_uri = Utf8(uri.ptr());
  request.canonical_query = Utf8(query.ptr());
  request.signed_headers = Utf8(signed_headers.ptr());
  request.payload_hash = Utf8(payload_hash.ptr());
  const size_t count = py::len(signed_names);
  request.signed_names.reserve(count);
  request.header_values.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    PyObject* name = PyList_GET_ITEM(signed_names.ptr(), static_cast<Py_ssize_t>(i));
    if (!PyUnicode_Check(name)) throw py::type_error("signed header names must be str");
    request.signed_names.push_back(Utf8(name));
    PyObject* value = PyDict_GetItemWithError(headers.ptr(), name);  // borrowed
    if (value == nullptr) {
      if (PyErr_Occurred()) throw py::error_already_set();
      request.header_values.emplace_back();
    } else if (PyUnicode_Check(value)) {
      request.header_values.push_back(Utf8(value));
    } else {
      return py::none();  // not text: the Python path decides
    }
  }
  char* key_data = nullptr;
  Py_ssize_t key_size = 0;
  if (PyBytes_AsStringAndSize(signing_key.ptr(), &key_data, &key_size) != 0) throw py::error_already_set();
  std::string signature;
  if (!Sigv4Signature(std::string_view(key_data, static_cast<size_t>(key_size)), Utf8(amz_date.ptr()),
                      Utf8(scope.ptr()), request, &signature)) {
    return py::none();
  }
  return py::str(signature);
}

}  // namespace

void RegisterSigv4(py::module_& m) {
  m.def("sigv4_signature", &Sigv4SignaturePy, py::arg("signing_key"), py::arg("amz_date"), py::arg("scope"),
        py::arg("method"), py::arg("canonical_uri"), py::arg("canonical_query"), py::arg("headers"),
        py::arg("signed_names"), py::arg("signed_headers"), py::arg("payload_hash"),
        "Hex SigV4 signature of a request (headers: lower-case name -> value), or None when a signed "
        "header value needs the general canonicalisation (bytes outside printable ASCII).");
}

}  // namespace pycloud
