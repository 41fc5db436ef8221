// pybind11 face of csrc/blockdev: argument conversion, the GIL released around every store call
// (block I/O is the NBD server's hot path), and a failed Status turned into
// pycloud._core.BlockStoreError with .code set (see errors.h).
#include "blockdev/blockdev_py.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "blockdev/block_store.h"
#include "blockdev/errors.h"

namespace pycloud {
namespace {

namespace py = pybind11;
using namespace blockdev;  // NOLINT: this file only binds the block store

PyObject* g_block_error = nullptr;  // the BlockStoreError class, owned by the module

[[noreturn]] void ThrowBlock(const Status& s) {
  std::string code = ErrorName(s);
  py::object exc = py::reinterpret_borrow<py::object>(g_block_error)(s.message().empty() ? code : s.message());
  exc.attr("code") = code;
  PyErr_SetObject(g_block_error, exc.ptr());
  throw py::error_already_set();
}

inline void Check(const Status& s) {
  if (!s.ok()) ThrowBlock(s);
}

// A contiguous view of a buffer-protocol object; writable when asked. Released with the GIL held.
class Buffer {
 public:
  Buffer(py::handle obj, bool writable) {
    if (PyUnicode_Check(obj.ptr())) throw py::type_error("a bytes-like object is required, not 'str'");
    if (PyObject_GetBuffer(obj.ptr(), &view_, writable ? PyBUF_WRITABLE : PyBUF_SIMPLE) != 0) {
      throw py::error_already_set();
    }
  }
  ~Buffer() { PyBuffer_Release(&view_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  char* data() const { return static_cast<char*>(view_.buf); }
  uint64_t size() const { return static_cast<uint64_t>(view_.len); }

 private:
  Py_buffer view_{};
};

SyncMode ParseSync(const std::string& s) {
  if (s == "always") return SyncMode::kAlways;
  if (s == "batch") return SyncMode::kBatch;
  if (s == "never") return SyncMode::kNever;
  throw py::value_error("sync must be 'always', 'batch' or 'never'");
}

// The store is shared with calls in progress so close() never pulls it from under another thread.
class PyStore {
 public:
  std::shared_ptr<BlockStore> Get() const {
    std::shared_ptr<BlockStore> s = store_;
    if (!s) Check(MakeError(BlockError::kClosed, "the block store is closed"));
    return s;
  }
  void Close() {
    std::shared_ptr<BlockStore> s = std::move(store_);
    py::gil_scoped_release nogil;
    s.reset();  // the last holder syncs and joins the background syncer
  }
  std::shared_ptr<BlockStore> store_;
};

// Runs fn(store) with the GIL released and raises on failure.
template <typename Fn>
void Call(const PyStore& self, Fn&& fn) {
  std::shared_ptr<BlockStore> store = self.Get();
  Status s;
  {
    py::gil_scoped_release nogil;
    s = fn(*store);
  }
  Check(s);
}

// A new bytes object of `length` filled by fill(char*) without the GIL (nobody else can see it
// before it is returned).
template <typename Fn>
py::bytes FilledBytes(uint64_t length, Fn&& fn) {
  if (length > static_cast<uint64_t>(PY_SSIZE_T_MAX)) throw py::value_error("length too large");
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(length));
  if (raw == nullptr) throw py::error_already_set();
  py::bytes out = py::reinterpret_steal<py::bytes>(raw);
  char* dst = PyBytes_AS_STRING(raw);
  Status s;
  {
    py::gil_scoped_release nogil;
    s = fn(dst);
  }
  Check(s);
  return out;
}

py::dict VolumeDict(const VolumeInfo& v) {
  py::dict d;
  d["id"] = v.id;
  d["size"] = v.size;
  d["blocks"] = v.blocks;
  d["allocated_bytes"] = v.blocks * kBlockSize;
  d["lineage"] = v.lineage;
  d["source_snapshot"] = v.source_snapshot;
  d["last_snapshot"] = v.last_snapshot;
  d["hydrated_blocks"] = v.hydrated_blocks;
  d["blocks_to_hydrate"] = v.blocks_to_hydrate;
  d["first_touches"] = v.first_touches;
  d["first_touch_penalty_us"] = v.first_touch_penalty_us;
  return d;
}

py::dict SnapshotDict(const SnapshotInfo& s) {
  py::dict d;
  d["id"] = s.id;
  d["volume_id"] = s.volume_id;
  d["parent"] = s.parent;
  d["lineage"] = s.lineage;
  d["size"] = s.size;
  d["blocks"] = s.blocks;
  d["stored_bytes"] = s.stored_blocks * kBlockSize;
  d["complete"] = s.complete;
  return d;
}

py::dict StatsDict(const StoreStats& s) {
  py::dict d;
  d["volumes"] = s.volumes;
  d["snapshots"] = s.snapshots;
  d["slots"] = s.slots;
  d["referenced_slots"] = s.referenced_slots;
  d["free_slots"] = s.free_slots;
  d["quarantined_slots"] = s.quarantined_slots;
  d["data_disk_bytes"] = s.data_disk_bytes;
  d["log_bytes"] = s.log_bytes;
  d["checkpoint_bytes"] = s.checkpoint_bytes;
  d["compactions"] = s.compactions;
  d["compaction_failures"] = s.compaction_failures;
  d["recovered_records"] = s.recovered_records;
  d["truncated_bytes"] = s.truncated_bytes;
  return d;
}

}  // namespace

void RegisterBlockdev(py::module_& m) {
  g_block_error = PyErr_NewException("pycloud._core.BlockStoreError", PyExc_Exception, nullptr);
  py::object block_error = py::reinterpret_steal<py::object>(g_block_error);
  block_error.attr("code") = "";
  block_error.attr("__doc__") =
      "A block-store failure; .code names it: NoSuchVolume, NoSuchSnapshot, OutOfRange, LineageMismatch, "
      "SnapshotNotComplete, SnapshotCompleted, AlreadyExists, InUse, InvalidArgument, Closed, IOError, Corruption.";
  m.attr("BlockStoreError") = block_error;  // the module keeps the class alive (g_block_error borrows)
  m.attr("BLOCK_SIZE") = kBlockSize;

  using Id = const std::string&;
  py::class_<PyStore>(m, "BlockStore",
                      "The EBS data plane: sparse volumes of 512 KiB blocks with copy-on-write snapshots, "
                      "stored under path (docs/blockdev-format.md).")
      .def(py::init([](const std::string& path, const std::string& sync, uint32_t batch_window_ms,
                       uint64_t compact_min_bytes) {
             StoreOptions o;
             o.sync = ParseSync(sync);
             o.batch_window_ms = batch_window_ms == 0 ? 1 : batch_window_ms;
             o.compact_min_bytes = compact_min_bytes;
             std::unique_ptr<BlockStore> store;
             Status s;
             {
               py::gil_scoped_release nogil;
               s = BlockStore::Open(path, o, &store);
             }
             Check(s);
             PyStore p;
             p.store_ = std::shared_ptr<BlockStore>(std::move(store));
             return p;
           }),
           py::arg("path"), py::arg("sync") = "batch", py::kw_only(), py::arg("batch_window_ms") = 50,
           py::arg("compact_min_bytes") = StoreOptions().compact_min_bytes,
           "compact_min_bytes: the metadata log is compacted once it is at least this big and 4 times "
           "its last checkpoint.")
      .def("close", &PyStore::Close, "Syncs (unless sync='never') and releases the store.")
      .def("__enter__", [](PyStore& s) -> PyStore& { return s; })
      .def("__exit__", [](PyStore& s, py::args) { s.Close(); })
      .def_property_readonly("block_size", [](const PyStore&) { return kBlockSize; })
      // ------------------------------------------------------------ volumes
      .def(
          "create_volume",
          [](PyStore& self, Id id, uint64_t size, Id from_snapshot) {
            Call(self, [&](BlockStore& b) { return b.CreateVolume(id, size, from_snapshot); });
          },
          py::arg("volume_id"), py::arg("size_bytes"), py::arg("from_snapshot") = "")
      .def(
          "delete_volume", [](PyStore& self, Id id) { Call(self, [&](BlockStore& b) { return b.DeleteVolume(id); }); },
          py::arg("volume_id"))
      .def(
          "resize_volume",
          [](PyStore& self, Id id, uint64_t size) { Call(self, [&](BlockStore& b) { return b.ResizeVolume(id, size); }); },
          py::arg("volume_id"), py::arg("size_bytes"))
      .def(
          "volume_info",
          [](PyStore& self, Id id) {
            VolumeInfo info;
            Call(self, [&](BlockStore& b) { return b.GetVolumeInfo(id, &info); });
            return VolumeDict(info);
          },
          py::arg("volume_id"))
      .def("list_volumes",
           [](PyStore& self) {
             std::shared_ptr<BlockStore> b = self.Get();
             return b->ListVolumes();
           })
      .def(
          "set_first_touch_penalty",
          [](PyStore& self, Id id, uint64_t us) {
            Call(self, [&](BlockStore& b) { return b.SetFirstTouchPenalty(id, us); });
          },
          py::arg("volume_id"), py::arg("microseconds"))
      // ------------------------------------------------------------ block I/O
      .def(
          "read",
          [](PyStore& self, Id id, uint64_t offset, uint64_t length) {
            std::shared_ptr<BlockStore> b = self.Get();
            return FilledBytes(length, [&](char* dst) { return b->Read(id, offset, length, dst, nullptr); });
          },
          py::arg("volume_id"), py::arg("offset"), py::arg("length"))
      .def(
          "read_touch",
          [](PyStore& self, Id id, uint64_t offset, uint64_t length) {
            std::shared_ptr<BlockStore> b = self.Get();
            uint64_t touched = 0;
            py::bytes data =
                FilledBytes(length, [&](char* dst) { return b->Read(id, offset, length, dst, &touched); });
            return py::make_tuple(data, touched);
          },
          py::arg("volume_id"), py::arg("offset"), py::arg("length"))
      .def(
          "readinto",
          [](PyStore& self, Id id, uint64_t offset, py::handle buffer) {
            Buffer buf(buffer, true);
            uint64_t touched = 0;
            Call(self, [&](BlockStore& b) { return b.Read(id, offset, buf.size(), buf.data(), &touched); });
            return touched;
          },
          py::arg("volume_id"), py::arg("offset"), py::arg("buffer"))
      .def(
          "write",
          [](PyStore& self, Id id, uint64_t offset, py::handle data) {
            Buffer buf(data, false);
            uint64_t touched = 0;
            Call(self, [&](BlockStore& b) { return b.Write(id, offset, buf.data(), buf.size(), &touched); });
            return touched;
          },
          py::arg("volume_id"), py::arg("offset"), py::arg("data"))
      .def(
          "trim",
          [](PyStore& self, Id id, uint64_t offset, uint64_t length) {
            Call(self, [&](BlockStore& b) { return b.Trim(id, offset, length); });
          },
          py::arg("volume_id"), py::arg("offset"), py::arg("length"))
      .def(
          "flush", [](PyStore& self, Id id) { Call(self, [&](BlockStore& b) { return b.Flush(id); }); },
          py::arg("volume_id"))
      .def("sync", [](PyStore& self) { Call(self, [&](BlockStore& b) { return b.Sync(); }); })
      .def(
          "compact", [](PyStore& self) { Call(self, [&](BlockStore& b) { return b.Compact(); }); },
          "Rewrites the metadata log as a checkpoint of the live state now.")
      // ------------------------------------------------------------ snapshots
      .def(
          "create_snapshot",
          [](PyStore& self, Id volume_id, Id snapshot_id) {
            Call(self, [&](BlockStore& b) { return b.CreateSnapshot(volume_id, snapshot_id); });
          },
          py::arg("volume_id"), py::arg("snapshot_id"))
      .def(
          "delete_snapshot",
          [](PyStore& self, Id id) { Call(self, [&](BlockStore& b) { return b.DeleteSnapshot(id); }); },
          py::arg("snapshot_id"))
      .def(
          "snapshot_info",
          [](PyStore& self, Id id) {
            SnapshotInfo info;
            Call(self, [&](BlockStore& b) { return b.GetSnapshotInfo(id, &info); });
            return SnapshotDict(info);
          },
          py::arg("snapshot_id"))
      .def("list_snapshots",
           [](PyStore& self) {
             std::shared_ptr<BlockStore> b = self.Get();
             return b->ListSnapshots();
           })
      .def(
          "list_snapshot_blocks",
          [](PyStore& self, Id id) {
            std::vector<uint64_t> blocks;
            Call(self, [&](BlockStore& b) { return b.ListSnapshotBlocks(id, &blocks); });
            return blocks;
          },
          py::arg("snapshot_id"))
      .def(
          "changed_blocks",
          [](PyStore& self, Id first, Id second) {
            std::vector<uint64_t> blocks;
            Call(self, [&](BlockStore& b) { return b.ChangedBlocks(first, second, &blocks); });
            return blocks;
          },
          py::arg("first_snapshot"), py::arg("second_snapshot"))
      .def(
          "read_snapshot_block",
          [](PyStore& self, Id id, uint64_t index) {
            std::shared_ptr<BlockStore> b = self.Get();
            return FilledBytes(kBlockSize, [&](char* dst) { return b->ReadSnapshotBlock(id, index, dst); });
          },
          py::arg("snapshot_id"), py::arg("index"))
      .def(
          "start_snapshot",
          [](PyStore& self, Id id, uint64_t size, Id parent) {
            Call(self, [&](BlockStore& b) { return b.StartSnapshot(id, size, parent); });
          },
          py::arg("snapshot_id"), py::arg("size_bytes"), py::arg("parent") = "")
      .def(
          "put_snapshot_block",
          [](PyStore& self, Id id, uint64_t index, py::handle data) {
            Buffer buf(data, false);
            Call(self, [&](BlockStore& b) { return b.PutSnapshotBlock(id, index, buf.data(), buf.size()); });
          },
          py::arg("snapshot_id"), py::arg("index"), py::arg("data"))
      .def(
          "complete_snapshot",
          [](PyStore& self, Id id) { Call(self, [&](BlockStore& b) { return b.CompleteSnapshot(id); }); },
          py::arg("snapshot_id"))
      .def("stats", [](PyStore& self) {
        std::shared_ptr<BlockStore> b = self.Get();
        StoreStats st;
        {
          py::gil_scoped_release nogil;
          st = b->Stats();
        }
        return StatsDict(st);
      });
}

}  // namespace pycloud
