// pybind11 face of csrc/front. Calls keep the GIL: the front's tables are shared with the Python
// code that fills them, and a whole request takes a few microseconds.
#include "front/front_py.h"

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>

#include "front/sqs_front.h"
#include "pyutil.h"
#include "queue/queue_py.h"

namespace pycloud {
namespace {

namespace py = pybind11;
using front::FrontAnswer;
using front::FrontCredential;
using front::FrontQueue;
using front::SqsFront;

// The front plus the last answer's details, read back only when something audits requests.
struct PyFront {
  explicit PyFront(std::shared_ptr<queue::Engine> engine) : front(std::move(engine)) {}
  SqsFront front;
  FrontAnswer last;
};

}  // namespace

void RegisterFront(py::module_& m) {
  py::class_<PyFront>(m, "SqsFront",
                      "Answers the hottest SQS JSON requests natively from what the Python road registered.")
      .def(py::init([](py::handle engine) { return std::make_unique<PyFront>(EngineOf(engine)); }),
           py::arg("engine"))
      .def(
          "set_credential",
          [](PyFront& self, const std::string& access_key, const std::string& secret, const std::string& account,
             const std::string& sender_id, bool verify) {
            FrontCredential c;
            c.secret = secret;
            c.account = account;
            c.sender_id = sender_id;
            c.verify = verify;
            self.front.SetCredential(access_key, std::move(c));
          },
          py::arg("access_key"), py::arg("secret"), py::arg("account"), py::arg("sender_id"), py::arg("verify") = true)
      .def("clear_credentials", [](PyFront& self) { self.front.ClearCredentials(); })
      .def(
          "set_queue",
          [](PyFront& self, const std::string& url, const std::string& region, const std::string& engine_name,
             const std::string& account, int64_t max_message_bytes, int64_t receive_wait_seconds,
             const std::string& dead_letter, bool fifo, bool content_based_dedup) {
            FrontQueue q;
            q.engine_name = engine_name;
            q.account = account;
            q.max_message_bytes = max_message_bytes;
            q.receive_wait_seconds = receive_wait_seconds;
            q.dead_letter = dead_letter;
            q.fifo = fifo;
            q.content_based_dedup = content_based_dedup;
            self.front.SetQueue(url, region, std::move(q));
          },
          py::arg("url"), py::arg("region"), py::arg("engine_name"), py::arg("account"),
          py::arg("max_message_bytes"), py::arg("receive_wait_seconds"), py::arg("dead_letter") = "",
          py::arg("fifo") = false, py::arg("content_based_dedup") = false)
      .def("clear_queues", [](PyFront& self) { self.front.ClearQueues(); })
      .def_property_readonly("credential_count", [](const PyFront& self) { return self.front.credential_count(); })
      .def_property_readonly("queue_count", [](const PyFront& self) { return self.front.queue_count(); })
      .def_property_readonly("stats",
                             [](const PyFront& self) {
                               py::dict d;
                               d["answered"] = self.front.stats().answered;
                               d["passed"] = self.front.stats().passed;
                               return d;
                             })
      .def(
          "handle",
          [](PyFront& self, py::handle data, double now, bool check_skew) -> py::object {
            BufferView buf(data);
            std::string_view view(static_cast<const char*>(buf.data()), buf.size());
            const front::FrontResult result = self.front.Handle(view, now, check_skew, &self.last);
            if (result == front::FrontResult::kPassed) return py::none();
            if (result == front::FrontResult::kIncomplete) return py::bool_(false);
            py::bytes response(self.last.response);
            if (self.last.notify.empty()) return py::make_tuple(std::move(response), py::none());
            return py::make_tuple(std::move(response), py::str(self.last.notify));
          },
          py::arg("data"), py::arg("now"), py::arg("check_skew"),
          "(HTTP response, engine name of a queue to wake or None) when the front answered the request "
          "that is all of data; None hands it to the Python road (nothing was changed); False: the start "
          "of a request the front may answer, call again with more of it.")
      .def(
          "last_answer",
          [](const PyFront& self) {
            const FrontAnswer& a = self.last;
            return py::make_tuple(front::FrontOpName(a.op), a.access_key, a.account, a.region, a.request_id);
          },
          "(operation, access key, account, region, request id) of the last answered request.");
}

}  // namespace pycloud
