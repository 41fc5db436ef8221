#include "objstore/records.h"

#include <cstring>

#include "objstore/coding.h"

namespace pycloud {
namespace objstore {
namespace {

std::string_view RawView(const RawId& id) { return {reinterpret_cast<const char*>(id.data()), id.size()}; }

// An optional id: empty bytes for "none" (the null version, or no upload).
void PutOptionalId(std::string* dst, bool present, const RawId& id) {
  PutBytes(dst, present ? RawView(id) : std::string_view());
}

bool GetOptionalId(Decoder* d, bool* present, RawId* id) {
  std::string_view s;
  if (!d->Bytes(&s)) return false;
  *present = !s.empty();
  if (s.empty()) return true;
  if (s.size() != kRawIdSize) return false;
  std::memcpy(id->data(), s.data(), kRawIdSize);
  return true;
}

bool GetId(Decoder* d, RawId* id) {
  bool present = false;
  return GetOptionalId(d, &present, id) && present;
}

bool GetMd5(Decoder* d, uint8_t* md5) {
  std::string_view s;
  if (!d->Raw(16, &s)) return false;
  std::memcpy(md5, s.data(), 16);
  return true;
}

bool GetI64(Decoder* d, int64_t* v) {
  uint64_t u;
  if (!d->Fixed64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool GetU32(Decoder* d, uint32_t* v) {
  uint64_t u;
  if (!d->Varint(&u) || u > UINT32_MAX) return false;
  *v = static_cast<uint32_t>(u);
  return true;
}

}  // namespace

std::string EncodeOp(const Op& op) {
  std::string out;
  PutVarint64(&out, op.seq);
  switch (op.type) {
    case RecordType::kBucketCreate:
    case RecordType::kBucketDelete:
      PutBytes(&out, op.bucket);
      break;
    case RecordType::kPut:
      PutBytes(&out, op.bucket);
      PutBytes(&out, op.key);
      PutOptionalId(&out, !op.null_version, op.vid);
      PutVarint64(&out, op.flags);
      PutVarint64(&out, op.size);
      PutFixed64(&out, static_cast<uint64_t>(op.mtime));
      out.append(reinterpret_cast<const char*>(op.md5), 16);
      PutVarint64(&out, op.parts);
      PutBytes(&out, op.checksum_algorithm);
      PutBytes(&out, op.checksum);
      PutBytes(&out, op.metadata);
      PutOptionalId(&out, op.has_upload, op.upload_id);
      PutVarint64(&out, op.extents.size());
      for (const Extent& e : op.extents) {
        PutVarint64(&out, e.file_id);
        PutVarint64(&out, e.length);
      }
      break;
    case RecordType::kDeleteVersion:
      PutBytes(&out, op.bucket);
      PutBytes(&out, op.key);
      PutOptionalId(&out, !op.null_version, op.vid);
      break;
    case RecordType::kUploadCreate:
      PutOptionalId(&out, true, op.upload_id);
      PutBytes(&out, op.bucket);
      PutBytes(&out, op.key);
      PutBytes(&out, op.metadata);
      PutFixed64(&out, static_cast<uint64_t>(op.mtime));
      break;
    case RecordType::kPart:
      PutOptionalId(&out, true, op.upload_id);
      PutVarint64(&out, op.part_number);
      PutVarint64(&out, op.size);
      PutFixed64(&out, static_cast<uint64_t>(op.mtime));
      out.append(reinterpret_cast<const char*>(op.md5), 16);
      PutBytes(&out, op.checksum_algorithm);
      PutBytes(&out, op.checksum);
      PutVarint64(&out, op.extents.empty() ? 0 : op.extents[0].file_id);
      break;
    case RecordType::kUploadEnd:
      PutOptionalId(&out, true, op.upload_id);
      break;
  }
  return out;
}

Status DecodeOp(RecordType type, std::string_view meta, Op* op) {
  *op = Op();
  op->type = type;
  Decoder d(meta);
  bool ok = d.Varint(&op->seq);
  bool has_vid = false;
  uint64_t flags = 0, count = 0, file_id = 0;
  switch (type) {
    case RecordType::kBucketCreate:
    case RecordType::kBucketDelete:
      ok = ok && d.Bytes(&op->bucket);
      break;
    case RecordType::kPut:
      ok = ok && d.Bytes(&op->bucket) && d.Bytes(&op->key) && GetOptionalId(&d, &has_vid, &op->vid) &&
           d.Varint(&flags) && flags < 256 && d.Varint(&op->size) && GetI64(&d, &op->mtime) && GetMd5(&d, op->md5) &&
           GetU32(&d, &op->parts) && d.Bytes(&op->checksum_algorithm) && d.Bytes(&op->checksum) &&
           d.Bytes(&op->metadata) && GetOptionalId(&d, &op->has_upload, &op->upload_id) && d.Varint(&count) &&
           count <= 10000;
      for (uint64_t i = 0; ok && i < count; ++i) {
        Extent e;
        ok = d.Varint(&e.file_id) && d.Varint(&e.length);
        op->extents.push_back(e);
      }
      op->null_version = !has_vid;
      op->flags = static_cast<uint8_t>(flags);
      break;
    case RecordType::kDeleteVersion:
      ok = ok && d.Bytes(&op->bucket) && d.Bytes(&op->key) && GetOptionalId(&d, &has_vid, &op->vid);
      op->null_version = !has_vid;
      break;
    case RecordType::kUploadCreate:
      op->has_upload = true;
      ok = ok && GetId(&d, &op->upload_id) && d.Bytes(&op->bucket) && d.Bytes(&op->key) && d.Bytes(&op->metadata) &&
           GetI64(&d, &op->mtime);
      break;
    case RecordType::kPart:
      op->has_upload = true;
      ok = ok && GetId(&d, &op->upload_id) && GetU32(&d, &op->part_number) && d.Varint(&op->size) &&
           GetI64(&d, &op->mtime) && GetMd5(&d, op->md5) && d.Bytes(&op->checksum_algorithm) &&
           d.Bytes(&op->checksum) && d.Varint(&file_id);
      op->extents.push_back(Extent{file_id, op->size});
      break;
    case RecordType::kUploadEnd:
      op->has_upload = true;
      ok = ok && GetId(&d, &op->upload_id);
      break;
    default:
      ok = false;
  }
  if (!ok || !d.done()) return Status::Corruption("malformed record payload");
  return Status::OK();
}

}  // namespace objstore
}  // namespace pycloud
