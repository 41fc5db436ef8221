// The attributes ReceiveMessage asks for, rendered natively: system attributes (AttributeNames,
// MessageSystemAttributeNames) from the engine's message record and the sender's extras blob, and
// message attributes (MessageAttributeNames) from the blob, with MD5OfMessageAttributes computed
// as SQS computes it. The blob is the JSON the Python road stores with every message
// (services/sqs/messages.py encode_extras: {"s": sender, "t": trace header, "a": {name: [type,
// "s"|"b", text]}}).
#ifndef PYCLOUD_FRONT_SQS_ATTRIBUTES_H_
#define PYCLOUD_FRONT_SQS_ATTRIBUTES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "front/json_reader.h"
#include "front/json_writer.h"
#include "queue/types.h"

namespace pycloud {
namespace front {

// What one ReceiveMessage asks to see besides the bodies.
struct AttributeRequest {
  uint32_t system = 0;             // a bit per system attribute name (kSystemAttributeNames order)
  std::vector<std::string> names;  // MessageAttributeNames as sent ("All", ".*", "prefix.*", names)
  bool empty() const { return system == 0 && names.empty(); }
};

// Reads the three name lists of a ReceiveMessage request. False when one holds anything the front
// leaves to the Python road (a legacy queue attribute name, an unknown name, a non-string).
bool ParseAttributeRequest(const JsonValue& request, AttributeRequest* out);

// Writes the message's "Attributes", "MD5OfMessageAttributes" and "MessageAttributes" members (each
// only when non-empty, in the model's member order) into the open message object.
void WriteReceivedAttributes(const queue::ReceivedMessage& message, const AttributeRequest& request, JsonWriter* w);

// A message's attributes as SendMessage(Batch) gives them, checked as the Python road checks them
// (messages.py check_attributes / check_system_attributes), restricted to what the front can be
// sure of: the road words every error, so anything doubtful makes ParseSendAttributes false.
struct SendAttributes {
  std::string blob;             // the engine's extras: {"s": sender, "a": {...}, "t": trace}
  std::string attributes_md5;   // MD5OfMessageAttributes ("" without attributes)
  std::string system_md5;       // MD5OfMessageSystemAttributes ("" without)
  int64_t size = 0;             // bytes the user attributes add to the message's size
};

// Reads MessageAttributes and MessageSystemAttributes of one message (a request or a batch entry)
// sent by `sender_id`; false when the front leaves the message to the road.
bool ParseSendAttributes(const JsonValue& message, const std::string& sender_id, SendAttributes* out);

// Lower-case hex MD5 of `data` (the digests SQS answers with).
std::string Md5Hex(std::string_view data);

// Whether UTF-8 `text` stays within the XML character set SQS allows in bodies and attribute
// values: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. The text must already be
// valid UTF-8 (the JSON reader checked), so surrogates cannot occur; only the control characters
// and U+FFFE/U+FFFF need looking for.
bool XmlText(std::string_view text);

// Standard base64 (RFC 4648, with padding) to bytes; false on anything else, including encodings
// that are not the canonical one of their bytes.
bool DecodeBase64(const std::string& text, std::string* out);

}  // namespace front
}  // namespace pycloud

#endif  // PYCLOUD_FRONT_SQS_ATTRIBUTES_H_
