#include "front/sqs_front.h"

#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "common/crc32.h"
#include "common/hex_digest.h"
#include "common/sha256.h"
#include "common/sigv4.h"
#include "front/http_request.h"
#include "front/json_reader.h"
#include "front/json_writer.h"
#include "front/sqs_attributes.h"
#include "queue/errors.h"

namespace pycloud {
namespace front {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
constexpr std::string_view kTargetPrefix = "AmazonSQS.";
constexpr std::string_view kContentType = "application/x-amz-json-1.0";
constexpr int64_t kMaxSkewSeconds = 15 * 60;
constexpr size_t kMaxBatchEntries = 10;
constexpr int64_t kMaxBatchBytes = 1048576;

const char kHex[] = "0123456789abcdef";

// Compares without an early exit, so the time taken says nothing about where a guess went wrong.
bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int64_t Digits64(std::string_view s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Whether `s` equals `lower` ignoring ASCII case (`lower` is lower case).
bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

int Digits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Epoch seconds of "YYYYMMDDTHHMMSSZ", or false when it is not a valid date and time.
bool AmzDateSeconds(std::string_view s, int64_t* out) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !AllDigits(s.substr(0, 8)) || !AllDigits(s.substr(9, 6))) {
    return false;
  }
  const int y = Digits(s.substr(0, 4)), m = Digits(s.substr(4, 2)), d = Digits(s.substr(6, 2));
  const int hh = Digits(s.substr(9, 2)), mm = Digits(s.substr(11, 2)), ss = Digits(s.substr(13, 2));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1] + (m == 2 && leap ? 1 : 0) || hh > 23 || mm > 59 ||
      ss > 59) {
    return false;
  }
  // Days from the civil date (proleptic Gregorian), counted from 1970-01-01.
  const int yy = y - (m <= 2 ? 1 : 0);
  const int era = yy / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  *out = days * 86400 + hh * 3600 + mm * 60 + ss;
  return true;
}

// The derived SigV4 key for (secret, date, region, service).
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  uint8_t k[32];
  std::string seed = "AWS4";
  seed.append(secret);
  HmacSha256(seed, date, k);
  HmacSha256(std::string_view(reinterpret_cast<char*>(k), 32), region, k);
  HmacSha256(std::string_view(reinterpret_cast<char*>(k), 32), service, k);
  HmacSha256(std::string_view(reinterpret_cast<char*>(k), 32), "aws4_request", k);
  return std::string(reinterpret_cast<char*>(k), 32);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ValidBatchId(std::string_view id) {
  if (id.empty() || id.size() > 80) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Only these members may appear; anything else (attributes, FIFO ids...) is the Python road's.
bool OnlyMembers(const JsonValue& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& member : object.members) {
    bool known = false;
    for (std::string_view name : allowed) {
      if (member.first == name) {
        known = true;
        break;
      }
    }
    if (!known) return false;
  }
  return true;
}

// An optional integer member within [low, high]: true with *out set (or left at its default when
// absent); false when present but not such an integer.
bool OptionalInt(const JsonValue& object, std::string_view name, int64_t low, int64_t high, int64_t* out) {
  const JsonValue* v = object.Find(name);
  if (v == nullptr) return true;
  int64_t x = 0;
  if (!v->AsInt64(&x) || x < low || x > high) return false;
  *out = x;
  return true;
}

const std::string* RequiredString(const JsonValue& object, std::string_view name) {
  const JsonValue* v = object.Find(name);
  if (v == nullptr || v->type != JsonType::kString) return nullptr;
  return &v->text;
}

// Batch entries: 1 to 10 objects with distinct, well-formed ids (else the Python road words the error).
bool BatchEntries(const JsonValue& object, std::vector<const JsonValue*>* entries) {
  const JsonValue* list = object.Find("Entries");
  if (list == nullptr || list->type != JsonType::kArray || list->items.empty() ||
      list->items.size() > kMaxBatchEntries) {
    return false;
  }
  for (const JsonValue& entry : list->items) {
    if (entry.type != JsonType::kObject) return false;
    const std::string* id = RequiredString(entry, "Id");
    if (id == nullptr || !ValidBatchId(*id)) return false;
    for (const JsonValue* seen : *entries) {
      if (seen->Find("Id")->text == *id) return false;
    }
    entries->push_back(&entry);
  }
  return true;
}

// An engine failure of one batch entry as SQS reports it (the Python road's table, engine.py).
std::pair<std::string, std::string> EntryError(const std::string& code) {
  if (code == "OverLimit") return {"OverLimit", "Too many messages are in flight for this queue."};
  if (code == "NoSuchQueue") return {"QueueDoesNotExist", "The specified queue does not exist."};
  if (code == "MessageNotInflight") {
    return {"MessageNotInflight", "Message does not exist or is not available for visibility timeout change."};
  }
  return {"InternalError", "The request processing has failed because of an unknown error."};
}

void AppendFailed(std::string_view id, const std::string& code, JsonWriter* w) {
  const auto [sqs_code, message] = EntryError(code);
  w->BeginObject();
  w->Key("Id");
  w->String(id);
  w->Key("SenderFault");
  w->Bool(true);
  w->Key("Code");
  w->String(sqs_code);
  w->Key("Message");
  w->String(message);
  w->EndObject();
}

// Whether `data` (a request not yet whole) may become one the front answers, so that waiting for
// the rest is worth it: a POST to / whose head, once there, names an SQS operation and a body of
// reasonable size. Everything else goes to the Python server at once (it streams large bodies).
bool MayComplete(std::string_view data) {
  constexpr std::string_view kStart = "POST / HTTP/1.1\r\n";
  constexpr size_t kMaxHeldHead = 16 * 1024;
  // SQS messages and batches are at most 1 MiB; JSON escapes can grow them, rarely much. Held bytes
  // are joined again on every read, so larger bodies go to the Python server, which streams them.
  constexpr int64_t kMaxHeldBody = 2 * 1024 * 1024;
  if (data.size() < kStart.size()) return kStart.substr(0, data.size()) == data;
  if (data.substr(0, kStart.size()) != kStart) return false;
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return data.size() < kMaxHeldHead;
  const std::string_view head = data.substr(0, end + 2);
  bool sqs = false;
  int64_t length = -1;
  size_t line = head.find("\r\n") + 2;
  while (line < head.size()) {
    const size_t next = head.find("\r\n", line);
    const std::string_view text = head.substr(line, next - line);
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = text.substr(0, colon);
      const std::string_view value = Trim(text.substr(colon + 1));
      if (EqualsLower(name, "x-amz-target")) {
        sqs = value.substr(0, kTargetPrefix.size()) == kTargetPrefix;
      } else if (EqualsLower(name, "content-length") && AllDigits(value) && value.size() <= 9) {
        length = Digits64(value);
      }
    }
    line = next + 2;
  }
  return sqs && length >= 0 && length <= kMaxHeldBody;
}

// MessageGroupId, MessageDeduplicationId, ReceiveRequestAttemptId: 1 to 128 of ASCII
// alphanumerics and punctuation.
bool FifoToken(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The FIFO ids of one message (a request or a batch entry), with the rules the road applies
// (message_ops.py _fifo_ids) — a FIFO queue needs a group and a deduplication id (or content-based
// deduplication) and takes no per-message delay; a standard queue takes a group (fair queues) but
// no deduplication id. False: the road's to word.
bool FifoIds(const JsonValue& message, const FrontQueue& queue, int64_t delay, queue::SendRequest* req) {
  const JsonValue* group = message.Find("MessageGroupId");
  const JsonValue* dedup = message.Find("MessageDeduplicationId");
  for (const JsonValue* v : {group, dedup}) {
    if (v != nullptr && (v->type != JsonType::kString || !FifoToken(v->text))) return false;
  }
  if (group != nullptr) req->group_id = group->text;
  if (!queue.fifo) return dedup == nullptr;
  if (group == nullptr || delay > 0 || (dedup == nullptr && !queue.content_based_dedup)) return false;
  if (dedup != nullptr) req->dedup_id = dedup->text;
  return true;
}

// MD5OfMessageBody, then the attribute digests a message has, in the model's member order.
void WriteDigests(const std::string& body, const SendAttributes& attributes, JsonWriter* w) {
  w->Key("MD5OfMessageBody");
  w->String(Md5Hex(body));
  if (!attributes.attributes_md5.empty()) {
    w->Key("MD5OfMessageAttributes");
    w->String(attributes.attributes_md5);
  }
  if (!attributes.system_md5.empty()) {
    w->Key("MD5OfMessageSystemAttributes");
    w->String(attributes.system_md5);
  }
}

// A message's attributes and extras blob; the sender's plain blob when it has none (most sends).
bool Attributes(const JsonValue& message, const FrontCredential& sender, SendAttributes* out) {
  if (message.Find("MessageAttributes") == nullptr && message.Find("MessageSystemAttributes") == nullptr) {
    out->blob = sender.extras;
    return true;
  }
  return ParseSendAttributes(message, sender.sender_id, out);
}

}  // namespace

const char* FrontOpName(FrontOp op) {
  switch (op) {
    case FrontOp::kSendMessage:
      return "SendMessage";
    case FrontOp::kSendMessageBatch:
      return "SendMessageBatch";
    case FrontOp::kReceiveMessage:
      return "ReceiveMessage";
    case FrontOp::kDeleteMessage:
      return "DeleteMessage";
    case FrontOp::kDeleteMessageBatch:
      return "DeleteMessageBatch";
    case FrontOp::kNone:
      break;
  }
  return "";
}

// One request on its way through the front.
struct SqsFront::Request {
  HttpRequestView http;
  FrontOp op = FrontOp::kNone;
  std::string_view access_key;
  std::string_view region;
  FrontCredential* credential = nullptr;
  JsonValue body;
  int64_t now_ms = 0;
  std::shared_ptr<queue::Engine> engine;  // held for the call: QueueEngine.close() may run between calls
};

SqsFront::SqsFront(std::shared_ptr<queue::Engine> engine) : engine_(std::move(engine)) {
  // Request ids in UUID form: a random per-front head and a counter (unique without a syscall each).
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  uint8_t raw[10];
  for (uint8_t& b : raw) b = static_cast<uint8_t>(rng());
  std::string hex;
  AppendHex(raw, sizeof(raw), &hex);
  id_head_ = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-";
}

void SqsFront::SetCredential(const std::string& access_key, FrontCredential credential) {
  SendAttributes plain;
  ParseSendAttributes(JsonValue(), credential.sender_id, &plain);  // {"s": sender}
  credential.extras = std::move(plain.blob);
  credentials_[access_key] = std::move(credential);
}

void SqsFront::SetQueue(const std::string& url, const std::string& region, FrontQueue queue) {
  queues_[region + '\n' + url] = std::move(queue);
}

std::string SqsFront::NextRequestId() {
  std::string id = id_head_;
  char tail[13];
  uint64_t n = ++id_counter_;
  for (int i = 11; i >= 0; --i) {
    tail[i] = kHex[n & 15];
    n >>= 4;
  }
  tail[12] = '\0';
  id.append(tail, 12);
  return id;
}

FrontResult SqsFront::Handle(std::string_view data, double now_seconds, bool check_skew, FrontAnswer* out) {
  const FrontResult passed = FrontResult::kPassed;
  Request r;
  const HttpParse parsed = ParseHttpRequest(data, &r.http);
  if (parsed == HttpParse::kIncomplete && MayComplete(data)) return FrontResult::kIncomplete;
  if (parsed != HttpParse::kComplete || r.http.consumed != data.size() || !r.http.keep_alive ||
      r.http.method != "POST" || r.http.target != "/") {
    ++stats_.passed;
    return passed;
  }
  const HttpHeader* target = r.http.Find("x-amz-target");
  const HttpHeader* type = r.http.Find("content-type");
  if (target == nullptr || type == nullptr || type->value != kContentType ||
      target->value.substr(0, kTargetPrefix.size()) != kTargetPrefix || r.http.Find("content-encoding") != nullptr ||
      r.http.Find("x-amz-security-token") != nullptr) {
    ++stats_.passed;
    return passed;
  }
  const std::string_view operation = target->value.substr(kTargetPrefix.size());
  if (operation == "SendMessage") {
    r.op = FrontOp::kSendMessage;
  } else if (operation == "ReceiveMessage") {
    r.op = FrontOp::kReceiveMessage;
  } else if (operation == "DeleteMessageBatch") {
    r.op = FrontOp::kDeleteMessageBatch;
  } else if (operation == "DeleteMessage") {
    r.op = FrontOp::kDeleteMessage;
  } else if (operation == "SendMessageBatch") {
    r.op = FrontOp::kSendMessageBatch;
  } else {
    ++stats_.passed;
    return passed;
  }
  r.now_ms = static_cast<int64_t>(now_seconds * 1000);
  r.engine = engine_.lock();
  if (!r.engine) {  // closed: the road reports it
    ++stats_.passed;
    return passed;
  }
  if (!Authenticate(&r, now_seconds, check_skew) || !ParseJson(r.http.body, &r.body) ||
      r.body.type != JsonType::kObject) {
    ++stats_.passed;
    return passed;
  }
  bool done = false;
  switch (r.op) {
    case FrontOp::kSendMessage:
      done = SendMessage(&r, out);
      break;
    case FrontOp::kSendMessageBatch:
      done = SendMessageBatch(&r, out);
      break;
    case FrontOp::kReceiveMessage:
      done = ReceiveMessage(&r, out);
      break;
    case FrontOp::kDeleteMessage:
      done = DeleteMessage(&r, out);
      break;
    case FrontOp::kDeleteMessageBatch:
      done = DeleteMessageBatch(&r, out);
      break;
    case FrontOp::kNone:
      break;
  }
  if (!done) {
    ++stats_.passed;
    return passed;
  }
  ++stats_.answered;
  out->consumed = r.http.consumed;
  out->op = r.op;
  out->access_key.assign(r.access_key);
  out->account = r.credential->account;
  out->region.assign(r.region);
  return FrontResult::kAnswered;
}

bool SqsFront::Authenticate(Request* r, double now_seconds, bool check_skew) {
  const HttpHeader* auth = r->http.Find("authorization");
  if (auth == nullptr || auth->value.substr(0, kAlgorithm.size()) != kAlgorithm) return false;
  // "Credential=AK/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex"; a part
  // named twice counts its last value, as on the Python road.
  std::string_view credential, signed_headers, signature;
  std::string_view rest = auth->value.substr(kAlgorithm.size());
  while (true) {
    const size_t comma = rest.find(',');
    std::string_view part = Trim(rest.substr(0, comma));
    const size_t eq = part.find('=');
    const std::string_view name = part.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : Trim(part.substr(eq + 1));
    if (name == "Credential") {
      credential = value;
    } else if (name == "SignedHeaders") {
      signed_headers = value;
    } else if (name == "Signature") {
      signature = value;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (credential.empty() || signed_headers.empty() || signature.empty()) return false;
  std::string_view scope_parts[5];
  size_t count = 0;
  std::string_view scan = credential;
  while (count < 5) {
    const size_t slash = scan.find('/');
    scope_parts[count++] = scan.substr(0, slash);
    if (slash == std::string_view::npos) {
      scan = std::string_view();
      break;
    }
    scan.remove_prefix(slash + 1);
    if (count == 5) return false;  // more than five parts
  }
  if (count != 5 || !scan.empty()) return false;
  for (std::string_view part : scope_parts) {
    if (part.empty()) return false;
  }
  const std::string_view date = scope_parts[1];
  if (date.size() != 8 || !AllDigits(date) || scope_parts[3] != "sqs" || scope_parts[4] != "aws4_request") {
    return false;
  }
  const HttpHeader* amz_date = r->http.Find("x-amz-date");
  int64_t signed_at = 0;
  if (amz_date == nullptr || !AmzDateSeconds(amz_date->value, &signed_at) || amz_date->value.substr(0, 8) != date) {
    return false;
  }
  if (check_skew) {
    const double skew = static_cast<double>(signed_at) - now_seconds;
    if (skew > kMaxSkewSeconds || skew < -kMaxSkewSeconds) return false;
  }
  auto found = credentials_.find(std::string(scope_parts[0]));
  if (found == credentials_.end()) return false;
  FrontCredential& cred = found->second;
  r->access_key = scope_parts[0];
  r->region = scope_parts[2];
  r->credential = &cred;
  const std::string payload_hash = HexDigest<Sha256>(r->http.body);
  if (const HttpHeader* claimed = r->http.Find("x-amz-content-sha256")) {
    if (claimed->value != payload_hash) return false;
  }
  if (!cred.verify) return true;
  Sigv4Request sreq;
  sreq.method = "POST";
  sreq.canonical_uri = "/";
  sreq.canonical_query = "";
  sreq.signed_headers = signed_headers;
  sreq.payload_hash = payload_hash;
  std::string_view names = signed_headers;
  while (!names.empty()) {
    const size_t semi = names.find(';');
    const std::string_view name = names.substr(0, semi);
    const HttpHeader* h = nullptr;
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') return false;  // the Python road looks names up as sent
    }
    if (name.empty() || (h = r->http.Find(name)) == nullptr) return false;
    sreq.signed_names.push_back(name);
    sreq.header_values.push_back(h->value);
    if (semi == std::string_view::npos) break;
    names.remove_prefix(semi + 1);
  }
  if (cred.key_date != date || cred.key_region != r->region) {
    cred.signing_key = SigningKey(cred.secret, date, r->region, "sqs");
    cred.key_date.assign(date);
    cred.key_region.assign(r->region);
  }
  std::string scope;
  scope.reserve(credential.size());
  scope.append(date).append("/").append(r->region).append("/sqs/aws4_request");
  std::string expected;
  if (!Sigv4Signature(cred.signing_key, amz_date->value, scope, sreq, &expected)) return false;
  return ConstantTimeEqual(expected, signature);
}

const FrontQueue* SqsFront::LookupQueue(const Request& r, std::string_view url) const {
  std::string key;
  key.reserve(r.region.size() + 1 + url.size());
  key.append(r.region).push_back('\n');
  key.append(url);
  auto it = queues_.find(key);
  if (it == queues_.end()) return nullptr;
  // Another account's caller needs the queue policy's word: the Python road's.
  if (it->second.account != r.credential->account) return nullptr;
  return &it->second;
}

void SqsFront::Respond(std::string_view body, FrontAnswer* out) {
  out->request_id = NextRequestId();
  const uint32_t crc = Crc32Extend(0, body.data(), body.size());
  std::string& head = out->response;
  head.clear();
  head.reserve(160 + body.size());
  head.append("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: ");
  head.append(out->request_id);
  head.append("\r\nx-amz-crc32: ");
  head.append(std::to_string(crc));
  head.append("\r\nContent-Length: ");
  head.append(std::to_string(body.size()));
  head.append("\r\n\r\n");
  head.append(body);
}

bool SqsFront::SendMessage(Request* r, FrontAnswer* out) {
  const JsonValue& p = r->body;
  if (!OnlyMembers(p, {"QueueUrl", "MessageBody", "DelaySeconds", "MessageAttributes", "MessageSystemAttributes",
                       "MessageGroupId", "MessageDeduplicationId"})) {
    return false;
  }
  const std::string* url = RequiredString(p, "QueueUrl");
  const std::string* body = RequiredString(p, "MessageBody");
  if (url == nullptr || body == nullptr || body->empty() || !XmlText(*body)) return false;
  const FrontQueue* queue = LookupQueue(*r, *url);
  SendAttributes attributes;
  if (queue == nullptr || !Attributes(p, *r->credential, &attributes) ||
      static_cast<int64_t>(body->size()) + attributes.size > queue->max_message_bytes) {
    return false;
  }
  int64_t delay = -1;
  queue::SendRequest req;
  if (!OptionalInt(p, "DelaySeconds", 0, 900, &delay) || !FifoIds(p, *queue, delay, &req)) return false;
  req.body = *body;
  req.attributes = std::move(attributes.blob);
  req.delay_ms = delay < 0 ? -1 : delay * 1000;
  queue::SendResult result;
  if (!r->engine->Send(queue->engine_name, req, r->now_ms, &result).ok()) return false;  // unchanged: Python words it
  JsonWriter w;
  w.BeginObject();  // members in the model's order, as the Python road writes them
  WriteDigests(*body, attributes, &w);
  w.Key("MessageId");
  w.String(result.message_id);
  if (queue->fifo) {
    w.Key("SequenceNumber");
    w.String(result.sequence_number);
  }
  w.EndObject();
  Respond(w.text(), out);
  out->notify = queue->engine_name;
  return true;
}

const FrontQueue* SqsFront::BatchQueue(const Request& r, std::vector<const JsonValue*>* entries) const {
  const JsonValue& p = r.body;
  if (!OnlyMembers(p, {"QueueUrl", "Entries"})) return nullptr;
  const std::string* url = RequiredString(p, "QueueUrl");
  const FrontQueue* queue = url == nullptr ? nullptr : LookupQueue(r, *url);
  return queue != nullptr && BatchEntries(p, entries) ? queue : nullptr;
}

bool SqsFront::SendMessageBatch(Request* r, FrontAnswer* out) {
  std::vector<const JsonValue*> entries;
  const FrontQueue* queue = BatchQueue(*r, &entries);
  if (queue == nullptr) return false;
  std::vector<queue::SendRequest> reqs;
  std::vector<SendAttributes> digests;
  reqs.reserve(entries.size());
  digests.reserve(entries.size());
  int64_t total = 0;
  for (const JsonValue* entry : entries) {
    if (!OnlyMembers(*entry, {"Id", "MessageBody", "DelaySeconds", "MessageAttributes", "MessageSystemAttributes",
                              "MessageGroupId", "MessageDeduplicationId"})) {
      return false;
    }
    const std::string* body = RequiredString(*entry, "MessageBody");
    SendAttributes attributes;
    // An entry that fails validation is reported in Failed by the Python road.
    if (body == nullptr || body->empty() || !XmlText(*body) || !Attributes(*entry, *r->credential, &attributes) ||
        static_cast<int64_t>(body->size()) + attributes.size > queue->max_message_bytes) {
      return false;
    }
    int64_t delay = -1;
    queue::SendRequest req;
    if (!OptionalInt(*entry, "DelaySeconds", 0, 900, &delay) || !FifoIds(*entry, *queue, delay, &req)) return false;
    total += static_cast<int64_t>(body->size()) + attributes.size;
    req.body = *body;
    req.attributes = std::move(attributes.blob);
    req.delay_ms = delay < 0 ? -1 : delay * 1000;
    reqs.push_back(std::move(req));
    digests.push_back(std::move(attributes));
  }
  if (total > kMaxBatchBytes) return false;
  std::vector<queue::SendOutcome> outcomes;
  if (!r->engine->SendBatch(queue->engine_name, reqs, r->now_ms, &outcomes).ok()) return false;
  JsonWriter w;
  w.BeginObject();
  w.Key("Successful");
  w.BeginArray();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!outcomes[i].status.ok()) continue;
    w.BeginObject();
    w.Key("Id");
    w.String(entries[i]->Find("Id")->text);
    w.Key("MessageId");
    w.String(outcomes[i].result.message_id);
    WriteDigests(reqs[i].body, digests[i], &w);
    if (queue->fifo) {
      w.Key("SequenceNumber");
      w.String(outcomes[i].result.sequence_number);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("Failed");
  w.BeginArray();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (outcomes[i].status.ok()) continue;
    AppendFailed(entries[i]->Find("Id")->text, queue::ErrorName(outcomes[i].status), &w);
  }
  w.EndArray();
  w.EndObject();
  Respond(w.text(), out);
  out->notify = queue->engine_name;
  return true;
}

bool SqsFront::ReceiveMessage(Request* r, FrontAnswer* out) {
  const JsonValue& p = r->body;
  if (!OnlyMembers(p, {"QueueUrl", "MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds", "AttributeNames",
                       "MessageSystemAttributeNames", "MessageAttributeNames", "ReceiveRequestAttemptId"})) {
    return false;
  }
  AttributeRequest attributes;
  if (!ParseAttributeRequest(p, &attributes)) return false;
  const std::string* url = RequiredString(p, "QueueUrl");
  if (url == nullptr) return false;
  const FrontQueue* queue = LookupQueue(*r, *url);
  if (queue == nullptr) return false;
  int64_t count = 1, visibility = -1, wait = queue->receive_wait_seconds;
  if (!OptionalInt(p, "MaxNumberOfMessages", 1, 10, &count) ||
      !OptionalInt(p, "VisibilityTimeout", 0, 43200, &visibility) || !OptionalInt(p, "WaitTimeSeconds", 0, 20, &wait)) {
    return false;
  }
  queue::ReceiveRequest req;
  if (const JsonValue* attempt = p.Find("ReceiveRequestAttemptId")) {
    // Standard queues ignore it, as SQS does; FIFO queues use it to repeat a receive.
    if (attempt->type != JsonType::kString || (queue->fifo && !FifoToken(attempt->text))) return false;
    if (queue->fifo) req.attempt_id = attempt->text;
  }
  req.max_messages = static_cast<uint32_t>(count);
  req.visibility_timeout_ms = visibility < 0 ? -1 : visibility * 1000;
  std::vector<queue::ReceivedMessage> found;
  if (!r->engine->Receive(queue->engine_name, req, r->now_ms, &found).ok()) return false;
  // Nothing yet and a wait asked for: the Python road long-polls (its first look receives again).
  if (found.empty() && wait > 0) return false;
  JsonWriter w;
  w.BeginObject();
  if (!found.empty()) {
    w.Key("Messages");
    w.BeginArray();
    for (const queue::ReceivedMessage& m : found) {
      w.BeginObject();
      w.Key("MessageId");
      w.String(m.message_id);
      w.Key("ReceiptHandle");
      w.String(m.receipt_handle);
      w.Key("MD5OfBody");
      w.String(Md5Hex(m.body));
      w.Key("Body");
      w.String(m.body);
      WriteReceivedAttributes(m, attributes, &w);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  Respond(w.text(), out);
  out->notify = queue->dead_letter;  // the receive may have moved messages there
  return true;
}

bool SqsFront::DeleteMessage(Request* r, FrontAnswer* out) {
  const JsonValue& p = r->body;
  if (!OnlyMembers(p, {"QueueUrl", "ReceiptHandle"})) return false;
  const std::string* url = RequiredString(p, "QueueUrl");
  const std::string* handle = RequiredString(p, "ReceiptHandle");
  if (url == nullptr || handle == nullptr || handle->empty()) return false;
  const FrontQueue* queue = LookupQueue(*r, *url);
  // A failed delete changed nothing: the Python road repeats it and words the error.
  if (queue == nullptr || !r->engine->Delete(queue->engine_name, *handle, r->now_ms).ok()) return false;
  Respond("{}", out);
  return true;
}

bool SqsFront::DeleteMessageBatch(Request* r, FrontAnswer* out) {
  std::vector<const JsonValue*> entries;
  const FrontQueue* queue = BatchQueue(*r, &entries);
  if (queue == nullptr) return false;
  std::vector<std::string> handles;
  handles.reserve(entries.size());
  for (const JsonValue* entry : entries) {
    if (!OnlyMembers(*entry, {"Id", "ReceiptHandle"})) return false;
    const std::string* handle = RequiredString(*entry, "ReceiptHandle");
    if (handle == nullptr) return false;
    handles.push_back(*handle);
  }
  std::vector<Status> results;
  if (!r->engine->DeleteBatch(queue->engine_name, handles, r->now_ms, &results).ok()) return false;
  for (const Status& s : results) {
    // Deletes are idempotent (a deleted message's handle deletes nothing and succeeds), so the
    // Python road can repeat the whole batch to word the failed entries.
    if (!s.ok()) return false;
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("Successful");
  w.BeginArray();
  for (const JsonValue* entry : entries) {
    w.BeginObject();
    w.Key("Id");
    w.String(entry->Find("Id")->text);
    w.EndObject();
  }
  w.EndArray();
  w.Key("Failed");
  w.BeginArray();
  w.EndArray();
  w.EndObject();
  Respond(w.text(), out);
  return true;
}

}  // namespace front
}  // namespace pycloud
