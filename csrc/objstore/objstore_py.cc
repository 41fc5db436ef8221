// pybind11 face of csrc/objstore: thin wrappers that convert arguments, release the GIL around
// every store call and turn a failed Status into pycloud._core.StoreError(code, message).
#include "objstore/objstore_py.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "objstore/object_store.h"
#include "pyutil.h"

namespace pycloud {
namespace {

namespace py = pybind11;
using namespace objstore;  // NOLINT: this file only binds objstore

PyObject* g_store_error = nullptr;  // the StoreError class, owned by the module

[[noreturn]] void ThrowStore(const Status& s) {
  py::gil_scoped_acquire gil;  // callers may hold it already; acquiring again is a no-op
  std::string code = ErrorName(s);
  py::object exc = py::reinterpret_borrow<py::object>(g_store_error)(s.message().empty() ? code : s.message());
  exc.attr("code") = code;
  PyErr_SetObject(g_store_error, exc.ptr());
  throw py::error_already_set();
}

inline void Check(const Status& s) {
  if (!s.ok()) ThrowStore(s);
}

Versioning ParseVersioning(const std::string& v) {
  if (v == "unversioned" || v == "disabled" || v.empty()) return Versioning::kUnversioned;
  if (v == "enabled") return Versioning::kEnabled;
  if (v == "suspended") return Versioning::kSuspended;
  throw py::value_error("versioning must be 'unversioned', 'enabled' or 'suspended'");
}

// The store is shared with in-flight calls so close() never pulls it from under another thread.
class PyStore {
 public:
  std::shared_ptr<ObjectStore> Get() const {
    if (!store_) throw py::value_error("object store is closed");
    return store_;
  }
  void Close() { store_.reset(); }
  std::shared_ptr<ObjectStore> store_;
};

// Writers and readers are single-owner natively; the mutex makes sharing one across Python threads
// safe (taken after the GIL is released, so it can never deadlock with it).
class PyObjectWriter {
 public:
  explicit PyObjectWriter(std::unique_ptr<ObjectWriter> w) : w_(std::move(w)) {}
  void Write(py::handle data) {
    BufferView buf(data);
    Status s;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(*mu_);
      s = w_->Write(buf.data(), buf.size());
    }
    Check(s);
  }
  ObjectInfo Commit(const std::string& key, const py::bytes& metadata, int64_t last_modified,
                    const std::string& versioning) {
    std::string meta = metadata;
    Versioning v = ParseVersioning(versioning);
    ObjectInfo info;
    Status s;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(*mu_);
      s = w_->Commit(key, meta, last_modified, v, &info);
    }
    Check(s);
    return info;
  }
  void Abort() {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(*mu_);
    w_->Abort();
  }
  uint64_t Size() const { return w_->size(); }

 private:
  std::unique_ptr<ObjectWriter> w_;
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

class PyPartWriter {
 public:
  explicit PyPartWriter(std::unique_ptr<PartWriter> w) : w_(std::move(w)) {}
  void Write(py::handle data) {
    BufferView buf(data);
    Status s;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(*mu_);
      s = w_->Write(buf.data(), buf.size());
    }
    Check(s);
  }
  PartInfo Commit(int64_t last_modified) {
    PartInfo info;
    Status s;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(*mu_);
      s = w_->Commit(last_modified, &info);
    }
    Check(s);
    return info;
  }
  void Abort() {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(*mu_);
    w_->Abort();
  }
  uint64_t Size() const { return w_->size(); }

 private:
  std::unique_ptr<PartWriter> w_;
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

// Reads [offset, offset+length) of a body into a new bytes object, the copy done without the GIL.
py::bytes ReadRange(const ObjectReader& r, uint64_t offset, int64_t length) {
  uint64_t size = r.info().size;
  uint64_t start = std::min(offset, size);
  uint64_t n = length < 0 ? size - start : std::min<uint64_t>(static_cast<uint64_t>(length), size - start);
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n));
  if (raw == nullptr) throw py::error_already_set();
  py::bytes out = py::reinterpret_steal<py::bytes>(raw);
  char* dst = PyBytes_AS_STRING(raw);
  size_t got = 0;
  Status s;
  {
    py::gil_scoped_release nogil;
    s = r.Read(start, static_cast<size_t>(n), dst, &got);
  }
  Check(s);
  if (got != n) Check(Status::Corruption("short read"));
  return out;
}

class PyObjectReader {
 public:
  explicit PyObjectReader(std::unique_ptr<ObjectReader> r) : r_(std::move(r)) {}
  const ObjectInfo& Info() const { return r_->info(); }
  py::bytes Read(uint64_t offset, int64_t length) const { return ReadRange(*r_, offset, length); }
  std::vector<std::tuple<int, uint64_t, uint64_t>> Ranges() const {
    std::vector<std::tuple<int, uint64_t, uint64_t>> out;
    for (const FileRange& f : r_->Ranges()) out.emplace_back(f.fd, f.offset, f.length);
    return out;
  }

 private:
  std::unique_ptr<ObjectReader> r_;
};

// Runs fn(store) with the GIL released and raises on failure.
template <typename Fn>
void Call(const PyStore& self, Fn&& fn) {
  std::shared_ptr<ObjectStore> store = self.Get();
  Status s;
  {
    py::gil_scoped_release nogil;
    s = fn(*store);
  }
  Check(s);
}

Options::Sync ParseSync(const std::string& s) {
  if (s == "always") return Options::Sync::kAlways;
  if (s == "batch") return Options::Sync::kBatch;
  if (s == "never") return Options::Sync::kNever;
  throw py::value_error("sync must be 'always', 'batch' or 'never'");
}

py::bytes Bytes(const std::string& s) { return py::bytes(s); }

}  // namespace

void RegisterObjstore(py::module_& m) {
  g_store_error = PyErr_NewException("pycloud._core.StoreError", PyExc_Exception, nullptr);
  py::object store_error = py::reinterpret_steal<py::object>(g_store_error);
  store_error.attr("code") = "";
  store_error.attr("__doc__") =
      "An object-store failure; .code names it: NoSuchBucket, BucketAlreadyExists, BucketNotEmpty, NoSuchKey, "
      "NoSuchVersion, NoSuchUpload, InvalidPart, InvalidPartOrder, InvalidPartNumber, EntityTooSmall, KeyTooLong, "
      "InvalidArgument, Corruption, IOError.";
  m.attr("StoreError") = store_error;  // the module keeps the class alive (g_store_error borrows)

  py::class_<ObjectInfo>(m, "ObjectInfo", "One version of an object as stored.")
      .def_readonly("key", &ObjectInfo::key)
      .def_readonly("version_id", &ObjectInfo::version_id)
      .def_readonly("size", &ObjectInfo::size)
      .def_readonly("etag", &ObjectInfo::etag)
      .def_readonly("checksum_algorithm", &ObjectInfo::checksum_algorithm)
      .def_property_readonly("checksum", [](const ObjectInfo& i) { return Bytes(i.checksum); })
      .def_readonly("last_modified", &ObjectInfo::last_modified)
      .def_property_readonly("metadata", [](const ObjectInfo& i) { return Bytes(i.metadata); })
      .def_readonly("is_delete_marker", &ObjectInfo::is_delete_marker)
      .def_readonly("parts", &ObjectInfo::parts)
      .def("__repr__", [](const ObjectInfo& i) {
        return "<ObjectInfo " + i.key + " v=" + i.version_id + " size=" + std::to_string(i.size) + ">";
      });

  py::class_<ObjectSummary>(m, "ObjectSummary", "A listing entry.")
      .def_readonly("key", &ObjectSummary::key)
      .def_readonly("version_id", &ObjectSummary::version_id)
      .def_readonly("size", &ObjectSummary::size)
      .def_readonly("etag", &ObjectSummary::etag)
      .def_readonly("last_modified", &ObjectSummary::last_modified)
      .def_readonly("is_delete_marker", &ObjectSummary::is_delete_marker)
      .def_readonly("is_latest", &ObjectSummary::is_latest);

  py::class_<ListResult>(m, "ListResult")
      .def_readonly("objects", &ListResult::objects)
      .def_readonly("common_prefixes", &ListResult::common_prefixes)
      .def_readonly("is_truncated", &ListResult::is_truncated)
      .def_readonly("next_marker", &ListResult::next_marker);

  py::class_<ListVersionsResult>(m, "ListVersionsResult")
      .def_readonly("versions", &ListVersionsResult::versions)
      .def_readonly("common_prefixes", &ListVersionsResult::common_prefixes)
      .def_readonly("is_truncated", &ListVersionsResult::is_truncated)
      .def_readonly("next_key_marker", &ListVersionsResult::next_key_marker)
      .def_readonly("next_version_id_marker", &ListVersionsResult::next_version_id_marker);

  py::class_<DeleteResult>(m, "DeleteResult")
      .def_readonly("version_id", &DeleteResult::version_id)
      .def_readonly("is_delete_marker", &DeleteResult::is_delete_marker);

  py::class_<PartInfo>(m, "PartInfo")
      .def_readonly("part_number", &PartInfo::part_number)
      .def_readonly("size", &PartInfo::size)
      .def_readonly("etag", &PartInfo::etag)
      .def_readonly("checksum_algorithm", &PartInfo::checksum_algorithm)
      .def_property_readonly("checksum", [](const PartInfo& p) { return Bytes(p.checksum); })
      .def_readonly("last_modified", &PartInfo::last_modified);

  py::class_<UploadInfo>(m, "UploadInfo")
      .def_readonly("upload_id", &UploadInfo::upload_id)
      .def_readonly("bucket", &UploadInfo::bucket)
      .def_readonly("key", &UploadInfo::key)
      .def_property_readonly("metadata", [](const UploadInfo& u) { return Bytes(u.metadata); })
      .def_readonly("initiated", &UploadInfo::initiated);

  py::class_<ListPartsResult>(m, "ListPartsResult")
      .def_readonly("upload", &ListPartsResult::upload)
      .def_readonly("parts", &ListPartsResult::parts)
      .def_readonly("is_truncated", &ListPartsResult::is_truncated)
      .def_readonly("next_part_number_marker", &ListPartsResult::next_part_number_marker);

  py::class_<ListUploadsResult>(m, "ListUploadsResult")
      .def_readonly("uploads", &ListUploadsResult::uploads)
      .def_readonly("is_truncated", &ListUploadsResult::is_truncated)
      .def_readonly("next_key_marker", &ListUploadsResult::next_key_marker)
      .def_readonly("next_upload_id_marker", &ListUploadsResult::next_upload_id_marker);

  py::class_<PyObjectWriter>(m, "ObjectWriter", "A streaming put; commit() publishes it atomically.")
      .def("write", &PyObjectWriter::Write, py::arg("data"), "Appends a bytes-like chunk (GIL released).")
      .def("commit", &PyObjectWriter::Commit, py::arg("key"), py::arg("metadata") = py::bytes(),
           py::arg("last_modified") = 0, py::arg("versioning") = "unversioned")
      .def("abort", &PyObjectWriter::Abort, "Discards the body; leaves no trace.")
      .def_property_readonly("size", &PyObjectWriter::Size);

  py::class_<PyPartWriter>(m, "PartWriter", "A streaming multipart part.")
      .def("write", &PyPartWriter::Write, py::arg("data"))
      .def("commit", &PyPartWriter::Commit, py::arg("last_modified") = 0)
      .def("abort", &PyPartWriter::Abort)
      .def_property_readonly("size", &PyPartWriter::Size);

  py::class_<PyObjectReader>(m, "ObjectReader", "An opened version: stable even if it is deleted meanwhile.")
      .def_property_readonly("info", &PyObjectReader::Info, py::return_value_policy::copy)
      .def("read", &PyObjectReader::Read, py::arg("offset") = 0, py::arg("length") = -1,
           "Bytes [offset, offset+length) of the body (to the end when length < 0), GIL released.")
      .def("ranges", &PyObjectReader::Ranges, "The body as (fd, file_offset, length) ranges for os.sendfile.");

  py::class_<PyStore>(m, "ObjectStore", "The native S3 object store (data plane) rooted at a directory.")
      .def(py::init([](const std::string& path, const std::string& sync, uint32_t batch_window_ms,
                       uint64_t small_object_threshold, uint64_t segment_size, uint64_t min_part_size,
                       double compaction_garbage_ratio, bool paranoid_checks, uint32_t compaction_interval_ms) {
             Options o;
             o.sync = ParseSync(sync);
             o.batch_window_ms = batch_window_ms;
             o.small_object_threshold = small_object_threshold;
             o.segment_size = segment_size;
             o.min_part_size = min_part_size;
             o.compaction_garbage_ratio = compaction_garbage_ratio;
             o.paranoid_checks = paranoid_checks;
             o.compaction_interval_ms = compaction_interval_ms;
             std::unique_ptr<ObjectStore> store;
             Status s;
             {
               py::gil_scoped_release nogil;
               s = ObjectStore::Open(path, o, &store);
             }
             Check(s);
             PyStore p;
             p.store_ = std::shared_ptr<ObjectStore>(std::move(store));
             return p;
           }),
           py::arg("path"), py::kw_only(), py::arg("sync") = "batch", py::arg("batch_window_ms") = 50,
           py::arg("small_object_threshold") = 1 << 20, py::arg("segment_size") = 64ull << 20,
           py::arg("min_part_size") = 5ull << 20, py::arg("compaction_garbage_ratio") = 0.5,
           py::arg("paranoid_checks") = false, py::arg("compaction_interval_ms") = 1000)
      .def("close", &PyStore::Close, "Releases the store (pending batch fsyncs are flushed).")
      .def("__enter__", [](PyStore& s) -> PyStore& { return s; })
      .def("__exit__", [](PyStore& s, py::args) { s.Close(); })
      .def("create_bucket", [](PyStore& self, const std::string& b) { Call(self, [&](ObjectStore& st) { return st.CreateBucket(b); }); }, py::arg("bucket"))
      .def("delete_bucket", [](PyStore& self, const std::string& b) { Call(self, [&](ObjectStore& st) { return st.DeleteBucket(b); }); }, py::arg("bucket"))
      .def("list_buckets", [](PyStore& self) { return self.Get()->ListBuckets(); })
      .def("bucket_exists", [](PyStore& self, const std::string& b) { return self.Get()->BucketExists(b); }, py::arg("bucket"))
      .def("begin_put",
           [](PyStore& self, const std::string& bucket, const std::string& algo) {
             std::unique_ptr<ObjectWriter> w;
             Call(self, [&](ObjectStore& st) { return st.BeginPut(bucket, algo, &w); });
             return PyObjectWriter(std::move(w));
           },
           py::arg("bucket"), py::arg("checksum_algorithm") = "")
      .def("put",
           [](PyStore& self, const std::string& bucket, const std::string& key, py::handle data, const py::bytes& metadata,
              int64_t last_modified, const std::string& versioning, const std::string& algo) {
             BufferView buf(data);
             std::string meta = metadata;
             Versioning v = ParseVersioning(versioning);
             ObjectInfo info;
             Call(self, [&](ObjectStore& st) {
               std::unique_ptr<ObjectWriter> w;
               Status s = st.BeginPut(bucket, algo, &w);
               if (s.ok()) s = w->Write(buf.data(), buf.size());
               if (s.ok()) s = w->Commit(key, meta, last_modified, v, &info);
               return s;
             });
             return info;
           },
           py::arg("bucket"), py::arg("key"), py::arg("data"), py::arg("metadata") = py::bytes(),
           py::arg("last_modified") = 0, py::arg("versioning") = "unversioned", py::arg("checksum_algorithm") = "",
           "One-call put of a whole body (GIL released).")
      .def("open",
           [](PyStore& self, const std::string& bucket, const std::string& key, const std::string& version_id) {
             std::unique_ptr<ObjectReader> r;
             Call(self, [&](ObjectStore& st) { return st.Open(bucket, key, version_id, &r); });
             return PyObjectReader(std::move(r));
           },
           py::arg("bucket"), py::arg("key"), py::arg("version_id") = "")
      .def("get",
           [](PyStore& self, const std::string& bucket, const std::string& key, const std::string& version_id) {
             std::unique_ptr<ObjectReader> r;
             Call(self, [&](ObjectStore& st) { return st.Open(bucket, key, version_id, &r); });
             return ReadRange(*r, 0, -1);
           },
           py::arg("bucket"), py::arg("key"), py::arg("version_id") = "", "The whole body of a version.")
      .def("head",
           [](PyStore& self, const std::string& bucket, const std::string& key, const std::string& version_id) {
             ObjectInfo info;
             Call(self, [&](ObjectStore& st) { return st.Head(bucket, key, version_id, &info); });
             return info;
           },
           py::arg("bucket"), py::arg("key"), py::arg("version_id") = "")
      .def("delete",
           [](PyStore& self, const std::string& bucket, const std::string& key, const std::string& version_id,
              const std::string& versioning, int64_t now) {
             Versioning v = ParseVersioning(versioning);
             DeleteResult r;
             Call(self, [&](ObjectStore& st) { return st.Delete(bucket, key, version_id, v, now, &r); });
             return r;
           },
           py::arg("bucket"), py::arg("key"), py::arg("version_id") = "", py::arg("versioning") = "unversioned",
           py::arg("now") = 0)
      .def("list",
           [](PyStore& self, const std::string& bucket, const std::string& prefix, const std::string& delimiter,
              const std::string& start_after, size_t max_keys) {
             ListResult r;
             Call(self, [&](ObjectStore& st) { return st.List(bucket, prefix, delimiter, start_after, max_keys, &r); });
             return r;
           },
           py::arg("bucket"), py::arg("prefix") = "", py::arg("delimiter") = "", py::arg("start_after") = "",
           py::arg("max_keys") = 1000)
      .def("list_versions",
           [](PyStore& self, const std::string& bucket, const std::string& prefix, const std::string& delimiter,
              const std::string& key_marker, const std::string& version_id_marker, size_t max_keys) {
             ListVersionsResult r;
             Call(self, [&](ObjectStore& st) {
               return st.ListVersions(bucket, prefix, delimiter, key_marker, version_id_marker, max_keys, &r);
             });
             return r;
           },
           py::arg("bucket"), py::arg("prefix") = "", py::arg("delimiter") = "", py::arg("key_marker") = "",
           py::arg("version_id_marker") = "", py::arg("max_keys") = 1000)
      .def("create_upload",
           [](PyStore& self, const std::string& bucket, const std::string& key, const py::bytes& metadata, int64_t now) {
             std::string meta = metadata, id;
             Call(self, [&](ObjectStore& st) { return st.CreateUpload(bucket, key, meta, now, &id); });
             return id;
           },
           py::arg("bucket"), py::arg("key"), py::arg("metadata") = py::bytes(), py::arg("now") = 0)
      .def("begin_part",
           [](PyStore& self, const std::string& upload_id, uint32_t part_number, const std::string& algo) {
             std::unique_ptr<PartWriter> w;
             Call(self, [&](ObjectStore& st) { return st.BeginPart(upload_id, part_number, algo, &w); });
             return PyPartWriter(std::move(w));
           },
           py::arg("upload_id"), py::arg("part_number"), py::arg("checksum_algorithm") = "")
      .def("complete_upload",
           [](PyStore& self, const std::string& upload_id, const std::vector<std::pair<uint32_t, std::string>>& parts,
              const py::bytes& metadata, int64_t last_modified, const std::string& versioning) {
             std::string meta = metadata;
             Versioning v = ParseVersioning(versioning);
             ObjectInfo info;
             Call(self, [&](ObjectStore& st) { return st.CompleteUpload(upload_id, parts, meta, last_modified, v, &info); });
             return info;
           },
           py::arg("upload_id"), py::arg("parts"), py::arg("metadata") = py::bytes(), py::arg("last_modified") = 0,
           py::arg("versioning") = "unversioned")
      .def("abort_upload",
           [](PyStore& self, const std::string& upload_id) { Call(self, [&](ObjectStore& st) { return st.AbortUpload(upload_id); }); },
           py::arg("upload_id"))
      .def("list_parts",
           [](PyStore& self, const std::string& upload_id, uint32_t marker, size_t max_parts) {
             ListPartsResult r;
             Call(self, [&](ObjectStore& st) { return st.ListParts(upload_id, marker, max_parts, &r); });
             return r;
           },
           py::arg("upload_id"), py::arg("part_number_marker") = 0, py::arg("max_parts") = 1000)
      .def("list_uploads",
           [](PyStore& self, const std::string& bucket, const std::string& prefix, const std::string& key_marker,
              const std::string& upload_id_marker, size_t max_uploads) {
             ListUploadsResult r;
             Call(self, [&](ObjectStore& st) {
               return st.ListUploads(bucket, prefix, key_marker, upload_id_marker, max_uploads, &r);
             });
             return r;
           },
           py::arg("bucket"), py::arg("prefix") = "", py::arg("key_marker") = "", py::arg("upload_id_marker") = "",
           py::arg("max_uploads") = 1000)
      .def("compact",
           [](PyStore& self, bool force) {
             CompactionStats cs;
             Call(self, [&](ObjectStore& st) { return st.Compact(force, &cs); });
             py::dict d;
             d["segments_compacted"] = cs.segments_compacted;
             d["bytes_reclaimed"] = cs.bytes_reclaimed;
             d["records_moved"] = cs.records_moved;
             return d;
           },
           py::arg("force") = false)
      .def("sync", [](PyStore& self) { Call(self, [&](ObjectStore& st) { return st.Sync(); }); })
      .def("stats", [](PyStore& self) {
        Stats st = self.Get()->GetStats();
        py::dict d;
        d["buckets"] = st.buckets;
        d["keys"] = st.keys;
        d["versions"] = st.versions;
        d["uploads"] = st.uploads;
        d["segments"] = st.segments;
        d["log_bytes"] = st.log_bytes;
        d["live_log_bytes"] = st.live_log_bytes;
        d["recovered_records"] = st.recovered_records;
        d["truncated_bytes"] = st.truncated_bytes;
        d["removed_files"] = st.removed_files;
        d["log_syncs"] = st.log_syncs;
        d["background_compactions"] = st.background_compactions;
        d["segments_compacted"] = st.segments_compacted;
        d["bytes_reclaimed"] = st.bytes_reclaimed;
        return d;
      });
}

}  // namespace pycloud
