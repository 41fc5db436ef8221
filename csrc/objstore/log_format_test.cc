// Record framing: round trip, CRC detection of flipped bits, torn tails; op payload encoding.
#include "objstore/log_format.h"

#include <string>

#include "common/testharness.h"
#include "objstore/records.h"
#include "objstore/test_util.h"

namespace pycloud {
namespace objstore {
namespace {

std::string WriteLog(const std::string& path, const std::string& bytes) {
  std::unique_ptr<WritableFile> w;
  Env::Default()->NewWritableFile(path, &w);
  w->Append(bytes.data(), bytes.size());
  w->Close();
  return path;
}

std::string Record(RecordType t, const std::string& meta, const std::string& data) {
  return EncodeRecordPrefix(t, meta, data) + data;
}

int CountRecords(const std::string& path, uint64_t* valid_end, bool verify_data) {
  std::unique_ptr<RandomAccessFile> f;
  Env::Default()->NewRandomAccessFile(path, &f);
  uint64_t size = 0;
  Env::Default()->GetFileSize(path, &size);
  LogScanner scanner(f.get(), size, verify_data);
  LogScanner::Record rec;
  int n = 0;
  Status s;
  while ((s = scanner.Next(&rec, true)).ok()) ++n;
  *valid_end = scanner.offset();
  return s.IsNotFound() ? n : -n - 1;  // negative: stopped on corruption after n records
}

TEST(LogFormat, RoundTripAndCorruption) {
  ScratchDir dir;
  std::string log = Record(RecordType::kPut, "meta1", "data-one") + Record(RecordType::kBucketCreate, "m2", "");
  uint64_t end = 0;
  CHECK_EQ(CountRecords(WriteLog(dir.path() + "/ok", log), &end, true), 2);
  CHECK_EQ(end, log.size());
  // A torn tail: the second record cut short.
  CHECK_EQ(CountRecords(WriteLog(dir.path() + "/torn", log.substr(0, log.size() - 1)), &end, true), -2);
  CHECK_EQ(end, Record(RecordType::kPut, "meta1", "data-one").size());
  // A flipped bit in the first record's meta is caught by the header CRC.
  std::string bad = log;
  bad[kRecordHeaderSize + 1] ^= 1;
  CHECK_EQ(CountRecords(WriteLog(dir.path() + "/bad", bad), &end, false), -1);
  CHECK_EQ(end, 0u);
  // A flipped bit in the body is caught only when bodies are verified.
  bad = log;
  bad[kRecordHeaderSize + 5 + 2] ^= 1;
  CHECK_EQ(CountRecords(WriteLog(dir.path() + "/body", bad), &end, false), 2);
  CHECK_EQ(CountRecords(dir.path() + "/body", &end, true), -1);
}

TEST(Records, EveryTypeRoundTrips) {
  Op put;
  put.type = RecordType::kPut;
  put.seq = 42;
  put.bucket = "b";
  put.key = std::string("k\0ey", 4);
  put.null_version = false;
  put.vid[0] = 7;
  put.flags = 4;
  put.size = 123456789;
  put.mtime = -5;
  put.md5[15] = 9;
  put.parts = 3;
  put.checksum_algorithm = "crc32";
  put.checksum = "abcd";
  put.metadata = "{\"x\":1}";
  put.has_upload = true;
  put.upload_id[23] = 1;
  put.extents = {{1, 10}, {2, 20}};
  Op back;
  CHECK(DecodeOp(RecordType::kPut, EncodeOp(put), &back).ok());
  CHECK_EQ(back.seq, 42u);
  CHECK_EQ(back.key, put.key);
  CHECK(!back.null_version && back.vid == put.vid && back.has_upload && back.upload_id == put.upload_id);
  CHECK_EQ(back.size, put.size);
  CHECK_EQ(back.mtime, int64_t{-5});
  CHECK_EQ(back.md5[15], 9);
  CHECK_EQ(back.extents.size(), 2u);
  CHECK_EQ(back.extents[1].length, 20u);
  CHECK_EQ(back.metadata, put.metadata);

  Op part;
  part.type = RecordType::kPart;
  part.seq = 1;
  part.upload_id[0] = 3;
  part.part_number = 10000;
  part.size = 5;
  part.extents = {{77, 5}};
  CHECK(DecodeOp(RecordType::kPart, EncodeOp(part), &back).ok());
  CHECK_EQ(back.part_number, 10000u);
  CHECK_EQ(back.extents[0].file_id, 77u);

  for (RecordType t : {RecordType::kBucketCreate, RecordType::kBucketDelete, RecordType::kDeleteVersion,
                       RecordType::kUploadCreate, RecordType::kUploadEnd}) {
    Op op;
    op.type = t;
    op.seq = 9;
    op.bucket = "bk";
    op.key = "key";
    CHECK(DecodeOp(t, EncodeOp(op), &back).ok());
    CHECK_EQ(back.seq, 9u);
  }
  // Truncated or padded payloads are rejected rather than misread.
  std::string enc = EncodeOp(put);
  CHECK(DecodeOp(RecordType::kPut, enc.substr(0, enc.size() - 1), &back).IsCorruption());
  CHECK(DecodeOp(RecordType::kPut, enc + "x", &back).IsCorruption());
}

}  // namespace
}  // namespace objstore
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
