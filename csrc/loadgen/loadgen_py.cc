// pybind11 face of csrc/loadgen: argument conversion, ValueError for a bad configuration, the GIL
// released while waiting. Nothing else raises: run-time failures are counted in the result.
#include "loadgen/loadgen_py.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "loadgen/loadgen.h"
#include "loadgen/sqs_drain.h"
#include "pyutil.h"

namespace pycloud {
namespace {

namespace py = pybind11;
using loadgen::Config;
using loadgen::ErrorKind;
using loadgen::LoadGenerator;
using loadgen::Result;

std::unique_ptr<LoadGenerator> Create(const std::string& host, int port, const py::iterable& requests, int connections,
                                      int threads, double duration_s, int64_t max_requests, double rate,
                                      double timeout_s, double window_s) {
  Config c;
  c.host = host;
  c.port = port;
  // bytes are iterable too (as ints): name the mistake instead of failing on the first int.
  if (PyBytes_Check(requests.ptr()) || PyByteArray_Check(requests.ptr()) || PyUnicode_Check(requests.ptr())) {
    throw py::type_error("requests must be a list of bytes");
  }
  for (py::handle item : requests) {
    if (PyUnicode_Check(item.ptr())) throw py::type_error("requests must be bytes, not str");
    BufferView buf(item);
    c.requests.emplace_back(static_cast<const char*>(buf.data()), buf.size());
  }
  c.connections = connections;
  c.threads = threads;
  c.duration_s = duration_s;
  c.max_requests = max_requests;
  c.rate = rate;
  c.timeout_s = timeout_s;
  c.window_s = window_s;
  std::unique_ptr<LoadGenerator> gen;
  ThrowIfError(LoadGenerator::Create(std::move(c), &gen));  // InvalidArgument -> ValueError
  return gen;
}

// Waits in short slices with the GIL released, so Ctrl-C (or any signal handler) still runs: on
// an exception from a handler the run is stopped and the exception propagates.
bool WaitPy(LoadGenerator& g, std::optional<double> timeout_s) {
  if (!g.started()) return false;
  using Clock = std::chrono::steady_clock;
  const bool bounded = timeout_s.has_value();
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(bounded ? std::max(0.0, *timeout_s) : 0.0));
  for (;;) {
    double slice = 0.05;
    if (bounded) {
      slice = std::min(slice, std::chrono::duration<double>(deadline - Clock::now()).count());
      slice = std::max(slice, 0.0);
    }
    bool done;
    {
      py::gil_scoped_release nogil;
      done = g.Wait(slice);
    }
    if (done) return true;
    if (PyErr_CheckSignals() != 0) {
      g.Stop();
      throw py::error_already_set();
    }
    if (bounded && Clock::now() >= deadline) return false;
  }
}

py::dict StatusCounts(const Result& r) {
  py::dict d;
  for (const auto& [code, count] : r.status_counts) d[py::int_(code)] = count;
  return d;
}

// Only kinds that occurred, like status_counts.
py::dict ErrorCounts(const Result& r) {
  py::dict d;
  for (size_t k = 0; k < loadgen::kErrorKinds; ++k) {
    if (r.error_counts[k] != 0) d[py::str(loadgen::ErrorKindName(static_cast<ErrorKind>(k)))] = r.error_counts[k];
  }
  return d;
}

py::list Timeline(const Result& r) {
  py::list out(r.timeline.size());
  for (size_t i = 0; i < r.timeline.size(); ++i) out[i] = py::make_tuple(r.timeline[i].first, r.timeline[i].second);
  return out;
}

}  // namespace

void RegisterLoadgen(py::module_& m) {
  py::class_<Result, std::shared_ptr<Result>>(m, "LoadResult",
                                              "Outcome of a LoadGenerator run (see LoadGenerator.result()).")
      .def_readonly("completed", &Result::completed, "Answered requests, any status (= sum of status_counts).")
      .def_readonly("errors", &Result::errors, "Transport errors plus answers with a status outside 200-399.")
      .def_property_readonly("status_counts", &StatusCounts, "HTTP status -> count.")
      .def_property_readonly("error_counts", &ErrorCounts,
                             "Transport error kind ('connect', 'reset', 'timeout', 'parse') -> count; only kinds seen.")
      .def_readonly("bytes_sent", &Result::bytes_sent)
      .def_readonly("bytes_received", &Result::bytes_received)
      .def_readonly("elapsed_s", &Result::elapsed_s, "First send to the end of the run, in seconds.")
      .def_property_readonly(
          "histogram", [](const Result& r) { return py::bytes(r.histogram.Serialize()); },
          "Latency histogram: HISTOGRAM_BUCKETS little-endian uint64 counts over nanoseconds.")
      .def_property_readonly("min_ns", [](const Result& r) { return r.histogram.min(); })
      .def_property_readonly("max_ns", [](const Result& r) { return r.histogram.max(); })
      .def_property_readonly("sum_ns", [](const Result& r) { return r.histogram.sum(); })
      .def_property_readonly("timeline", &Timeline, "Per window of window_s: (completed, errors).")
      .def("__repr__", [](const Result& r) {
        return "<pycloud._core.LoadResult completed=" + std::to_string(r.completed) +
               " errors=" + std::to_string(r.errors) + ">";
      });

  py::class_<LoadGenerator, std::unique_ptr<LoadGenerator>> cls(
      m, "LoadGenerator",
      "Native HTTP/1.1 load generator: replays pre-built requests round-robin over keep-alive connections on\n"
      "native threads (one epoll loop each), closed loop or open loop at a fixed rate (latency measured from\n"
      "the intended send time). Bad arguments raise ValueError; run-time failures are counted, never raised.");
  cls.def(py::init(&Create), py::arg("host"), py::arg("port"), py::arg("requests"), py::arg("connections") = 64,
          py::arg("threads") = 1, py::arg("duration_s") = 10.0, py::arg("max_requests") = 0, py::arg("rate") = 0.0,
          py::arg("timeout_s") = 10.0, py::arg("window_s") = 0.1)
      .def(
          "start", [](LoadGenerator& g) { g.Start(); }, "Starts the run on native threads and returns at once.")
      .def(
          "progress",
          [](const LoadGenerator& g) {
            loadgen::Progress p = g.GetProgress();
            return py::make_tuple(p.completed, p.errors, p.elapsed_s);
          },
          "(completed, errors, elapsed_s) so far; cheap and thread-safe.")
      .def("wait", &WaitPy, py::arg("timeout_s") = py::none(),
           "Waits (GIL released) until the run finished or timeout_s passed; True when finished.")
      .def(
          "stop", [](LoadGenerator& g) { g.Stop(); }, "Asks the run to finish early; wait() afterwards.")
      .def(
          "result",
          [](LoadGenerator& g) {
            if (g.started()) WaitPy(g, std::nullopt);
            return std::make_shared<Result>(g.GetResult());
          },
          "The run's LoadResult; waits for the run to finish first (empty if never started).");
  cls.attr("HISTOGRAM_SUB_BITS") = loadgen::kSubBits;
  cls.attr("HISTOGRAM_BUCKETS") = loadgen::kBuckets;
  cls.attr("HISTOGRAM_MAX_VALUE") = loadgen::kMaxValue;

  m.def(
      "sqs_drain",
      [](std::string host, int port, std::string queue_url, std::string access_key, std::string secret_key,
         std::string region, int connections, double duration_s) {
        loadgen::SqsDrainConfig c;
        c.host = std::move(host);
        c.port = port;
        c.queue_url = std::move(queue_url);
        c.access_key = std::move(access_key);
        c.secret_key = std::move(secret_key);
        c.region = std::move(region);
        c.connections = connections;
        c.duration_s = duration_s;
        loadgen::SqsDrainResult r;
        Status s;
        {
          py::gil_scoped_release nogil;
          s = loadgen::RunSqsDrain(c, &r);
        }
        ThrowIfError(s);  // InvalidArgument -> ValueError, IOError -> OSError
        py::dict d;
        d["messages"] = r.messages;
        d["requests"] = r.requests;
        d["errors"] = r.errors;
        d["elapsed_s"] = r.elapsed_s;
        d["drained"] = r.drained;
        return d;
      },
      py::arg("host"), py::arg("port"), py::arg("queue_url"), py::arg("access_key"), py::arg("secret_key"),
      py::arg("region") = "us-east-1", py::arg("connections") = 8, py::arg("duration_s") = 5.0,
      "Native SQS consumer for benchmarks: each of `connections` threads loops ReceiveMessage(10) +\n"
      "DeleteMessageBatch (SigV4-signed, JSON protocol) until duration_s passed (0: until the queue is\n"
      "drained). Returns {messages, requests, errors, elapsed_s, drained}; the GIL is released meanwhile.");
}

}  // namespace pycloud
