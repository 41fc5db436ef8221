// Multipart uploads: parts streamed to their own files, completion that turns the listed parts'
// files into the object's extents (no byte is copied), abort that frees the space.
#include <algorithm>
#include <cstring>

#include "common/hasher.h"
#include "objstore/store_impl.h"

namespace pycloud {
namespace objstore {
namespace {

std::string Hex(const uint8_t* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

// Clients send ETags quoted ("\"abc\"") or not, in either case.
std::string NormalizeETag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  std::string out(etag);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

PartInfo ToPartInfo(uint32_t number, const Part& p) {
  PartInfo info;
  info.part_number = number;
  info.size = p.size;
  info.etag = Hex(p.md5, 16);
  info.checksum_algorithm = p.checksum_algorithm;
  info.checksum = p.checksum;
  info.last_modified = p.mtime;
  return info;
}

}  // namespace

Status ObjectStore::Impl::CreateUpload(std::string_view bucket, std::string_view key, std::string_view metadata,
                                       int64_t now, std::string* upload_id) {
  if (key.empty()) return MakeError(StoreError::kInvalidArgument, "empty key");
  if (key.size() > kMaxKeyBytes) return MakeError(StoreError::kKeyTooLong, "key longer than 1024 bytes");
  std::unique_lock<std::mutex> lock(mu_);
  if (FindBucketLocked(bucket) == nullptr) return MakeError(StoreError::kNoSuchBucket, bucket);
  Op op;
  op.type = RecordType::kUploadCreate;
  op.has_upload = true;
  op.upload_id = ids_.NewUploadId(now);
  op.bucket.assign(bucket.data(), bucket.size());
  op.key.assign(key.data(), key.size());
  op.metadata.assign(metadata.data(), metadata.size());
  op.mtime = now;
  RecordLoc loc;
  Status s = AppendLocked(&op, std::string_view(), &loc);
  if (!s.ok()) return s;
  ApplyLocked(op, loc, false);
  *upload_id = EncodeId(op.upload_id);
  return AwaitCommitLocked(lock);
}

Status ObjectStore::Impl::CheckUpload(std::string_view upload_id, uint32_t part_number, RawId* raw) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return MakeError(StoreError::kInvalidPartNumber, "part number must be in 1..10000");
  }
  if (!DecodeId(upload_id, raw)) return MakeError(StoreError::kNoSuchUpload, upload_id);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = uploads_.find(*raw);
  if (it == uploads_.end() || !it->second.created) return MakeError(StoreError::kNoSuchUpload, upload_id);
  return Status::OK();
}

Status ObjectStore::Impl::CommitPart(const RawId& upload_id, uint32_t part_number, Body* body, int64_t mtime,
                                     PartInfo* info) {
  Status s = body->Finish();
  uint64_t file_id = 0;
  if (s.ok()) s = PublishFile(body->tmp_path(), &file_id);
  if (!s.ok()) {
    body->Discard();
    return s;
  }
  Op op;
  op.type = RecordType::kPart;
  op.has_upload = true;
  op.upload_id = upload_id;
  op.part_number = part_number;
  op.size = body->size();
  op.mtime = mtime;
  body->Md5(op.md5);
  op.checksum_algorithm = body->checksum_algorithm();
  op.checksum = body->checksum();
  op.extents.push_back(Extent{file_id, op.size});
  std::unique_lock<std::mutex> lock(mu_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || !it->second.created) {
    s = MakeError(StoreError::kNoSuchUpload, EncodeId(upload_id));  // aborted meanwhile
  } else {
    RecordLoc loc;
    s = AppendLocked(&op, std::string_view(), &loc);
    if (s.ok()) {
      ApplyLocked(op, loc, false);
      if (info != nullptr) *info = ToPartInfo(part_number, it->second.parts.at(part_number));
      return AwaitCommitLocked(lock);  // the record now owns the part file
    }
  }
  env_->RemoveFile(DataPath(file_id));
  return s;
}

Status ObjectStore::Impl::CompleteUpload(std::string_view upload_id,
                                         const std::vector<std::pair<uint32_t, std::string>>& parts,
                                         std::string_view metadata, int64_t mtime, Versioning versioning,
                                         ObjectInfo* info) {
  RawId raw;
  if (!DecodeId(upload_id, &raw)) return MakeError(StoreError::kNoSuchUpload, upload_id);
  std::unique_lock<std::mutex> lock(mu_);
  auto it = uploads_.find(raw);
  if (it == uploads_.end() || !it->second.created) return MakeError(StoreError::kNoSuchUpload, upload_id);
  Upload& u = it->second;
  if (parts.empty()) return MakeError(StoreError::kInvalidArgument, "no parts listed");
  Op op;
  op.type = RecordType::kPut;
  op.bucket = u.bucket;
  op.key = u.key;
  op.metadata.assign(metadata.data(), metadata.size());
  op.mtime = mtime;
  op.has_upload = true;
  op.upload_id = raw;
  op.parts = static_cast<uint32_t>(parts.size());
  std::string md5s;
  // The list's shape first, then each part: a misordered list is reported as such.
  uint32_t previous = 0;
  for (const auto& [number, etag] : parts) {
    if (number < 1 || number > kMaxPartNumber) {
      return MakeError(StoreError::kInvalidPartNumber, "part number must be in 1..10000");
    }
    if (number <= previous) return MakeError(StoreError::kInvalidPartOrder, "parts must be listed in ascending order");
    previous = number;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    uint32_t number = parts[i].first;
    auto pit = u.parts.find(number);
    if (pit == u.parts.end()) return MakeError(StoreError::kInvalidPart, "part " + std::to_string(number) + " not uploaded");
    const Part& p = pit->second;
    if (NormalizeETag(parts[i].second) != Hex(p.md5, 16)) {
      return MakeError(StoreError::kInvalidPart, "etag of part " + std::to_string(number) + " does not match");
    }
    if (i + 1 < parts.size() && p.size < options_.min_part_size) {
      return MakeError(StoreError::kEntityTooSmall, "part " + std::to_string(number) + " is smaller than the minimum");
    }
    md5s.append(reinterpret_cast<const char*>(p.md5), 16);
    op.size += p.size;
    op.extents.push_back(Extent{p.file_id, p.size});
  }
  std::string digest;
  HashBytes("md5", md5s.data(), md5s.size(), &digest);
  std::memcpy(op.md5, digest.data(), 16);
  if (FindBucketLocked(op.bucket) == nullptr) return MakeError(StoreError::kNoSuchBucket, op.bucket);
  op.null_version = versioning != Versioning::kEnabled;
  if (!op.null_version) op.vid = ids_.NewVersionId(mtime);
  RecordLoc loc;
  Status s = AppendLocked(&op, std::string_view(), &loc);
  if (!s.ok()) return s;
  ApplyLocked(op, loc, false);  // also ends the upload and frees parts left out of the list
  const VersionEntry* v = buckets_.find(op.bucket)->second.index.Find(op.key, op.null_version ? nullptr : &op.vid);
  if (info != nullptr && v != nullptr) FillInfo(op.key, *v, op, info);
  return AwaitCommitLocked(lock);
}

Status ObjectStore::Impl::AbortUpload(std::string_view upload_id) {
  RawId raw;
  if (!DecodeId(upload_id, &raw)) return MakeError(StoreError::kNoSuchUpload, upload_id);
  std::unique_lock<std::mutex> lock(mu_);
  auto it = uploads_.find(raw);
  if (it == uploads_.end() || !it->second.created) return MakeError(StoreError::kNoSuchUpload, upload_id);
  Op op;
  op.type = RecordType::kUploadEnd;
  op.has_upload = true;
  op.upload_id = raw;
  RecordLoc loc;
  Status s = AppendLocked(&op, std::string_view(), &loc);
  if (!s.ok()) return s;
  ApplyLocked(op, loc, false);
  return AwaitCommitLocked(lock);
}

Status ObjectStore::Impl::ListParts(std::string_view upload_id, uint32_t marker, size_t max_parts,
                                    ListPartsResult* out) {
  *out = ListPartsResult();
  RawId raw;
  if (!DecodeId(upload_id, &raw)) return MakeError(StoreError::kNoSuchUpload, upload_id);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = uploads_.find(raw);
  if (it == uploads_.end() || !it->second.created) return MakeError(StoreError::kNoSuchUpload, upload_id);
  const Upload& u = it->second;
  out->upload = UploadInfo{EncodeId(u.id), u.bucket, u.key, u.metadata, u.initiated};
  for (auto pit = u.parts.upper_bound(marker); pit != u.parts.end(); ++pit) {
    if (out->parts.size() == max_parts) {
      out->is_truncated = true;
      out->next_part_number_marker = out->parts.empty() ? marker : out->parts.back().part_number;
      break;
    }
    out->parts.push_back(ToPartInfo(pit->first, pit->second));
  }
  return Status::OK();
}

Status ObjectStore::Impl::ListUploads(std::string_view bucket, std::string_view prefix, std::string_view key_marker,
                                      std::string_view upload_id_marker, size_t max_uploads, ListUploadsResult* out) {
  *out = ListUploadsResult();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket* b = FindBucketLocked(bucket);
  if (b == nullptr) return MakeError(StoreError::kNoSuchBucket, bucket);
  auto& set = b->uploads;
  std::set<std::pair<std::string, std::string>>::const_iterator pos;
  if (key_marker.empty() || key_marker < prefix) {
    pos = set.lower_bound({std::string(prefix), std::string()});
  } else if (upload_id_marker.empty()) {
    pos = set.lower_bound({std::string(key_marker) + '\0', std::string()});  // past every upload of the key
  } else {
    pos = set.upper_bound({std::string(key_marker), std::string(upload_id_marker)});
  }
  for (; pos != set.end() && pos->first.compare(0, prefix.size(), prefix) == 0; ++pos) {
    if (out->uploads.size() == max_uploads) {
      out->is_truncated = true;
      break;
    }
    RawId raw;
    DecodeId(pos->second, &raw);
    const Upload& u = uploads_.at(raw);
    out->uploads.push_back(UploadInfo{pos->second, u.bucket, u.key, u.metadata, u.initiated});
  }
  if (out->is_truncated && !out->uploads.empty()) {
    out->next_key_marker = out->uploads.back().key;
    out->next_upload_id_marker = out->uploads.back().upload_id;
  }
  return Status::OK();
}

}  // namespace objstore
}  // namespace pycloud
