// pybind11 face of csrc/queue: argument conversion, the GIL released around every engine call,
// and a failed Status turned into pycloud._core.QueueError with .code set (see errors.h).
#include "queue/queue_py.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pyutil.h"
#include "queue/engine.h"
#include "queue/errors.h"

namespace pycloud {
namespace {

namespace py = pybind11;
using namespace queue;  // NOLINT: this file only binds the queue engine

PyObject* g_queue_error = nullptr;  // the QueueError class, owned by the module

py::object MakeQueueError(const Status& s) {
  std::string code = ErrorName(s);
  py::object exc = py::reinterpret_borrow<py::object>(g_queue_error)(s.message().empty() ? code : s.message());
  exc.attr("code") = code;
  return exc;
}

[[noreturn]] void ThrowQueue(const Status& s) {
  py::object exc = MakeQueueError(s);
  PyErr_SetObject(g_queue_error, exc.ptr());
  throw py::error_already_set();
}

inline void Check(const Status& s) {
  if (!s.ok()) ThrowQueue(s);
}

// A per-entry batch result: None when OK, else the error's code.
py::object CodeOrNone(const Status& s) {
  if (s.ok()) return py::none();
  return py::str(ErrorName(s));
}

// A batch's per-entry outcomes, in entry order.
py::list CodesOrNone(const std::vector<Status>& statuses) {
  py::list result;
  for (const Status& s : statuses) result.append(CodeOrNone(s));
  return result;
}

std::string BytesOf(py::handle obj) {
  BufferView buf(obj);
  return std::string(static_cast<const char*>(buf.data()), buf.size());
}

SyncMode ParseSync(const std::string& s) {
  if (s == "always") return SyncMode::kAlways;
  if (s == "batch") return SyncMode::kBatch;
  if (s == "never") return SyncMode::kNever;
  throw py::value_error("sync must be 'always', 'batch' or 'never'");
}

// The engine is shared with calls in progress so close() never pulls it from under another thread.
class PyEngine {
 public:
  std::shared_ptr<Engine> Get() const {
    if (!engine_) throw py::value_error("queue engine is closed");
    return engine_;
  }
  void Close() {
    std::shared_ptr<Engine> e = std::move(engine_);
    py::gil_scoped_release nogil;
    e.reset();  // joins the batch syncer and flushes the log
  }
  std::shared_ptr<Engine> engine_;
};

// Runs fn(engine) with the GIL released and raises on failure.
template <typename Fn>
void Call(const PyEngine& self, Fn&& fn) {
  std::shared_ptr<Engine> engine = self.Get();
  Status s;
  {
    py::gil_scoped_release nogil;
    s = fn(*engine);
  }
  Check(s);
}

py::dict ConfigDict(const QueueConfig& c, bool fifo) {
  py::dict d;
  d["fifo"] = fifo;
  d["visibility_timeout_ms"] = c.visibility_timeout_ms;
  d["delay_ms"] = c.delay_ms;
  d["retention_ms"] = c.retention_ms;
  d["max_message_bytes"] = c.max_message_bytes;
  d["content_based_dedup"] = c.content_based_dedup;
  d["dedup_scope_group"] = c.dedup_scope_group;
  d["dead_letter_target"] = c.dead_letter_target.empty() ? py::object(py::none()) : py::object(py::str(c.dead_letter_target));
  d["max_receive_count"] = c.max_receive_count;
  return d;
}

}  // namespace

std::shared_ptr<Engine> EngineOf(py::handle engine) {
  if (!py::isinstance<PyEngine>(engine)) throw py::type_error("expected a QueueEngine");
  return engine.cast<PyEngine&>().Get();
}

void RegisterQueue(py::module_& m) {
  g_queue_error = PyErr_NewException("pycloud._core.QueueError", PyExc_Exception, nullptr);
  py::object queue_error = py::reinterpret_steal<py::object>(g_queue_error);
  queue_error.attr("code") = "";
  queue_error.attr("__doc__") =
      "A queue-engine failure; .code names it: QueueExists, NoSuchQueue, MissingGroupId, MissingDedupId, "
      "ReceiptHandleIsInvalid, MessageNotInflight, OverLimit, InvalidArgument, IOError, Corruption.";
  m.attr("QueueError") = queue_error;  // the module keeps the class alive (g_queue_error borrows)

  py::class_<SendResult>(m, "SendResult", "What a send produced.")
      .def_readonly("message_id", &SendResult::message_id)
      .def_readonly("sequence_number", &SendResult::sequence_number, "FIFO only, else ''.")
      .def_readonly("duplicate", &SendResult::duplicate, "A FIFO send deduplicated against an earlier one.")
      .def("__repr__", [](const SendResult& r) {
        return "<SendResult " + r.message_id + (r.duplicate ? " duplicate>" : ">");
      });

  py::class_<ReceivedMessage>(m, "QueueMessage", "A received message.")
      .def_readonly("message_id", &ReceivedMessage::message_id)
      .def_readonly("receipt_handle", &ReceivedMessage::receipt_handle)
      .def_property_readonly("body", [](const ReceivedMessage& r) { return py::bytes(r.body); })
      .def_property_readonly("attributes", [](const ReceivedMessage& r) { return py::bytes(r.attributes); })
      .def_readonly("receive_count", &ReceivedMessage::receive_count)
      .def_readonly("sent_ms", &ReceivedMessage::sent_ms)
      .def_readonly("first_receive_ms", &ReceivedMessage::first_receive_ms)
      .def_readonly("group_id", &ReceivedMessage::group_id)
      .def_readonly("dedup_id", &ReceivedMessage::dedup_id)
      .def_readonly("sequence_number", &ReceivedMessage::sequence_number, "FIFO only, else ''.")
      .def_readonly("dead_letter_source", &ReceivedMessage::dead_letter_source)
      .def("__repr__", [](const ReceivedMessage& r) {
        return "<QueueMessage " + r.message_id + " receive_count=" + std::to_string(r.receive_count) + ">";
      });
  m.attr("Message") = m.attr("QueueMessage");

  py::class_<QueueStats>(m, "QueueStats", "Approximate message counts of a queue.")
      .def_readonly("visible", &QueueStats::visible)
      .def_readonly("in_flight", &QueueStats::in_flight)
      .def_readonly("delayed", &QueueStats::delayed)
      .def_readonly("memory_bytes", &QueueStats::memory_bytes, "Estimate of the memory the queue holds.")
      .def("__repr__", [](const QueueStats& s) {
        return "<QueueStats visible=" + std::to_string(s.visible) + " in_flight=" + std::to_string(s.in_flight) +
               " delayed=" + std::to_string(s.delayed) + ">";
      });

  py::class_<PyEngine>(m, "QueueEngine", "The native SQS data plane; a write-ahead log under path (None: memory).")
      .def(py::init([](std::optional<std::string> path, const std::string& sync, uint32_t batch_window_ms,
                       uint64_t compact_min_bytes, double compact_ratio) {
             EngineOptions o;
             o.sync = ParseSync(sync);
             o.batch_window_ms = batch_window_ms;
             o.compact_min_bytes = compact_min_bytes;
             o.compact_ratio = compact_ratio;
             std::unique_ptr<Engine> engine;
             Status s;
             {
               py::gil_scoped_release nogil;
               s = Engine::Open(path.value_or(std::string()), o, &engine);
             }
             Check(s);
             PyEngine p;
             p.engine_ = std::shared_ptr<Engine>(std::move(engine));
             return p;
           }),
           py::arg("path"), py::arg("sync") = "batch", py::kw_only(), py::arg("batch_window_ms") = 50,
           py::arg("compact_min_bytes") = 8u << 20, py::arg("compact_ratio") = 2.0)
      .def("close", &PyEngine::Close, "Releases the engine (pending batch fsyncs are flushed).")
      .def("__enter__", [](PyEngine& e) -> PyEngine& { return e; })
      .def("__exit__", [](PyEngine& e, py::args) { e.Close(); })
      .def_property_readonly("in_flight_limit", [](const PyEngine&) { return kStandardInFlightLimit; })
      .def_property_readonly("fifo_in_flight_limit", [](const PyEngine&) { return kFifoInFlightLimit; })
      .def(
          "create_queue",
          [](PyEngine& self, const std::string& name, bool fifo) {
            Call(self, [&](Engine& e) { return e.CreateQueue(name, fifo); });
          },
          py::arg("name"), py::arg("fifo"))
      .def(
          "delete_queue",
          [](PyEngine& self, const std::string& name) { Call(self, [&](Engine& e) { return e.DeleteQueue(name); }); },
          py::arg("name"))
      .def("queue_names", [](PyEngine& self) {
        std::shared_ptr<Engine> e = self.Get();
        std::vector<std::string> names;
        {
          py::gil_scoped_release nogil;
          names = e->QueueNames();
        }
        return names;
      })
      .def(
          "configure",
          [](PyEngine& self, const std::string& name, int64_t visibility_timeout_ms, int64_t delay_ms,
             int64_t retention_ms, int64_t max_message_bytes, bool content_based_dedup,
             std::optional<std::string> dead_letter_target, uint32_t max_receive_count, bool dedup_scope_group) {
            QueueConfig c;
            c.visibility_timeout_ms = visibility_timeout_ms;
            c.delay_ms = delay_ms;
            c.retention_ms = retention_ms;
            c.max_message_bytes = max_message_bytes;
            c.content_based_dedup = content_based_dedup;
            c.dead_letter_target = dead_letter_target.value_or(std::string());
            c.max_receive_count = max_receive_count;
            c.dedup_scope_group = dedup_scope_group;
            Call(self, [&](Engine& e) { return e.Configure(name, c); });
          },
          py::arg("name"), py::kw_only(), py::arg("visibility_timeout_ms"), py::arg("delay_ms"),
          py::arg("retention_ms"), py::arg("max_message_bytes"), py::arg("content_based_dedup"),
          py::arg("dead_letter_target"), py::arg("max_receive_count"), py::arg("dedup_scope_group") = false)
      .def(
          "get_config",
          [](PyEngine& self, const std::string& name) {
            QueueConfig c;
            bool fifo = false;
            Call(self, [&](Engine& e) { return e.GetConfig(name, &c, &fifo); });
            return ConfigDict(c, fifo);
          },
          py::arg("name"), "The queue's configuration as a dict (plus 'fifo').")
      .def(
          "send",
          [](PyEngine& self, const std::string& name, py::handle body, py::handle attributes, int64_t now_ms,
             int64_t delay_ms, std::optional<std::string> group_id, std::optional<std::string> dedup_id) {
            SendRequest req;
            req.body = BytesOf(body);
            req.attributes = BytesOf(attributes);
            req.delay_ms = delay_ms;
            req.group_id = std::move(group_id);
            req.dedup_id = std::move(dedup_id);
            SendResult r;
            Call(self, [&](Engine& e) { return e.Send(name, req, now_ms, &r); });
            return r;
          },
          py::arg("name"), py::arg("body"), py::arg("attributes"), py::arg("now_ms"), py::kw_only(),
          py::arg("delay_ms") = -1, py::arg("group_id") = py::none(), py::arg("dedup_id") = py::none())
      .def(
          "send_batch",
          [](PyEngine& self, const std::string& name, py::iterable entries, int64_t now_ms) {
            std::vector<SendRequest> reqs;
            for (py::handle item : entries) {
              py::tuple t = py::reinterpret_borrow<py::object>(item).cast<py::tuple>();
              if (t.size() != 5) throw py::value_error("send_batch entries are (body, attributes, delay_ms, group, dedup)");
              SendRequest req;
              req.body = BytesOf(t[0]);
              req.attributes = BytesOf(t[1]);
              req.delay_ms = t[2].cast<int64_t>();
              if (!t[3].is_none()) req.group_id = t[3].cast<std::string>();
              if (!t[4].is_none()) req.dedup_id = t[4].cast<std::string>();
              reqs.push_back(std::move(req));
            }
            std::vector<SendOutcome> out;
            Call(self, [&](Engine& e) { return e.SendBatch(name, reqs, now_ms, &out); });
            py::list result;
            for (SendOutcome& o : out) {
              if (o.status.ok()) {
                result.append(py::cast(std::move(o.result)));
              } else {
                result.append(py::str(ErrorName(o.status)));
              }
            }
            return result;
          },
          py::arg("name"), py::arg("entries"), py::arg("now_ms"),
          "Entries are (body, attributes, delay_ms, group_id, dedup_id); per entry a SendResult or an error code.")
      .def(
          "receive",
          [](PyEngine& self, const std::string& name, uint32_t max_messages, int64_t now_ms,
             int64_t visibility_timeout_ms, std::optional<std::string> attempt_id) {
            ReceiveRequest req;
            req.max_messages = max_messages;
            req.visibility_timeout_ms = visibility_timeout_ms;
            req.attempt_id = std::move(attempt_id);
            std::vector<ReceivedMessage> out;
            Call(self, [&](Engine& e) { return e.Receive(name, req, now_ms, &out); });
            return out;
          },
          py::arg("name"), py::arg("max_messages"), py::arg("now_ms"), py::kw_only(),
          py::arg("visibility_timeout_ms") = -1, py::arg("attempt_id") = py::none())
      .def(
          "delete",
          [](PyEngine& self, const std::string& name, const std::string& handle, int64_t now_ms) {
            Call(self, [&](Engine& e) { return e.Delete(name, handle, now_ms); });
          },
          py::arg("name"), py::arg("receipt_handle"), py::arg("now_ms"))
      .def(
          "delete_batch",
          [](PyEngine& self, const std::string& name, const std::vector<std::string>& handles, int64_t now_ms) {
            std::vector<Status> out;
            Call(self, [&](Engine& e) { return e.DeleteBatch(name, handles, now_ms, &out); });
            return CodesOrNone(out);
          },
          py::arg("name"), py::arg("handles"), py::arg("now_ms"), "Per handle: None or an error code.")
      .def(
          "change_visibility",
          [](PyEngine& self, const std::string& name, const std::string& handle, int64_t timeout_ms, int64_t now_ms) {
            Call(self, [&](Engine& e) { return e.ChangeVisibility(name, handle, timeout_ms, now_ms); });
          },
          py::arg("name"), py::arg("receipt_handle"), py::arg("timeout_ms"), py::arg("now_ms"))
      .def(
          "change_visibility_batch",
          [](PyEngine& self, const std::string& name, const std::vector<std::pair<std::string, int64_t>>& entries,
             int64_t now_ms) {
            std::vector<Status> out;
            Call(self, [&](Engine& e) { return e.ChangeVisibilityBatch(name, entries, now_ms, &out); });
            return CodesOrNone(out);
          },
          py::arg("name"), py::arg("entries"), py::arg("now_ms"), "Entries are (receipt_handle, timeout_ms).")
      .def(
          "purge",
          [](PyEngine& self, const std::string& name, int64_t now_ms) {
            Call(self, [&](Engine& e) { return e.Purge(name, now_ms); });
          },
          py::arg("name"), py::arg("now_ms"))
      .def(
          "stats",
          [](PyEngine& self, const std::string& name, int64_t now_ms) {
            QueueStats st;
            Call(self, [&](Engine& e) { return e.GetStats(name, now_ms, &st); });
            return st;
          },
          py::arg("name"), py::arg("now_ms"))
      .def(
          "next_visible_ms",
          [](PyEngine& self, const std::string& name, int64_t now_ms) {
            int64_t at = -1;
            Call(self, [&](Engine& e) { return e.NextVisible(name, now_ms, &at); });
            return at;
          },
          py::arg("name"), py::arg("now_ms"),
          "Earliest time a delayed or in-flight message becomes visible, or -1.")
      .def(
          "move_messages",
          [](PyEngine& self, const std::string& source, const std::optional<std::string>& destination,
             int64_t max_count, int64_t now_ms) {
            uint64_t moved = 0;
            Call(self, [&](Engine& e) {
              if (!destination) return e.MoveMessagesToSources(source, max_count, now_ms, &moved);
              return e.MoveMessages(source, *destination, max_count, now_ms, &moved);
            });
            return moved;
          },
          py::arg("source"), py::arg("destination"), py::arg("max_count"), py::arg("now_ms"),
          "Moves up to max_count (negative: all) visible messages to destination, or with destination None "
          "back to each message's dead_letter_source (messages whose source is gone stay); returns how many "
          "moved.")
      .def(
          "compact", [](PyEngine& self, bool force) { Call(self, [&](Engine& e) { return e.Compact(force); }); },
          py::arg("force") = true, "Rewrites the log with only live state.")
      .def("sync", [](PyEngine& self) { Call(self, [&](Engine& e) { return e.Sync(); }); },
           "Everything logged so far to stable storage.")
      .def("engine_stats", [](PyEngine& self) {
        std::shared_ptr<Engine> e = self.Get();
        EngineStats st;
        {
          py::gil_scoped_release nogil;
          st = e->GetEngineStats();
        }
        py::dict d;
        d["queues"] = st.queues;
        d["messages"] = st.messages;
        d["memory_bytes"] = st.memory_bytes;
        d["log_bytes"] = st.log_bytes;
        d["live_log_bytes"] = st.live_log_bytes;
        d["compactions"] = st.compactions;
        d["recovered_records"] = st.recovered_records;
        d["truncated_bytes"] = st.truncated_bytes;
        d["log_syncs"] = st.log_syncs;
        return d;
      });
}

}  // namespace pycloud
