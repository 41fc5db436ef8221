// Runtime CPU feature detection for the hashers' hardware paths.
//
// Detection runs once (first call) and is cached; the accessor is thread-safe. Each accelerated
// algorithm also exposes its portable and hardware entry points so tests can compare them directly.
#ifndef PYCLOUD_COMMON_CPU_FEATURES_H_
#define PYCLOUD_COMMON_CPU_FEATURES_H_

// PYCLOUD_X86_ACCEL: the build targets x86_64 with a compiler that has the intrinsics and the
// target attribute we use. Defining PYCLOUD_PORTABLE_ONLY compiles the portable code alone, which is
// how the fallbacks are checked against the published vectors on x86 machines.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(PYCLOUD_PORTABLE_ONLY)
#define PYCLOUD_X86_ACCEL 1
#endif

namespace pycloud {

struct CpuFeatures {
  bool sse42 = false;   // crc32 instruction (CRC32C)
  bool pclmul = false;  // carry-less multiply (CRC32 / CRC64 folding)
  bool sha = false;     // SHA-NI (SHA-1, SHA-256 rounds)
};

// The features of the running CPU that this build can use (all false off x86_64).
const CpuFeatures& DetectedCpuFeatures();

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_CPU_FEATURES_H_
