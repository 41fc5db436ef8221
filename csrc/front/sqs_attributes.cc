#include "front/sqs_attributes.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "common/hex_digest.h"
#include "common/md5.h"

namespace pycloud {
namespace front {

namespace {

// In the order the Python road lists them (messages.py SYSTEM_ATTRIBUTE_NAMES).
constexpr std::string_view kSystemAttributeNames[] = {
    "SenderId",       "SentTimestamp",  "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
    "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
};
constexpr size_t kSystemCount = sizeof(kSystemAttributeNames) / sizeof(kSystemAttributeNames[0]);
constexpr uint32_t kAllSystem = (1u << kSystemCount) - 1;

constexpr uint8_t kStringTransport = 1;
constexpr uint8_t kBinaryTransport = 2;


// A length-prefixed field of the attribute digest (4-byte big-endian length, then the bytes).
void AppendField(std::string_view data, std::string* out) {
  const auto n = static_cast<uint32_t>(data.size());
  out->push_back(static_cast<char>(n >> 24));
  out->push_back(static_cast<char>(n >> 16));
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(static_cast<char>(n));
  out->append(data);
}

bool Selected(const std::string& name, const std::vector<std::string>& names) {
  for (const std::string& wanted : names) {
    if (wanted == "All" || wanted == ".*" || wanted == name) return true;
    if (wanted.size() >= 2 && wanted.compare(wanted.size() - 2, 2, ".*") == 0 &&
        name.compare(0, wanted.size() - 1, wanted, 0, wanted.size() - 1) == 0) {
      return true;  // "prefix.*": names starting with "prefix."
    }
  }
  return false;
}

// "account/region/queue" (an engine name) → the queue's ARN.
std::string ArnOfEngineName(const std::string& name) {
  const size_t a = name.find('/');
  const size_t b = a == std::string::npos ? std::string::npos : name.find('/', a + 1);
  if (b == std::string::npos) return std::string();
  return "arn:aws:sqs:" + name.substr(a + 1, b - a - 1) + ":" + name.substr(0, a) + ":" + name.substr(b + 1);
}

const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string EncodeBase64(const std::string& data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                       static_cast<uint8_t>(data[i + 2]);
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back(kBase64[v & 63]);
  }
  if (i < data.size()) {
    const bool two = i + 1 < data.size();
    const uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (two ? static_cast<uint8_t>(data[i + 1]) << 8 : 0);
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(two ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool DecodeBase64Loose(const std::string& text, std::string* out);

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string Md5Hex(std::string_view data) { return HexDigest<Md5>(data); }

bool XmlText(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = p[i];
    if (c < 0x20) {
      if (c != 0x09 && c != 0x0a && c != 0x0d) return false;
    } else if (c == 0xef && i + 2 < n && p[i + 1] == 0xbf && (p[i + 2] == 0xbe || p[i + 2] == 0xbf)) {
      return false;  // U+FFFE, U+FFFF
    }
  }
  return true;
}

bool DecodeBase64(const std::string& text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  const bool decoded = DecodeBase64Loose(text, out);
  return decoded && EncodeBase64(*out) == text;  // unused bits set: not canonical
}

namespace {

constexpr size_t kMaxAttributes = 10;
constexpr size_t kMaxAttributeNameBytes = 256;
constexpr size_t kMaxDataTypeBytes = 256;
constexpr size_t kMaxPlainNumberBytes = 38;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

bool StartsWithLower(const std::string& s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// messages.py _check_name: [A-Za-z0-9_.-]{1,256}, no leading/trailing period, no "..", not "aws."
// or "amazon." in any case.
bool ValidAttributeName(const std::string& name) {
  if (name.empty() || name.size() > kMaxAttributeNameBytes || name.front() == '.' || name.back() == '.' ||
      name.find("..") != std::string::npos || StartsWithLower(name, "aws.") || StartsWithLower(name, "amazon.")) {
    return false;
  }
  for (char c : name) {
    if (!NameChar(c)) return false;
  }
  return true;
}

// A number the road accepts for certain: -?digits(.digits)?, at most 38 characters, so at most 38
// significant digits and a magnitude far inside 10^-128..10^126. Other forms are the road's.
bool PlainNumber(const std::string& s) {
  if (s.empty() || s.size() > kMaxPlainNumberBytes) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  const size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == int_start) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  const size_t frac_start = ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i > frac_start && i == s.size();
}

// "String", "Number" or "Binary", optionally followed by "." and a custom label of printable ASCII.
bool DataTypeBase(const std::string& type, std::string_view* base) {
  if (type.size() > kMaxDataTypeBytes) return false;
  for (std::string_view b : {"String", "Number", "Binary"}) {
    if (type.compare(0, b.size(), b) == 0 && (type.size() == b.size() || type[b.size()] == '.')) {
      for (char c : type) {
        if (c < 0x20 || c > 0x7e) return false;
      }
      *base = b;
      return true;
    }
  }
  return false;
}

// One attribute value: {"DataType", "StringValue"} or {"DataType", "BinaryValue"}, non-empty.
// Fills (data type, "s"|"b", stored text, raw bytes for the digest).
struct CheckedValue {
  std::string type;
  bool binary = false;
  std::string text;  // StringValue, or the BinaryValue's base64
  std::string raw;   // the bytes the digest and the size count
};

bool CheckValue(const JsonValue& v, CheckedValue* out) {
  if (v.type != JsonType::kObject || v.members.size() != 2) return false;
  const JsonValue* type = v.Find("DataType");
  if (type == nullptr || type->type != JsonType::kString) return false;
  std::string_view base;
  if (!DataTypeBase(type->text, &base)) return false;
  out->type = type->text;
  if (base == "Binary") {
    const JsonValue* value = v.Find("BinaryValue");
    if (value == nullptr || value->type != JsonType::kString || !DecodeBase64(value->text, &out->raw) ||
        out->raw.empty()) {
      return false;
    }
    out->binary = true;
    out->text = value->text;
    return true;
  }
  const JsonValue* value = v.Find("StringValue");
  if (value == nullptr || value->type != JsonType::kString || value->text.empty() || !XmlText(value->text)) {
    return false;
  }
  if (base == "Number" && !PlainNumber(value->text)) return false;
  out->text = value->text;
  out->raw = value->text;
  return true;
}

// MD5 of attributes in the SQS digest layout, sorted by name.
std::string AttributesDigest(std::vector<std::pair<std::string, CheckedValue>> sorted) {
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string input;
  for (const auto& [name, v] : sorted) {
    AppendField(name, &input);
    AppendField(v.type, &input);
    input.push_back(static_cast<char>(v.binary ? kBinaryTransport : kStringTransport));
    AppendField(v.raw, &input);
  }
  return Md5Hex(input);
}

}  // namespace

bool ParseSendAttributes(const JsonValue& message, const std::string& sender_id, SendAttributes* out) {
  std::vector<std::pair<std::string, CheckedValue>> user;
  if (const JsonValue* attributes = message.Find("MessageAttributes")) {
    if (attributes->type != JsonType::kObject || attributes->members.size() > kMaxAttributes) return false;
    for (const auto& [name, value] : attributes->members) {
      CheckedValue checked;
      if (!ValidAttributeName(name) || !CheckValue(value, &checked)) return false;
      for (const auto& seen : user) {
        if (seen.first == name) return false;  // repeated in the JSON: the road's (last) reading
      }
      out->size += static_cast<int64_t>(name.size() + checked.type.size() + checked.raw.size());
      user.emplace_back(name, std::move(checked));
    }
  }
  std::vector<std::pair<std::string, CheckedValue>> system;
  if (const JsonValue* attributes = message.Find("MessageSystemAttributes")) {
    if (attributes->type != JsonType::kObject || attributes->members.size() > 1) return false;
    for (const auto& [name, value] : attributes->members) {
      CheckedValue checked;
      if (name != "AWSTraceHeader" || !CheckValue(value, &checked) || checked.type != "String") return false;
      system.emplace_back(name, std::move(checked));
    }
  }
  // The blob as messages.py encode_extras writes it: sender, then attributes, then trace header.
  JsonWriter w;
  w.BeginObject();
  w.Key("s");
  w.String(sender_id);
  if (!user.empty()) {
    w.Key("a");
    w.BeginObject();
    for (const auto& [name, v] : user) {
      w.Key(name);
      w.BeginArray();
      w.String(v.type);
      w.String(v.binary ? "b" : "s");
      w.String(v.text);
      w.EndArray();
    }
    w.EndObject();
    out->attributes_md5 = AttributesDigest(user);
  }
  if (!system.empty()) {
    w.Key("t");
    w.String(system[0].second.text);
    out->system_md5 = AttributesDigest(system);
  }
  w.EndObject();
  out->blob = w.text();
  return true;
}

namespace {

// Base64 to bytes without the canonical check (DecodeBase64 adds it).
bool DecodeBase64Loose(const std::string& text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = Base64Value(c)) < 0) {
        return false;
      }
    }
    const uint32_t bits = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                          (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out->push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out->push_back(static_cast<char>(bits >> 8));
    if (pad < 1) out->push_back(static_cast<char>(bits));
  }
  return true;
}

}  // namespace

bool ParseAttributeRequest(const JsonValue& request, AttributeRequest* out) {
  for (std::string_view list : {"AttributeNames", "MessageSystemAttributeNames"}) {
    const JsonValue* v = request.Find(list);
    if (v == nullptr) continue;
    if (v->type != JsonType::kArray) return false;
    for (const JsonValue& item : v->items) {
      if (item.type != JsonType::kString) return false;
      if (item.text == "All") {
        out->system = kAllSystem;
        continue;
      }
      size_t i = 0;
      while (i < kSystemCount && kSystemAttributeNames[i] != item.text) ++i;
      if (i == kSystemCount) return false;  // a queue attribute name (ignored by SQS) or an error
      out->system |= 1u << i;
    }
  }
  if (const JsonValue* v = request.Find("MessageAttributeNames")) {
    if (v->type != JsonType::kArray) return false;
    for (const JsonValue& item : v->items) {
      if (item.type != JsonType::kString) return false;
      out->names.push_back(item.text);
    }
  }
  return true;
}

void WriteReceivedAttributes(const queue::ReceivedMessage& m, const AttributeRequest& request, JsonWriter* w) {
  if (request.empty()) return;
  JsonValue extras;
  const bool parsed = !m.attributes.empty() && ParseJson(m.attributes, &extras) && extras.type == JsonType::kObject;
  auto text_of = [&](std::string_view key) -> std::string {
    const JsonValue* v = parsed ? extras.Find(key) : nullptr;
    return v != nullptr && v->type == JsonType::kString ? v->text : std::string();
  };
  if (request.system != 0) {
    const std::string values[kSystemCount] = {
        text_of("s"),
        std::to_string(m.sent_ms),
        std::to_string(m.receive_count),
        std::to_string(m.first_receive_ms),
        m.sequence_number,
        m.dedup_id.value_or(std::string()),
        m.group_id.value_or(std::string()),
        text_of("t"),
        m.dead_letter_source ? ArnOfEngineName(*m.dead_letter_source) : std::string(),
    };
    bool open = false;
    for (size_t i = 0; i < kSystemCount; ++i) {
      if (!(request.system & (1u << i)) || values[i].empty()) continue;  // asked for and set, as SQS answers
      if (!open) {
        w->Key("Attributes");
        w->BeginObject();
        open = true;
      }
      w->Key(kSystemAttributeNames[i]);
      w->String(values[i]);
    }
    if (open) w->EndObject();
  }
  if (request.names.empty() || !parsed) return;
  const JsonValue* stored = extras.Find("a");
  if (stored == nullptr || stored->type != JsonType::kObject) return;
  // name → (data type, "s"|"b", text), kept in the stored order; the digest wants them by name.
  std::vector<std::pair<const std::string*, const JsonValue*>> chosen;
  for (const auto& member : stored->members) {
    const JsonValue& v = member.second;
    if (v.type != JsonType::kArray || v.items.size() != 3 || v.items[0].type != JsonType::kString ||
        v.items[1].type != JsonType::kString || v.items[2].type != JsonType::kString) {
      continue;
    }
    if (Selected(member.first, request.names)) chosen.emplace_back(&member.first, &v);
  }
  if (chosen.empty()) return;
  auto by_name = chosen;
  std::sort(by_name.begin(), by_name.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  std::string digest_input;
  std::string raw;
  for (const auto& [name, v] : by_name) {
    AppendField(*name, &digest_input);
    AppendField(v->items[0].text, &digest_input);
    if (v->items[1].text == "b") {
      digest_input.push_back(static_cast<char>(kBinaryTransport));
      if (!DecodeBase64(v->items[2].text, &raw)) raw.clear();
      AppendField(raw, &digest_input);
    } else {
      digest_input.push_back(static_cast<char>(kStringTransport));
      AppendField(v->items[2].text, &digest_input);
    }
  }
  w->Key("MD5OfMessageAttributes");
  w->String(Md5Hex(digest_input));
  w->Key("MessageAttributes");
  w->BeginObject();
  for (const auto& [name, v] : chosen) {
    w->Key(*name);
    w->BeginObject();
    w->Key(v->items[1].text == "b" ? "BinaryValue" : "StringValue");
    w->String(v->items[2].text);
    w->Key("DataType");
    w->String(v->items[0].text);
    w->EndObject();
  }
  w->EndObject();
}

}  // namespace front
}  // namespace pycloud
