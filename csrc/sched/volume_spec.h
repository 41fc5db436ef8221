// EBS volume types: AWS's provisioning limits (validation) and the performance each configuration
// gets (VolumeLimits). Pure functions, no state.
//
// Figures are AWS's current ones (botocore's CreateVolume documentation and the Amazon EBS User
// Guide): see csrc/sched/README.md for the table and its sources.
#ifndef PYCLOUD_SCHED_VOLUME_SPEC_H_
#define PYCLOUD_SCHED_VOLUME_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>

namespace pycloud {
namespace sched {

enum class VolumeType { kGp2, kGp3, kIo1, kIo2, kSt1, kSc1, kStandard };

// Parses an EC2 VolumeType value ("gp2", ...); false for anything else.
bool ParseVolumeType(const std::string& name, VolumeType* out);
const char* VolumeTypeName(VolumeType type);

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kSsdIoUnit = 256 * 1024;  // largest I/O an SSD volume counts as one operation
constexpr uint64_t kHddIoUnit = kMiB;        // same for HDD volumes
constexpr double kGp2CreditCapacity = 5.4e6;  // I/O credits; a new gp2 volume starts full
constexpr double kGp2BurstIops = 3000;

// What CreateVolume asks for. iops / throughput are absent when the request leaves them out.
struct VolumeConfig {
  std::string type = "gp2";
  int64_t size_gib = 0;
  std::optional<int64_t> iops;
  std::optional<int64_t> throughput_mibps;
};

// An AWS error: the EC2 error code (InvalidParameterValue, InvalidParameterCombination,
// UnknownVolumeType) and its message. Empty code: the configuration is valid.
struct VolumeError {
  std::string code;
  std::string message;
  bool ok() const { return code.empty(); }
};

// Checks a configuration against AWS's limits for its type, in the order AWS reports them.
VolumeError ValidateVolume(const VolumeConfig& config);

// The performance a valid configuration gets.
struct VolumeLimits {
  VolumeType type = VolumeType::kGp2;
  int64_t size_gib = 0;
  // What DescribeVolumes reports: Iops (gp2: its baseline; st1/sc1/standard: 0, none) and
  // Throughput (gp3 only, else 0).
  int64_t iops = 0;
  int64_t throughput_mibps = 0;
  // I/O operations per second: served at burst while I/O credits last (gp2 only), else baseline.
  double baseline_iops = 0;
  double burst_iops = 0;
  double iops_credit_capacity = 0;  // I/O credits
  // MiB/s: served at burst while throughput credits last (st1/sc1 only), else baseline.
  double baseline_mibps = 0;
  double burst_mibps = 0;
  double throughput_credit_capacity = 0;  // MiB of throughput credits
  uint64_t io_unit = kSsdIoUnit;  // bytes one operation covers
  // st1/sc1 charge throughput credits per operation (1 MiB each), not per byte transferred.
  bool charge_per_operation = false;
};

// Validates config and resolves its limits; false (with *error set) when invalid.
bool ResolveVolume(const VolumeConfig& config, VolumeLimits* out, VolumeError* error);

}  // namespace sched
}  // namespace pycloud

#endif  // PYCLOUD_SCHED_VOLUME_SPEC_H_
