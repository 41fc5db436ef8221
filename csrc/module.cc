// pybind11 entry point of pycloud._core.
//
// Each component binds itself in a Register<Component>(module) function; this file only defines
// the module and calls them. Bindings stay thin: argument conversion, GIL release around bulk
// work, Status -> exception mapping. Behaviour lives in the component.
#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "blockdev/blockdev_py.h"
#include "common/cpu_features.h"
#include "common/crc_combine.h"
#include "common/hasher.h"
#include "common/sigv4_py.h"
#include "front/front_py.h"
#include "loadgen/loadgen_py.h"
#include "objstore/objstore_py.h"
#include "queue/queue_py.h"
#include "sched/sched_py.h"
#include "pyutil.h"

namespace pycloud {
namespace {

namespace py = pybind11;

// Python face of a Hasher. Python threads may share one object, and updates of large buffers run
// without the GIL, so a mutex serialises access to the native state (hashlib does the same).
class PyHasher {
 public:
  explicit PyHasher(std::unique_ptr<Hasher> hasher) : hasher_(std::move(hasher)) {}

  static PyHasher Create(const std::string& algorithm) {
    std::unique_ptr<Hasher> h;
    ThrowIfError(NewHasher(algorithm, &h));
    return PyHasher(std::move(h));
  }

  void Update(py::handle data) {
    BufferView buf(data);
    if (buf.size() >= kReleaseGilThreshold) {
      // Destruction order matters: the mutex is released before the GIL is taken back.
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(*mu_);
      hasher_->Update(buf.data(), buf.size());
    } else {
      LockWithGil lock(*mu_);
      hasher_->Update(buf.data(), buf.size());
    }
  }

  py::bytes Digest() {
    std::string d;
    {
      LockWithGil lock(*mu_);
      d = hasher_->Digest();
    }
    return py::bytes(d);
  }

  std::string HexDigest() {
    LockWithGil lock(*mu_);
    return hasher_->HexDigest();
  }

  PyHasher Copy() {
    LockWithGil lock(*mu_);
    return PyHasher(hasher_->Clone());
  }

  std::string Name() const { return hasher_->name(); }
  size_t DigestSize() const { return hasher_->digest_size(); }

 private:
  // Takes the mutex while the caller holds the GIL. If another thread owns the mutex it is
  // hashing without the GIL; wait for it with the GIL released, or neither could make progress
  // once that thread needs the GIL back.
  class LockWithGil {
   public:
    explicit LockWithGil(std::mutex& mu) : mu_(mu) {
      if (!mu_.try_lock()) {
        py::gil_scoped_release nogil;
        mu_.lock();
      }
    }
    ~LockWithGil() { mu_.unlock(); }
    LockWithGil(const LockWithGil&) = delete;
    LockWithGil& operator=(const LockWithGil&) = delete;

   private:
    std::mutex& mu_;
  };

  std::unique_ptr<Hasher> hasher_;
  // Heap-allocated so PyHasher stays movable (pybind11 takes returned copies by move).
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

py::bytes HashBytesPy(const std::string& algorithm, py::handle data) {
  std::unique_ptr<Hasher> h;
  ThrowIfError(NewHasher(algorithm, &h));
  BufferView buf(data);
  std::string digest;
  if (buf.size() >= kReleaseGilThreshold) {
    py::gil_scoped_release nogil;
    h->Update(buf.data(), buf.size());
    digest = h->Digest();
  } else {
    h->Update(buf.data(), buf.size());
    digest = h->Digest();
  }
  return py::bytes(digest);
}

void RegisterCommon(py::module_& m) {
  py::class_<PyHasher>(m, "Hasher",
                       "Streaming hash or checksum: md5, sha1, sha256, crc32, crc32c, crc64nvme.\n\n"
                       "CRC digests are the big-endian bytes S3 base64-encodes in x-amz-checksum-*.")
      .def(py::init(&PyHasher::Create), py::arg("algorithm"),
           "Creates a hasher; raises ValueError for an unknown algorithm.")
      .def("update", &PyHasher::Update, py::arg("data"),
           "Feeds a bytes-like object; the GIL is released for buffers of 64 KiB or more.")
      .def("digest", &PyHasher::Digest, "Digest of the data so far; the hasher stays usable.")
      .def("hexdigest", &PyHasher::HexDigest, "digest() as lower-case hex.")
      .def("copy", &PyHasher::Copy, "An independent hasher with the same state.")
      .def_property_readonly("name", &PyHasher::Name)
      .def_property_readonly("digest_size", &PyHasher::DigestSize)
      .def("__repr__", [](const PyHasher& h) { return "<pycloud._core.Hasher " + h.Name() + ">"; });

  m.def("hash_bytes", &HashBytesPy, py::arg("algorithm"), py::arg("data"),
        "One-shot digest of a bytes-like object; raises ValueError for an unknown algorithm.");

  m.def(
      "crc_combine",
      [](const std::string& algorithm, uint64_t crc_a, uint64_t crc_b, uint64_t length_b) {
        uint64_t out = 0;
        ThrowIfError(CrcCombine(algorithm, crc_a, crc_b, length_b, &out));
        return out;
      },
      py::arg("algorithm"), py::arg("crc_a"), py::arg("crc_b"), py::arg("length_b"),
      "CRC of A||B from CRC(A), CRC(B) and len(B) (crc32, crc32c, crc64nvme; values as integers).");

  py::tuple names(HasherNames().size());
  for (size_t i = 0; i < HasherNames().size(); ++i) names[i] = py::str(HasherNames()[i]);
  m.attr("ALGORITHMS") = names;

  m.def(
      "cpu_features",
      [] {
        const CpuFeatures& f = DetectedCpuFeatures();
        py::dict d;
        d["sse42"] = f.sse42;
        d["pclmul"] = f.pclmul;
        d["sha"] = f.sha;
        return d;
      },
      "Which hardware paths the hashers use on this CPU (sse42: CRC32C, pclmul: CRC32/CRC64NVME, "
      "sha: SHA-1/SHA-256).");
}

}  // namespace
}  // namespace pycloud

PYBIND11_MODULE(_core, m) {
  m.doc() = "pycloud native core: checksums and data planes, GIL released for bulk work.";
  pycloud::RegisterCommon(m);
  pycloud::RegisterSigv4(m);
  pycloud::RegisterObjstore(m);
  pycloud::RegisterQueue(m);
  pycloud::RegisterFront(m);
  pycloud::RegisterLoadgen(m);
  pycloud::RegisterBlockdev(m);
  pycloud::RegisterSched(m);
}
