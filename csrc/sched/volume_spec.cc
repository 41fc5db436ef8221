#include "sched/volume_spec.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <utility>

namespace pycloud {
namespace sched {
namespace {

struct TypeLimits {
  int64_t min_size, max_size;  // GiB
  int64_t min_iops, max_iops;  // provisioned IOPS (gp3, io1, io2)
  int64_t iops_per_gib;        // largest provisioned IOPS per GiB of size
};

TypeLimits LimitsOf(VolumeType type) {
  switch (type) {
    case VolumeType::kGp2: return {1, 16384, 0, 0, 0};
    case VolumeType::kGp3: return {1, 65536, 3000, 80000, 500};
    case VolumeType::kIo1: return {4, 16384, 100, 64000, 50};
    case VolumeType::kIo2: return {4, 65536, 100, 256000, 1000};
    case VolumeType::kSt1:
    case VolumeType::kSc1: return {125, 16384, 0, 0, 0};
    case VolumeType::kStandard: return {1, 1024, 0, 0, 0};
  }
  return {};
}

constexpr int64_t kGp3BaseIops = 3000;      // included with every gp3 volume, whatever its size
constexpr int64_t kGp3MinThroughput = 125;  // MiB/s, included
constexpr int64_t kGp3MaxThroughput = 2000;
constexpr double kGp3ThroughputPerIops = 0.25;  // MiB/s

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buf[256];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  return buf;
}

VolumeError Error(const char* code, std::string message) { return VolumeError{code, std::move(message)}; }

bool IsProvisionedIops(VolumeType t) { return t == VolumeType::kIo1 || t == VolumeType::kIo2; }

// AWS's throughput rule for io1: 256 KiB per provisioned IOPS up to 500 MiB/s while at most 32,000
// IOPS are provisioned, then 16 KiB per provisioned IOPS (1,000 MiB/s at 64,000).
double Io1Throughput(double iops) {
  if (iops <= 32000) return std::min(iops * 0.25, 500.0);
  return std::min(iops * 16.0 / 1024.0, 1000.0);
}

// io2 (all io2 volumes are Block Express): 0.256 MiB/s per provisioned IOPS up to 4,000 MiB/s.
double Io2Throughput(double iops) { return std::min(iops * 0.256, 4000.0); }

}  // namespace

bool ParseVolumeType(const std::string& name, VolumeType* out) {
  static const struct {
    const char* name;
    VolumeType type;
  } kTypes[] = {{"gp2", VolumeType::kGp2}, {"gp3", VolumeType::kGp3}, {"io1", VolumeType::kIo1},
                {"io2", VolumeType::kIo2}, {"st1", VolumeType::kSt1}, {"sc1", VolumeType::kSc1},
                {"standard", VolumeType::kStandard}};
  for (const auto& t : kTypes) {
    if (name == t.name) {
      *out = t.type;
      return true;
    }
  }
  return false;
}

const char* VolumeTypeName(VolumeType type) {
  switch (type) {
    case VolumeType::kGp2: return "gp2";
    case VolumeType::kGp3: return "gp3";
    case VolumeType::kIo1: return "io1";
    case VolumeType::kIo2: return "io2";
    case VolumeType::kSt1: return "st1";
    case VolumeType::kSc1: return "sc1";
    case VolumeType::kStandard: return "standard";
  }
  return "?";
}

VolumeError ValidateVolume(const VolumeConfig& config) {
  VolumeType type;
  if (!ParseVolumeType(config.type, &type)) {
    return Error("UnknownVolumeType",
                 "The volume type '" + config.type +
                     "' is not supported. Supported volume types: standard, io1, io2, gp2, sc1, st1, gp3.");
  }
  const char* name = VolumeTypeName(type);
  const TypeLimits lim = LimitsOf(type);

  // Which parameters the type takes, before their values.
  if (IsProvisionedIops(type) && !config.iops) {
    return Error("InvalidParameterCombination", Format("The parameter iops must be specified for %s volumes.", name));
  }
  if (config.iops && lim.max_iops == 0) {
    return Error("InvalidParameterCombination", Format("The parameter iops is not supported for %s volumes.", name));
  }
  if (config.throughput_mibps && type != VolumeType::kGp3) {
    return Error("InvalidParameterCombination", "throughput can only be specified for volumeType gp3.");
  }

  const int64_t size = config.size_gib;
  if (size < lim.min_size) {
    return Error("InvalidParameterValue",
                 Format("Volume of %lldGiB is too small; minimum is %lldGiB.", static_cast<long long>(size),
                        static_cast<long long>(lim.min_size)));
  }
  if (size > lim.max_size) {
    return Error("InvalidParameterValue",
                 Format("Volume of %lldGiB is too large; maximum is %lldGiB.", static_cast<long long>(size),
                        static_cast<long long>(lim.max_size)));
  }

  if (lim.max_iops == 0) return {};
  const int64_t iops = config.iops.value_or(kGp3BaseIops);
  if (iops < lim.min_iops) {
    return Error("InvalidParameterValue", Format("Volume iops of %lld is too low; minimum is %lld.",
                                                 static_cast<long long>(iops), static_cast<long long>(lim.min_iops)));
  }
  if (iops > lim.max_iops) {
    return Error("InvalidParameterValue", Format("Volume iops of %lld is too high; maximum is %lld.",
                                                 static_cast<long long>(iops), static_cast<long long>(lim.max_iops)));
  }
  // gp3's included 3,000 IOPS come with any size; only IOPS provisioned beyond them need the GiB.
  const bool ratio_applies = type != VolumeType::kGp3 || iops > kGp3BaseIops;
  if (ratio_applies && iops > lim.iops_per_gib * size) {
    return Error("InvalidParameterValue", Format("Iops to volume size ratio of %f is too high; maximum is %lld",
                                                 static_cast<double>(iops) / static_cast<double>(size),
                                                 static_cast<long long>(lim.iops_per_gib)));
  }

  if (type != VolumeType::kGp3) return {};
  const int64_t throughput = config.throughput_mibps.value_or(kGp3MinThroughput);
  if (throughput < kGp3MinThroughput) {
    return Error("InvalidParameterValue", Format("Volume throughput of %lld is too low; minimum is %lld.",
                                                 static_cast<long long>(throughput),
                                                 static_cast<long long>(kGp3MinThroughput)));
  }
  if (throughput > kGp3MaxThroughput) {
    return Error("InvalidParameterValue", Format("Volume throughput of %lld is too high; maximum is %lld.",
                                                 static_cast<long long>(throughput),
                                                 static_cast<long long>(kGp3MaxThroughput)));
  }
  const double ratio = static_cast<double>(throughput) / static_cast<double>(iops);
  if (ratio > kGp3ThroughputPerIops) {
    return Error("InvalidParameterValue",
                 Format("Throughput (MiBps) to iops ratio of %f is too high; maximum is %f MiBps per iops", ratio,
                        kGp3ThroughputPerIops));
  }
  return {};
}

bool ResolveVolume(const VolumeConfig& config, VolumeLimits* out, VolumeError* error) {
  VolumeError err = ValidateVolume(config);
  if (!err.ok()) {
    if (error != nullptr) *error = std::move(err);
    return false;
  }
  VolumeLimits v;
  ParseVolumeType(config.type, &v.type);
  v.size_gib = config.size_gib;
  const double size = static_cast<double>(config.size_gib);
  const double tib = size / 1024.0;
  switch (v.type) {
    case VolumeType::kGp2: {
      // 3 IOPS per GiB between 100 and 16,000; bursts to 3,000 from a 5.4 M credit bucket.
      // Volumes of 1,000 GiB and more have a baseline of at least 3,000 and never burst.
      v.iops = std::clamp<int64_t>(3 * config.size_gib, 100, 16000);
      v.baseline_iops = static_cast<double>(v.iops);
      v.burst_iops = std::max(kGp2BurstIops, v.baseline_iops);
      v.iops_credit_capacity = v.burst_iops > v.baseline_iops ? kGp2CreditCapacity : 0;
      // 128 MiB/s up to 170 GiB, else 250 MiB/s. Without credits a volume is held to its baseline
      // IOPS x 256 KiB as AWS describes; the IOPS limit already enforces that on 256 KiB operations.
      v.baseline_mibps = v.burst_mibps = config.size_gib <= 170 ? 128.0 : 250.0;
      break;
    }
    case VolumeType::kGp3:
      v.iops = config.iops.value_or(kGp3BaseIops);
      v.throughput_mibps = config.throughput_mibps.value_or(kGp3MinThroughput);
      v.baseline_iops = v.burst_iops = static_cast<double>(v.iops);
      v.baseline_mibps = v.burst_mibps = static_cast<double>(v.throughput_mibps);
      break;
    case VolumeType::kIo1:
    case VolumeType::kIo2:
      v.iops = *config.iops;
      v.baseline_iops = v.burst_iops = static_cast<double>(v.iops);
      v.baseline_mibps = v.burst_mibps =
          v.type == VolumeType::kIo1 ? Io1Throughput(v.baseline_iops) : Io2Throughput(v.baseline_iops);
      break;
    case VolumeType::kSt1:
    case VolumeType::kSc1: {
      // Throughput per TiB of size: st1 40 baseline / 250 burst (both capped at 500 MiB/s), sc1 12 / 80
      // (burst capped at 250 MiB/s); the bucket holds 1 TiB of credits per TiB of size (a full volume
      // scan). 500 / 250 IOPS of 1 MiB at most.
      const bool st1 = v.type == VolumeType::kSt1;
      v.baseline_mibps = std::min(tib * (st1 ? 40.0 : 12.0), st1 ? 500.0 : 250.0);
      v.burst_mibps = std::min(tib * (st1 ? 250.0 : 80.0), st1 ? 500.0 : 250.0);
      v.throughput_credit_capacity = v.burst_mibps > v.baseline_mibps ? size * 1024.0 : 0;
      v.baseline_iops = v.burst_iops = st1 ? 500.0 : 250.0;
      v.io_unit = kHddIoUnit;
      v.charge_per_operation = true;
      break;
    }
    case VolumeType::kStandard:
      // Magnetic (previous generation): AWS states 40-200 IOPS and 40-90 MiB/s; the upper ends apply.
      v.baseline_iops = v.burst_iops = 200.0;
      v.baseline_mibps = v.burst_mibps = 90.0;
      v.io_unit = kHddIoUnit;
      break;
  }
  *out = v;
  return true;
}

}  // namespace sched
}  // namespace pycloud
