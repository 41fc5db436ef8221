// SqsFront: the hottest SQS requests (SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch) in the
// JSON protocol) answered from the bytes a connection received — HTTP head, SigV4 signature, JSON
// body, queue-engine call and the whole HTTP response — without the Python request road.
//
// The front is a cache of decisions the Python road has already taken, never a second road with
// rules of its own: Python registers a credential only when its principal is bound by nothing but
// resource policies (an account's root outside SCPs) and a queue URL only after resolving it for
// such a caller in the queue's own account, with no queue policy, on a standard queue. Anything
// else — an unknown key, a session token, an attribute, a FIFO queue, an error, a long poll that
// must wait, a request split across reads — makes Handle return false having changed nothing, and
// the Python road answers (with the exact AWS error where there is one). Python drops entries when
// what they were derived from changes (policies, keys, queue attributes, deletion, reset).
//
// Not thread-safe: Handle and the table updates run on the server's event-loop thread with the GIL
// held (each call is a few microseconds; the engine has its own lock for its other callers).
#ifndef PYCLOUD_FRONT_SQS_FRONT_H_
#define PYCLOUD_FRONT_SQS_FRONT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "front/json_reader.h"
#include "queue/engine.h"

namespace pycloud {
namespace front {

// A caller the front may serve: its secret (verify=false: the server runs without strict
// signatures and this key is unknown, so, as on the Python road, the signature is not checked).
struct FrontCredential {
  std::string secret;
  std::string account;
  std::string sender_id;  // the SenderId its messages carry
  std::string extras;     // the engine's extras blob of its messages without attributes
  bool verify = true;
  // The last derived signing key, for the (date, region) it was derived for.
  std::string key_date;
  std::string key_region;
  std::string signing_key;
};

// A queue as the front serves it (settings that decide the message path).
struct FrontQueue {
  std::string engine_name;
  std::string account;
  int64_t max_message_bytes = 262144;
  int64_t receive_wait_seconds = 0;
  std::string dead_letter;  // engine name of the redrive target ("" none)
  bool fifo = false;
  bool content_based_dedup = false;  // FIFO: a send without a deduplication id is deduplicated by body
};

enum class FrontOp { kNone, kSendMessage, kSendMessageBatch, kReceiveMessage, kDeleteMessage, kDeleteMessageBatch };

const char* FrontOpName(FrontOp op);

// What Handle produced for one request.
struct FrontAnswer {
  std::string response;   // the complete HTTP/1.1 response
  size_t consumed = 0;    // bytes of the input the request occupied
  FrontOp op = FrontOp::kNone;
  std::string access_key;
  std::string account;
  std::string region;
  std::string request_id;
  std::string notify;     // engine name of a queue whose long polls may now find messages ("" none)
};

enum class FrontResult {
  kAnswered,    // *out holds the response
  kPassed,      // the Python road's: nothing was changed
  kIncomplete,  // the start of a request the front may answer: call again with more of it
};

struct FrontStats {
  uint64_t answered = 0;
  uint64_t passed = 0;  // requests handed to the Python road
};

class SqsFront {
 public:
  explicit SqsFront(std::shared_ptr<queue::Engine> engine);

  void SetCredential(const std::string& access_key, FrontCredential credential);
  void ClearCredentials() { credentials_.clear(); }
  // url exactly as a client sends it, with the request's signing region.
  void SetQueue(const std::string& url, const std::string& region, FrontQueue queue);
  void ClearQueues() { queues_.clear(); }
  size_t credential_count() const { return credentials_.size(); }
  size_t queue_count() const { return queues_.size(); }
  const FrontStats& stats() const { return stats_; }

  // Answers the request that is all of `data` when the front serves it; kPassed (nothing changed,
  // nothing written) hands it to the Python road. now_seconds: the virtual clock; check_skew:
  // whether the 15-minute signing window applies (the Python road's rule).
  FrontResult Handle(std::string_view data, double now_seconds, bool check_skew, FrontAnswer* out);

 private:
  struct Request;
  bool Authenticate(Request* r, double now_seconds, bool check_skew);
  const FrontQueue* LookupQueue(const Request& r, std::string_view url) const;
  // The queue and entries of a batch request ({"QueueUrl", "Entries"}), or nullptr.
  const FrontQueue* BatchQueue(const Request& r, std::vector<const JsonValue*>* entries) const;
  bool SendMessage(Request* r, FrontAnswer* out);
  bool SendMessageBatch(Request* r, FrontAnswer* out);
  bool ReceiveMessage(Request* r, FrontAnswer* out);
  bool DeleteMessage(Request* r, FrontAnswer* out);
  bool DeleteMessageBatch(Request* r, FrontAnswer* out);
  void Respond(std::string_view body, FrontAnswer* out);
  std::string NextRequestId();

  std::weak_ptr<queue::Engine> engine_;  // the engine's owner (QueueEngine) decides when it closes
  std::unordered_map<std::string, FrontCredential> credentials_;
  std::unordered_map<std::string, FrontQueue> queues_;  // region + '\n' + url
  std::string id_head_;
  uint64_t id_counter_ = 0;
  FrontStats stats_;
};

}  // namespace front
}  // namespace pycloud

#endif  // PYCLOUD_FRONT_SQS_FRONT_H_
