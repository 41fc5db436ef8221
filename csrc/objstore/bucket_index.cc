#include "objstore/bucket_index.h"

#include <algorithm>

#include "objstore/log_format.h"

namespace pycloud {
namespace objstore {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool SameVersion(const VersionEntry& v, const RawId* vid) {
  return vid == nullptr ? v.is_null() : (!v.is_null() && v.vid == *vid);
}

ObjectSummary Summarize(const std::string& key, const VersionEntry& v, bool latest) {
  ObjectSummary s;
  s.key = key;
  s.version_id = v.VersionId();
  s.size = v.size;
  s.etag = v.is_delete_marker() ? "" : v.ETag();
  s.last_modified = v.mtime;
  s.is_delete_marker = v.is_delete_marker();
  s.is_latest = latest;
  return s;
}

}  // namespace

std::string VersionEntry::ETag() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (uint8_t b : md5) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  if (parts > 0) out += "-" + std::to_string(parts);
  return out;
}

uint64_t VersionEntry::RecordSize() const {
  return kRecordHeaderSize + uint64_t{meta_len} + (is_inline() ? size : 0);
}

std::string PrefixSuccessor(std::string_view s) {
  std::string out(s);
  while (!out.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(out.back());
    if (c != 0xff) {
      ++c;
      return out;
    }
    out.pop_back();
  }
  return out;
}

bool BucketIndex::Put(std::string_view key, const VersionEntry& v, VersionEntry* replaced) {
  auto it = keys_.find(key);
  if (it == keys_.end()) it = keys_.emplace(std::string(key), std::vector<VersionEntry>()).first;
  auto& versions = it->second;
  bool did_replace = false;
  if (v.is_null()) {
    auto old = std::find_if(versions.begin(), versions.end(), [](const VersionEntry& e) { return e.is_null(); });
    if (old != versions.end()) {
      if (replaced != nullptr) *replaced = *old;
      versions.erase(old);
      --versions_;
      did_replace = true;
    }
  }
  // Newest first: insert before the first entry with a lower sequence number (usually the front).
  auto pos = std::find_if(versions.begin(), versions.end(), [&](const VersionEntry& e) { return e.seq < v.seq; });
  versions.insert(pos, v);
  ++versions_;
  return did_replace;
}

bool BucketIndex::Remove(std::string_view key, const RawId* vid, VersionEntry* removed) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  auto& versions = it->second;
  auto v = std::find_if(versions.begin(), versions.end(), [&](const VersionEntry& e) { return SameVersion(e, vid); });
  if (v == versions.end()) return false;
  if (removed != nullptr) *removed = *v;
  versions.erase(v);
  --versions_;
  if (versions.empty()) keys_.erase(it);
  return true;
}

const VersionEntry* BucketIndex::Latest(std::string_view key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second.front();
}

const VersionEntry* BucketIndex::Find(std::string_view key, const RawId* vid) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return nullptr;
  for (const VersionEntry& e : it->second) {
    if (SameVersion(e, vid)) return &e;
  }
  return nullptr;
}

VersionEntry* BucketIndex::FindMutable(std::string_view key, const RawId* vid) {
  return const_cast<VersionEntry*>(Find(key, vid));
}

bool BucketIndex::AnyVisible(Map::const_iterator first, Map::const_iterator last) {
  for (; first != last; ++first) {
    if (!first->second.front().is_delete_marker()) return true;
  }
  return false;
}

void BucketIndex::List(std::string_view prefix, std::string_view delimiter, std::string_view start_after,
                       size_t max_keys, ListResult* out) const {
  *out = ListResult();
  auto it = start_after.empty() || start_after < prefix ? keys_.lower_bound(prefix) : keys_.upper_bound(start_after);
  std::string last;
  size_t count = 0;
  while (it != keys_.end() && StartsWith(it->first, prefix)) {
    const std::string& key = it->first;
    if (!delimiter.empty()) {
      size_t pos = key.find(delimiter, prefix.size());
      if (pos != std::string::npos) {
        std::string cp = key.substr(0, pos + delimiter.size());
        std::string succ = PrefixSuccessor(cp);
        auto next = succ.empty() ? keys_.end() : keys_.lower_bound(succ);
        // A marker inside this prefix means an earlier page already returned it.
        if (!StartsWith(start_after, cp) && AnyVisible(it, next)) {
          if (count == max_keys) {
            out->is_truncated = true;
            break;
          }
          out->common_prefixes.push_back(cp);
          last = std::move(cp);
          ++count;
        }
        it = next;
        continue;
      }
    }
    const VersionEntry& latest = it->second.front();
    if (!latest.is_delete_marker()) {
      if (count == max_keys) {
        out->is_truncated = true;
        break;
      }
      out->objects.push_back(Summarize(key, latest, true));
      last = key;
      ++count;
    }
    ++it;
  }
  if (out->is_truncated) out->next_marker = last;
}

void BucketIndex::ListVersions(std::string_view prefix, std::string_view delimiter, std::string_view key_marker,
                               std::string_view version_id_marker, size_t max_keys, ListVersionsResult* out) const {
  *out = ListVersionsResult();
  Map::const_iterator it;
  size_t first_version = 0;
  if (key_marker.empty() || key_marker < prefix) {
    it = keys_.lower_bound(prefix);
  } else if (version_id_marker.empty()) {
    it = keys_.upper_bound(key_marker);
  } else {
    it = keys_.find(key_marker);
    if (it == keys_.end()) {
      it = keys_.upper_bound(key_marker);
    } else {
      const auto& versions = it->second;
      size_t i = 0;
      while (i < versions.size() && versions[i].VersionId() != version_id_marker) ++i;
      if (i + 1 >= versions.size()) {
        ++it;  // marker was the key's last version (or is gone): continue with the next key
      } else {
        first_version = i + 1;
      }
    }
  }
  std::string last_key, last_vid;
  size_t count = 0;
  while (it != keys_.end() && StartsWith(it->first, prefix)) {
    const std::string& key = it->first;
    if (!delimiter.empty()) {
      size_t pos = key.find(delimiter, prefix.size());
      if (pos != std::string::npos) {
        std::string cp = key.substr(0, pos + delimiter.size());
        std::string succ = PrefixSuccessor(cp);
        auto next = succ.empty() ? keys_.end() : keys_.lower_bound(succ);
        if (!StartsWith(key_marker, cp)) {
          if (count == max_keys) {
            out->is_truncated = true;
            break;
          }
          out->common_prefixes.push_back(cp);
          last_key = std::move(cp);
          last_vid.clear();
          ++count;
        }
        it = next;
        first_version = 0;
        continue;
      }
    }
    const auto& versions = it->second;
    bool stop = false;
    for (size_t i = first_version; i < versions.size(); ++i) {
      if (count == max_keys) {
        out->is_truncated = true;
        stop = true;
        break;
      }
      out->versions.push_back(Summarize(key, versions[i], i == 0));
      last_key = key;
      last_vid = versions[i].VersionId();
      ++count;
    }
    if (stop) break;
    first_version = 0;
    ++it;
  }
  if (out->is_truncated) {
    out->next_key_marker = last_key;
    out->next_version_id_marker = last_vid;
  }
}

void BucketIndex::ForEach(const std::function<void(const std::string&, const VersionEntry&)>& fn) const {
  for (const auto& [key, versions] : keys_) {
    for (const VersionEntry& v : versions) fn(key, v);
  }
}

}  // namespace objstore
}  // namespace pycloud
