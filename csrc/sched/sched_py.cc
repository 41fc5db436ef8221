// pybind11 face of csrc/sched: argument checks, conversion to dicts, AWS validation errors raised
// as pycloud._core.VolumeConfigError (a ValueError with .code).
//
// The GIL stays held: every call is a few hundred nanoseconds under the scheduler's own mutex,
// less than a GIL release and reacquire, and that mutex is never held by anyone waiting for the
// GIL, so holding both cannot deadlock.
#include "sched/sched_py.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>

#include "sched/cpu_credits.h"
#include "sched/volume_scheduler.h"
#include "sched/volume_spec.h"

namespace pycloud {
namespace {

namespace py = pybind11;
using namespace sched;  // NOLINT: this file only binds the schedulers

PyObject* g_volume_config_error = nullptr;  // owned by the module

[[noreturn]] void ThrowVolumeError(const VolumeError& e) {
  py::object exc = py::reinterpret_borrow<py::object>(g_volume_config_error)(e.message);
  exc.attr("code") = e.code;
  exc.attr("message") = e.message;
  PyErr_SetObject(g_volume_config_error, exc.ptr());
  throw py::error_already_set();
}

VolumeConfig MakeConfig(const std::string& type, int64_t size_gib, std::optional<int64_t> iops,
                        std::optional<int64_t> throughput) {
  VolumeConfig c;
  c.type = type;
  c.size_gib = size_gib;
  c.iops = iops;
  c.throughput_mibps = throughput;
  return c;
}

VolumeLimits Resolve(const VolumeConfig& config) {
  VolumeLimits limits;
  VolumeError error;
  if (!ResolveVolume(config, &limits, &error)) ThrowVolumeError(error);
  return limits;
}

double CheckTime(double now) {
  if (!std::isfinite(now)) throw py::value_error("now must be a finite number of seconds");
  return now;
}

py::object OrNone(int64_t v) { return v > 0 ? py::object(py::int_(v)) : py::object(py::none()); }

py::dict LimitsDict(const VolumeLimits& v) {
  py::dict d;
  d["volume_type"] = VolumeTypeName(v.type);
  d["size_gib"] = v.size_gib;
  d["iops"] = OrNone(v.iops);
  d["throughput_mibps"] = OrNone(v.throughput_mibps);
  d["baseline_iops"] = v.baseline_iops;
  d["burst_iops"] = v.burst_iops;
  d["iops_credit_capacity"] = v.iops_credit_capacity;
  d["baseline_mibps"] = v.baseline_mibps;
  d["burst_mibps"] = v.burst_mibps;
  d["throughput_credit_capacity_mib"] = v.throughput_credit_capacity;
  d["io_unit_bytes"] = v.io_unit;
  return d;
}

py::dict VolumeMetricsDict(const VolumeMetrics& m) {
  py::dict d;
  d["read_requests"] = m.read_requests;
  d["write_requests"] = m.write_requests;
  d["read_ops"] = m.read_ops;
  d["write_ops"] = m.write_ops;
  d["read_bytes"] = m.read_bytes;
  d["write_bytes"] = m.write_bytes;
  d["queue_length"] = m.queue_length;
  d["throttled_ios"] = m.throttled_ios;
  d["wait_seconds"] = m.wait_seconds;
  d["throttled_seconds"] = m.throttled_seconds;
  d["backlog_seconds"] = m.backlog_seconds;
  d["burst_balance"] = m.has_burst_bucket ? py::object(py::float_(m.burst_balance)) : py::object(py::none());
  d["burst_credits"] = m.has_burst_bucket ? py::object(py::float_(m.burst_credits)) : py::object(py::none());
  d["burst_capacity"] = m.has_burst_bucket ? py::object(py::float_(m.burst_capacity)) : py::object(py::none());
  d["iops_limit"] = m.iops_limit;
  d["throughput_limit_mibps"] = m.throughput_limit_mibps;
  return d;
}

py::dict BurstableDict(const BurstableType& t) {
  py::dict d;
  d["vcpus"] = t.vcpus;
  d["credits_per_hour"] = t.credits_per_hour;
  d["baseline"] = t.baseline;
  d["max_balance"] = t.max_balance();
  d["launch_credits"] = t.launch_credits ? kLaunchCreditsPerVcpu * t.vcpus : 0.0;
  d["unlimited_default"] = t.unlimited_default;
  return d;
}

class PyVolumeScheduler {
 public:
  PyVolumeScheduler(const std::string& type, int64_t size_gib, std::optional<int64_t> iops,
                    std::optional<int64_t> throughput, double time_scale) {
    if (!(time_scale > 0) || !std::isfinite(time_scale)) throw py::value_error("time_scale must be > 0");
    impl_ = std::make_unique<VolumeScheduler>(Resolve(MakeConfig(type, size_gib, iops, throughput)), time_scale);
  }
  double Admit(double now, uint64_t offset, uint64_t length, bool is_write) {
    return impl_->Admit(CheckTime(now), offset, length, is_write);
  }
  py::dict Metrics(double now) { return VolumeMetricsDict(impl_->Metrics(CheckTime(now))); }
  py::dict Limits() const { return LimitsDict(impl_->limits()); }
  double TimeScale() const { return impl_->time_scale(); }

 private:
  std::unique_ptr<VolumeScheduler> impl_;
};

class PyCpuCreditScheduler {
 public:
  PyCpuCreditScheduler(const std::string& instance_type, double launch_time, std::optional<bool> unlimited) {
    if (!FindBurstableType(instance_type, &type_)) {
      throw py::value_error("not a burstable instance type (T2, T3, T3a, T4g): " + instance_type);
    }
    impl_ = std::make_unique<CpuCreditScheduler>(type_, CheckTime(launch_time),
                                                 unlimited.value_or(type_.unlimited_default));
  }
  double Consume(double now, double utilisation, double seconds) {
    if (!(utilisation >= 0 && utilisation <= 1)) throw py::value_error("utilisation must be between 0 and 1");
    if (!(seconds >= 0) || !std::isfinite(seconds)) throw py::value_error("seconds must be >= 0");
    return impl_->Consume(CheckTime(now), utilisation, seconds);
  }
  double Balance(double now) { return impl_->Balance(CheckTime(now)); }
  py::dict Metrics(double now) {
    CpuCreditMetrics m = impl_->Metrics(CheckTime(now));
    py::dict d;
    d["cpu_credit_usage"] = m.cpu_credit_usage;
    d["cpu_credit_balance"] = m.cpu_credit_balance;
    d["earned_credits"] = m.earned_credits;
    d["launch_credits"] = m.launch_credits;
    d["cpu_surplus_credit_balance"] = m.cpu_surplus_credit_balance;
    d["cpu_surplus_credits_charged"] = m.cpu_surplus_credits_charged;
    d["throttled_seconds"] = m.throttled_seconds;
    d["unlimited"] = m.unlimited;
    return d;
  }
  void SetUnlimited(double now, bool unlimited) { impl_->SetUnlimited(CheckTime(now), unlimited); }
  double Settle(double now) { return impl_->Settle(CheckTime(now)); }
  const BurstableType& type() const { return type_; }

 private:
  BurstableType type_;
  std::unique_ptr<CpuCreditScheduler> impl_;
};

}  // namespace

void RegisterSched(py::module_& m) {
  g_volume_config_error = PyErr_NewException("pycloud._core.VolumeConfigError", PyExc_ValueError, nullptr);
  py::object error = py::reinterpret_steal<py::object>(g_volume_config_error);
  error.attr("code") = "";
  error.attr("message") = "";
  error.attr("__doc__") =
      "An EBS volume configuration AWS would refuse; .code is the EC2 error code (InvalidParameterValue, "
      "InvalidParameterCombination, UnknownVolumeType) and .message AWS's message.";
  m.attr("VolumeConfigError") = error;  // the module keeps the class alive

  m.def(
      "validate_volume",
      [](const std::string& type, int64_t size_gib, std::optional<int64_t> iops,
         std::optional<int64_t> throughput) -> py::object {
        VolumeError e = ValidateVolume(MakeConfig(type, size_gib, iops, throughput));
        if (e.ok()) return py::none();
        return py::make_tuple(e.code, e.message);
      },
      py::arg("volume_type"), py::arg("size_gib"), py::arg("iops") = py::none(),
      py::arg("throughput_mibps") = py::none(),
      "None when AWS accepts the CreateVolume configuration, else (error code, message) as AWS reports it.");

  m.def(
      "volume_limits",
      [](const std::string& type, int64_t size_gib, std::optional<int64_t> iops, std::optional<int64_t> throughput) {
        return LimitsDict(Resolve(MakeConfig(type, size_gib, iops, throughput)));
      },
      py::arg("volume_type"), py::arg("size_gib"), py::arg("iops") = py::none(),
      py::arg("throughput_mibps") = py::none(),
      "The performance of a volume configuration; raises VolumeConfigError when AWS would refuse it.");

  py::class_<PyVolumeScheduler>(m, "VolumeScheduler",
                                "Throttles one EBS volume's I/O like AWS: IOPS and throughput buckets with burst "
                                "credits; times are the caller's (virtual clock) seconds.")
      .def(py::init<const std::string&, int64_t, std::optional<int64_t>, std::optional<int64_t>, double>(),
           py::arg("volume_type"), py::arg("size_gib"), py::arg("iops") = py::none(),
           py::arg("throughput_mibps") = py::none(), py::arg("time_scale") = 1.0,
           "Raises VolumeConfigError for a configuration AWS would refuse, ValueError for time_scale <= 0.")
      .def("admit", &PyVolumeScheduler::Admit, py::arg("now"), py::arg("offset"), py::arg("length"),
           py::arg("is_write"), "Seconds this I/O must wait before it proceeds (0 within limits).")
      .def("metrics", &PyVolumeScheduler::Metrics, py::arg("now"), "Counters, queue and burst balance at now.")
      .def_property_readonly("limits", &PyVolumeScheduler::Limits)
      .def_property_readonly("time_scale", &PyVolumeScheduler::TimeScale);

  m.def(
      "burstable_instance_types",
      [] {
        py::dict d;
        for (const BurstableType& t : BurstableTypes()) d[py::str(t.name)] = BurstableDict(t);
        return d;
      },
      "The T2/T3/T3a/T4g sizes: vCPUs, credits earned per hour, baseline per vCPU, maximum balance, launch credits.");

  py::class_<PyCpuCreditScheduler>(m, "CpuCreditScheduler",
                                   "CPU credits of one burstable EC2 instance on the caller's clock.")
      .def(py::init<const std::string&, double, std::optional<bool>>(), py::arg("instance_type"),
           py::arg("launch_time"), py::arg("unlimited") = py::none(),
           "unlimited None: the family's default (T2 standard, T3/T3a/T4g unlimited).")
      .def("consume", &PyCpuCreditScheduler::Consume, py::arg("now"), py::arg("utilisation"), py::arg("seconds"),
           "Runs the demanded per-vCPU utilisation for seconds from now; returns the utilisation granted.")
      .def("balance", &PyCpuCreditScheduler::Balance, py::arg("now"), "Earned + launch credits at now.")
      .def("metrics", &PyCpuCreditScheduler::Metrics, py::arg("now"))
      .def("set_unlimited", &PyCpuCreditScheduler::SetUnlimited, py::arg("now"), py::arg("unlimited"))
      .def("settle", &PyCpuCreditScheduler::Settle, py::arg("now"),
           "Charges outstanding surplus credits (stop/terminate); returns how many.")
      .def_property_readonly("instance_type", [](const PyCpuCreditScheduler& s) { return s.type().name; })
      .def_property_readonly("vcpus", [](const PyCpuCreditScheduler& s) { return s.type().vcpus; })
      .def_property_readonly("baseline", [](const PyCpuCreditScheduler& s) { return s.type().baseline; })
      .def_property_readonly("credits_per_hour", [](const PyCpuCreditScheduler& s) { return s.type().credits_per_hour; })
      .def_property_readonly("max_balance", [](const PyCpuCreditScheduler& s) { return s.type().max_balance(); });
}

}  // namespace pycloud
