#include "front/sqs_attributes.h"

#include <algorithm>
#include <string_view>
#include <utility>

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

const char kHex[] = "0123456789abcdef";

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

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool DecodeBase64(const std::string& text, std::string* out) {
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
  Md5 md5;
  md5.Update(digest_input.data(), digest_input.size());
  uint8_t digest[Md5::kDigestSize];
  md5.Final(digest);
  std::string hex;
  for (uint8_t b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  w->Key("MD5OfMessageAttributes");
  w->String(hex);
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
