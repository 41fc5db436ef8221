// CRC combination: the CRC of a concatenation A||B from CRC(A), CRC(B) and |B|, without the bytes.
//
// S3 builds a multipart object's FULL_OBJECT checksum this way from the parts' CRCs (no re-read).
// For a reflected CRC whose init and xorout are equal (all three here: all-ones), the conditioning
// cancels and CRC(A||B) = CRC(A) * x^(8|B|) mod P  XOR  CRC(B). x^(8n) is built from a table of
// x^(8 * 2^k), so a combine costs at most 64 carry-less multiplications mod P whatever |B| is.
// All functions are pure and thread-safe.
#ifndef PYCLOUD_COMMON_CRC_COMBINE_H_
#define PYCLOUD_COMMON_CRC_COMBINE_H_

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace pycloud {

uint32_t Crc32Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);
uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);
uint64_t Crc64NvmeCombine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b);

// By Hasher name ("crc32", "crc32c", "crc64nvme"; case-insensitive). InvalidArgument for another
// algorithm or a CRC value wider than the algorithm's.
Status CrcCombine(std::string_view algorithm, uint64_t crc_a, uint64_t crc_b, uint64_t length_b, uint64_t* out);

// Whether CrcCombine knows the algorithm (the CRCs a FULL_OBJECT multipart checksum may use).
bool CrcCombinable(std::string_view algorithm);

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_CRC_COMBINE_H_
