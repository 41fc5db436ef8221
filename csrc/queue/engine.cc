#include "queue/engine.h"

#include <algorithm>
#include <utility>

#include "common/sha256.h"
#include "queue/errors.h"
#include "queue/receipt.h"
#include "queue/records.h"

namespace pycloud {
namespace queue {
namespace {

// kMessage flag: the deduplication id was scoped to the message group when it was sent.
constexpr uint64_t kFlagScopeGroup = 2;
// Log growth between two compaction checks (each check costs O(queues)).
constexpr uint64_t kCompactionCheckStep = 64u << 10;

std::string Sha256Hex(const std::string& data) {
  Sha256 h;
  h.Update(data.data(), data.size());
  uint8_t digest[Sha256::kDigestSize];
  h.Final(digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string DedupKey(bool scope_group, const std::string& group, const std::string& dedup_id) {
  if (!scope_group) return dedup_id;
  std::string key = group;
  key.push_back('\0');  // group ids cannot contain NUL, so (group, id) pairs stay distinct
  key += dedup_id;
  return key;
}

void AddRecord(std::string* records, RecordType type, const std::string& payload) {
  AppendRecord(records, static_cast<uint8_t>(type), payload);
}

}  // namespace

Engine::Engine(const EngineOptions& options) : options_(options), rng_(std::random_device{}()) {}

Engine::~Engine() = default;

Status Engine::Open(const std::string& path, const EngineOptions& options, std::unique_ptr<Engine>* out) {
  std::unique_ptr<Engine> engine(new Engine(options));  // private constructor
  if (!path.empty()) {
    WalOptions wo;
    wo.sync = options.sync;
    wo.batch_window_ms = options.batch_window_ms;
    wo.env = options.env;
    Engine* e = engine.get();
    Status s = Wal::Open(
        path, wo, [e](uint8_t type, std::string_view payload) { return e->Replay(type, payload); }, &engine->wal_,
        &engine->recovery_);
    if (!s.ok()) return s;
    engine->next_compaction_check_ = std::max<uint64_t>(options.compact_min_bytes, engine->wal_->size());
  }
  *out = std::move(engine);
  return Status::OK();
}

// ------------------------------------------------------------------------------ recovery

Status Engine::Replay(uint8_t type, std::string_view payload) {
  const Status bad = Status::Corruption("undecodable queue log record of type " + std::to_string(type));
  uint64_t uid = 0;
  if (!DecodeUid(payload, &uid)) return bad;
  if (type == static_cast<uint8_t>(RecordType::kCreateQueue)) {
    CreateQueueRec r;
    if (!DecodeCreateQueue(payload, &r)) return bad;
    auto it = queues_.find(r.name);
    if (it != queues_.end()) {  // a newer incarnation under the same name wins
      by_uid_.erase(it->second->uid());
      queues_.erase(it);
    }
    auto q = std::make_unique<Queue>(r.name, r.fifo, r.uid);
    q->next_seq = r.next_seq;
    q->next_sequence_number = r.next_sequence_number;
    q->next_nonce = r.next_nonce;
    by_uid_[r.uid] = q.get();
    queues_[r.name] = std::move(q);
    return Status::OK();
  }
  if (type > kMaxRecordType) return Status::Corruption("unknown queue log record type " + std::to_string(type));
  auto it = by_uid_.find(uid);
  if (it == by_uid_.end()) return Status::OK();  // the queue was deleted later: nothing to apply
  Queue* q = it->second;
  switch (static_cast<RecordType>(type)) {
    case RecordType::kDeleteQueue:
      by_uid_.erase(it);
      queues_.erase(q->name());
      return Status::OK();
    case RecordType::kConfigure: {
      QueueConfig c;
      if (!DecodeConfigure(payload, &uid, &c)) return bad;
      q->config = c;
      return Status::OK();
    }
    case RecordType::kMessage: {
      Message m;
      uint64_t flags = 0;
      if (!DecodeMessage(payload, &uid, &m, &flags)) return bad;
      if (q->Find(m.seq) != nullptr) return Status::OK();
      q->next_seq = std::max(q->next_seq, m.seq + 1);
      q->next_sequence_number = std::max(q->next_sequence_number, m.sequence_number + 1);
      q->next_nonce = std::max(q->next_nonce, m.nonce + 1);
      if (flags & kFlagRememberDedup) {
        q->dedup.Put(DedupKey((flags & kFlagScopeGroup) != 0, m.group_id, m.dedup_id),
                     DedupValue{m.id, m.sequence_number}, m.sent_ms + kDedupWindowMs);
      }
      q->Insert(std::move(m));
      return Status::OK();
    }
    case RecordType::kDelete: {
      uint64_t seq;
      if (!DecodeDelete(payload, &uid, &seq)) return bad;
      q->Remove(seq);
      return Status::OK();
    }
    case RecordType::kVisibility: {
      VisibilityRec r;
      if (!DecodeVisibility(payload, &r)) return bad;
      q->next_nonce = std::max(q->next_nonce, r.nonce + 1);
      Message* m = q->Find(r.seq);
      if (m == nullptr) return Status::OK();
      m->nonce = r.nonce;
      m->receive_count = r.receive_count;
      m->first_receive_ms = r.first_receive_ms;
      q->SetInFlight(*m, r.deadline);
      return Status::OK();
    }
    case RecordType::kPurge:
      q->Clear();
      return Status::OK();
    case RecordType::kDedup: {
      DedupRec r;
      if (!DecodeDedup(payload, &r)) return bad;
      q->dedup.Put(r.key, r.value, r.expires_ms);
      return Status::OK();
    }
    case RecordType::kCreateQueue:
      break;
  }
  return bad;
}

// ------------------------------------------------------------------------------ plumbing

Queue* Engine::FindLocked(const std::string& name) {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second.get();
}

Status Engine::CheckUsableLocked() const { return broken_; }

Status Engine::LogLocked(const std::string& records, uint64_t* lsn) {
  *lsn = 0;
  if (!wal_ || records.empty()) return Status::OK();
  Status s = wal_->Append(records, lsn);
  if (!s.ok()) {
    broken_ = s;
    return s;
  }
  return MaybeCompactLocked();
}

Status Engine::Finish(std::unique_lock<std::mutex>& lock, Status s, uint64_t lsn) {
  lock.unlock();
  if (s.ok() && lsn != 0) s = wal_->Commit(lsn);
  return s;
}

template <typename Fn>
Status Engine::Mutate(Fn&& fn) {
  std::unique_lock<std::mutex> lock(mu_);
  Status s = CheckUsableLocked();
  if (!s.ok()) return s;
  std::string records;
  s = fn(&records);
  uint64_t lsn = 0;
  // fn fails only before it changes anything, so a failure leaves nothing to log.
  if (s.ok()) s = LogLocked(records, &lsn);
  return Finish(lock, s, lsn);
}

Status Engine::LookupLocked(const std::string& name, Queue** q) {
  *q = FindLocked(name);
  return *q == nullptr ? MakeError(QueueError::kNoSuchQueue, name) : Status::OK();
}

template <typename Fn>
Status Engine::WithQueue(const std::string& name, Fn&& fn) {
  return Mutate([&](std::string* records) -> Status {
    Queue* q = nullptr;
    Status s = LookupLocked(name, &q);
    if (!s.ok()) return s;
    return fn(q, records);
  });
}

template <typename Fn>
Status Engine::WithQueue(const std::string& name, int64_t now, Fn&& fn) {
  return Mutate([&](std::string* records) -> Status {
    Touch(now);
    Queue* q = nullptr;
    Status s = LookupLocked(name, &q);
    if (!s.ok()) return s;
    q->Advance(now);  // time is lazy: deadlines, delays and retention apply on access
    return fn(q, records);
  });
}

MessageId Engine::RandomIdLocked() {
  MessageId id;
  for (size_t i = 0; i < id.size(); i += 8) {
    uint64_t r = rng_();
    for (size_t k = 0; k < 8; ++k) id[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  id[6] = static_cast<uint8_t>((id[6] & 0x0f) | 0x40);  // UUID version 4
  id[8] = static_cast<uint8_t>((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

ReceivedMessage Engine::ToReceived(const Queue& q, const Message& m) const {
  ReceivedMessage r;
  r.message_id = FormatMessageId(m.id);
  r.receipt_handle = EncodeReceipt(Receipt{q.uid(), m.seq, m.nonce});
  r.body = m.body;
  r.attributes = m.attributes;
  r.receive_count = m.receive_count;
  r.sent_ms = m.sent_ms;
  r.first_receive_ms = m.first_receive_ms;
  if (q.fifo() || !m.group_id.empty()) r.group_id = m.group_id;
  if (!m.dedup_id.empty()) r.dedup_id = m.dedup_id;
  if (q.fifo()) r.sequence_number = FormatSequenceNumber(m.sequence_number);
  if (!m.dead_letter_source.empty()) r.dead_letter_source = m.dead_letter_source;
  return r;
}

// ------------------------------------------------------------------------------ queues

Status Engine::CreateQueue(const std::string& name, bool fifo) {
  return Mutate([&](std::string* records) -> Status {
    if (queues_.count(name) != 0) return MakeError(QueueError::kQueueExists, name);
    uint64_t uid = 0;
    while (uid == 0 || by_uid_.count(uid) != 0) uid = rng_();
    CreateQueueRec r;
    r.uid = uid;
    r.name = name;
    r.fifo = fifo;
    auto q = std::make_unique<Queue>(name, fifo, uid);
    by_uid_[uid] = q.get();
    queues_[name] = std::move(q);
    AddRecord(records, RecordType::kCreateQueue, EncodeCreateQueue(r));
    return Status::OK();
  });
}

Status Engine::DeleteQueue(const std::string& name) {
  return WithQueue(name, [&](Queue* q, std::string* records) {
    AddRecord(records, RecordType::kDeleteQueue, EncodeUidOnly(q->uid()));
    by_uid_.erase(q->uid());
    queues_.erase(name);  // destroys *q
    return Status::OK();
  });
}

std::vector<std::string> Engine::QueueNames() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  names.reserve(queues_.size());
  for (const auto& [name, q] : queues_) names.push_back(name);
  return names;
}

Status Engine::Configure(const std::string& name, const QueueConfig& config) {
  return WithQueue(name, [&](Queue* q, std::string* records) {
    q->config = config;
    AddRecord(records, RecordType::kConfigure, EncodeConfigure(q->uid(), config));
    return Status::OK();
  });
}

Status Engine::GetConfig(const std::string& name, QueueConfig* config, bool* fifo) {
  return WithQueue(name, [&](Queue* q, std::string*) {
    *config = q->config;
    *fifo = q->fifo();
    return Status::OK();
  });
}

// ------------------------------------------------------------------------------ send

Status Engine::SendLocked(Queue* q, const SendRequest& req, int64_t now, SendResult* result, std::string* records) {
  Message m;
  std::string dedup_key;
  if (q->fifo()) {
    if (!req.group_id) return MakeError(QueueError::kMissingGroupId, "a FIFO queue needs a message group id");
    if (req.dedup_id) {
      m.dedup_id = *req.dedup_id;
    } else if (q->config.content_based_dedup) {
      m.dedup_id = Sha256Hex(req.body);
    } else {
      return MakeError(QueueError::kMissingDedupId, "no deduplication id and no content-based deduplication");
    }
    m.group_id = *req.group_id;
    dedup_key = DedupKey(q->config.dedup_scope_group, m.group_id, m.dedup_id);
    if (const auto* e = q->dedup.Find(dedup_key, now)) {
      result->message_id = FormatMessageId(e->value.id);
      result->sequence_number = FormatSequenceNumber(e->value.sequence_number);
      result->duplicate = true;
      return Status::OK();
    }
    m.sequence_number = q->next_sequence_number++;
  } else if (req.group_id) {
    m.group_id = *req.group_id;  // kept and returned; standard queues give it no ordering meaning
  }
  m.seq = q->next_seq++;
  m.id = RandomIdLocked();
  m.sent_ms = now;
  m.retain_from_ms = now;
  int64_t delay = req.delay_ms < 0 ? q->config.delay_ms : req.delay_ms;
  m.visible_at_ms = now + delay;
  m.state = delay > 0 ? MsgState::kDelayed : MsgState::kVisible;
  m.body = req.body;
  m.attributes = req.attributes;
  uint64_t flags = 0;
  if (q->fifo()) flags = kFlagRememberDedup | (q->config.dedup_scope_group ? kFlagScopeGroup : 0);
  AddRecord(records, RecordType::kMessage, EncodeMessage(q->uid(), m, flags));
  result->message_id = FormatMessageId(m.id);
  result->sequence_number = q->fifo() ? FormatSequenceNumber(m.sequence_number) : std::string();
  result->duplicate = false;
  if (q->fifo()) q->dedup.Put(dedup_key, DedupValue{m.id, m.sequence_number}, now + kDedupWindowMs);
  q->Insert(std::move(m));
  return Status::OK();
}

Status Engine::Send(const std::string& name, const SendRequest& req, int64_t now, SendResult* result) {
  return WithQueue(name, now,
                   [&](Queue* q, std::string* records) { return SendLocked(q, req, now, result, records); });
}

Status Engine::SendBatch(const std::string& name, const std::vector<SendRequest>& reqs, int64_t now,
                         std::vector<SendOutcome>* out) {
  return WithQueue(name, now, [&](Queue* q, std::string* records) {
    out->clear();
    out->resize(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) (*out)[i].status = SendLocked(q, reqs[i], now, &(*out)[i].result, records);
    return Status::OK();  // entry errors are per entry
  });
}

// ------------------------------------------------------------------------------ receive

void Engine::MoveLocked(Queue* src, Message* m, Queue* dst, int64_t now, bool record_source, std::string* records) {
  Message n;
  n.seq = dst->next_seq++;
  n.id = m->id;
  n.sent_ms = m->sent_ms;
  // SQS keeps the original enqueue time for retention in a standard dead-letter queue and
  // restarts it in a FIFO one.
  n.retain_from_ms = dst->fifo() ? now : m->retain_from_ms;
  n.visible_at_ms = now;
  n.state = MsgState::kVisible;
  n.group_id = m->group_id;
  n.dedup_id = m->dedup_id;
  if (dst->fifo()) n.sequence_number = dst->next_sequence_number++;
  if (record_source) n.dead_letter_source = src->name();
  n.body = std::move(m->body);
  n.attributes = std::move(m->attributes);
  // Destination first: a crash between the two records duplicates the message, never loses it.
  AddRecord(records, RecordType::kMessage, EncodeMessage(dst->uid(), n, 0));
  AddRecord(records, RecordType::kDelete, EncodeDelete(src->uid(), m->seq));
  dst->Insert(std::move(n));
  src->Remove(m->seq);
}

Status Engine::Receive(const std::string& name, const ReceiveRequest& req, int64_t now,
                       std::vector<ReceivedMessage>* out) {
  out->clear();
  return WithQueue(name, now, [&](Queue* q, std::string* records) -> Status {
    const int64_t visibility =
        req.visibility_timeout_ms < 0 ? q->config.visibility_timeout_ms : req.visibility_timeout_ms;

    // A retried FIFO receive attempt gets the same messages and handles while they are in flight.
    const bool attempt = q->fifo() && req.attempt_id && !req.attempt_id->empty();
    if (attempt) {
      if (const auto* e = q->attempts.Find(*req.attempt_id, now)) {
        for (const auto& [seq, nonce] : e->value) {
          Message* m = q->Find(seq);
          if (m == nullptr || m->state != MsgState::kInFlight || m->nonce != nonce) continue;
          q->SetInFlight(*m, now + visibility);
          AddRecord(records, RecordType::kVisibility,
                    EncodeVisibility(VisibilityRec{q->uid(), seq, nonce, m->receive_count, m->first_receive_ms,
                                                   now + visibility}));
          out->push_back(ToReceived(*q, *m));
        }
        if (!out->empty()) return Status::OK();
      }
    }

    const uint64_t limit = q->fifo() ? kFifoInFlightLimit : kStandardInFlightLimit;
    if (!q->fifo() && q->in_flight() >= limit) {
      return MakeError(QueueError::kOverLimit, "too many messages in flight");
    }
    Queue* dlq = nullptr;
    if (q->config.max_receive_count > 0 && !q->config.dead_letter_target.empty()) {
      dlq = FindLocked(q->config.dead_letter_target);
      if (dlq == q) dlq = nullptr;
    }
    AttemptValue received;
    while (out->size() < req.max_messages && q->in_flight() < limit) {
      Message* m = q->NextDeliverable();
      if (m == nullptr) break;
      if (dlq != nullptr && m->receive_count >= q->config.max_receive_count) {
        MoveLocked(q, m, dlq, now, /*record_source=*/true, records);
        continue;
      }
      ++m->receive_count;
      if (m->first_receive_ms == 0) m->first_receive_ms = now;
      m->nonce = q->next_nonce++;
      q->SetInFlight(*m, now + visibility);
      AddRecord(records, RecordType::kVisibility,
                EncodeVisibility(VisibilityRec{q->uid(), m->seq, m->nonce, m->receive_count, m->first_receive_ms,
                                               now + visibility}));
      received.emplace_back(m->seq, m->nonce);
      out->push_back(ToReceived(*q, *m));
    }
    q->EndReceive();
    if (attempt && !received.empty()) q->attempts.Put(*req.attempt_id, std::move(received), now + kDedupWindowMs);
    return Status::OK();
  });
}

// ------------------------------------------------------------------------------ delete / visibility

Status Engine::DeleteLocked(Queue* q, const std::string& handle, int64_t now, std::string* records) {
  (void)now;
  Receipt r;
  if (!DecodeReceipt(handle, &r) || r.queue_uid != q->uid() || r.nonce == 0 || r.nonce >= q->next_nonce) {
    return MakeError(QueueError::kReceiptHandleIsInvalid, "not a receipt handle of this queue");
  }
  Message* m = q->Find(r.message_seq);
  if (m == nullptr) return Status::OK();  // already deleted: SQS succeeds silently
  AddRecord(records, RecordType::kDelete, EncodeDelete(q->uid(), r.message_seq));
  q->Remove(r.message_seq);
  return Status::OK();
}

Status Engine::Delete(const std::string& name, const std::string& handle, int64_t now) {
  return WithQueue(name, now,
                   [&](Queue* q, std::string* records) { return DeleteLocked(q, handle, now, records); });
}

Status Engine::DeleteBatch(const std::string& name, const std::vector<std::string>& handles, int64_t now,
                           std::vector<Status>* out) {
  return WithQueue(name, now, [&](Queue* q, std::string* records) {
    out->clear();
    for (const std::string& h : handles) out->push_back(DeleteLocked(q, h, now, records));
    return Status::OK();  // entry errors are per entry
  });
}

Status Engine::ChangeVisibilityLocked(Queue* q, const std::string& handle, int64_t timeout_ms, int64_t now,
                                      std::string* records) {
  Receipt r;
  if (!DecodeReceipt(handle, &r) || r.queue_uid != q->uid() || r.nonce == 0 || r.nonce >= q->next_nonce) {
    return MakeError(QueueError::kReceiptHandleIsInvalid, "not a receipt handle of this queue");
  }
  Message* m = q->Find(r.message_seq);
  if (m == nullptr || m->state != MsgState::kInFlight || m->nonce != r.nonce) {
    return MakeError(QueueError::kMessageNotInflight, "the message is not in flight under this receipt handle");
  }
  const int64_t deadline = now + timeout_ms;
  AddRecord(records, RecordType::kVisibility,
            EncodeVisibility(VisibilityRec{q->uid(), m->seq, m->nonce, m->receive_count, m->first_receive_ms, deadline}));
  if (timeout_ms <= 0) {
    q->MakeVisible(*m);  // replay sets a past deadline, which the next access turns visible too
  } else {
    q->SetInFlight(*m, deadline);
  }
  return Status::OK();
}

Status Engine::ChangeVisibility(const std::string& name, const std::string& handle, int64_t timeout_ms, int64_t now) {
  return WithQueue(name, now, [&](Queue* q, std::string* records) {
    return ChangeVisibilityLocked(q, handle, timeout_ms, now, records);
  });
}

Status Engine::ChangeVisibilityBatch(const std::string& name,
                                     const std::vector<std::pair<std::string, int64_t>>& entries, int64_t now,
                                     std::vector<Status>* out) {
  return WithQueue(name, now, [&](Queue* q, std::string* records) {
    out->clear();
    for (const auto& [handle, timeout] : entries) {
      out->push_back(ChangeVisibilityLocked(q, handle, timeout, now, records));
    }
    return Status::OK();  // entry errors are per entry
  });
}

// ------------------------------------------------------------------------------ queue-wide

Status Engine::Purge(const std::string& name, int64_t now) {
  return Mutate([&](std::string* records) -> Status {
    Touch(now);
    Queue* q = nullptr;
    Status s = LookupLocked(name, &q);
    if (!s.ok()) return s;
    q->Clear();  // no Advance first: clearing drops whatever it would expire
    AddRecord(records, RecordType::kPurge, EncodeUidOnly(q->uid()));
    return Status::OK();
  });
}

Status Engine::GetStats(const std::string& name, int64_t now, QueueStats* stats) {
  return WithQueue(name, now, [&](Queue* q, std::string*) {
    *stats = q->Stats();
    return Status::OK();
  });
}

Status Engine::NextVisible(const std::string& name, int64_t now, int64_t* at) {
  return WithQueue(name, now, [&](Queue* q, std::string*) {
    *at = q->NextDeadline();
    return Status::OK();
  });
}

Status Engine::MoveMessages(const std::string& source, const std::string& destination, int64_t max_count,
                            int64_t now, uint64_t* moved) {
  *moved = 0;
  return Mutate([&](std::string* records) -> Status {
    Touch(now);
    Queue* src = nullptr;
    Queue* dst = nullptr;
    Status s = LookupLocked(source, &src);
    if (s.ok()) s = LookupLocked(destination, &dst);
    if (!s.ok()) return s;
    if (src == dst) return MakeError(QueueError::kInvalidArgument, "source and destination are the same queue");
    src->Advance(now);
    dst->Advance(now);
    while (max_count < 0 || *moved < static_cast<uint64_t>(max_count)) {
      Message* m = src->NextDeliverable();
      if (m == nullptr) break;
      MoveLocked(src, m, dst, now, /*record_source=*/false, records);
      ++*moved;
    }
    src->EndReceive();
    return Status::OK();
  });
}

Status Engine::MoveMessagesToSources(const std::string& dlq, int64_t max_count, int64_t now, uint64_t* moved) {
  *moved = 0;
  return Mutate([&](std::string* records) -> Status {
    Touch(now);
    Queue* src = nullptr;
    Status s = LookupLocked(dlq, &src);
    if (!s.ok()) return s;
    src->Advance(now);
    // Source queue name -> queue (nullptr: gone), each advanced to now once before it receives.
    std::unordered_map<std::string, Queue*> targets;
    // Messages that cannot go back stay detached until the scan ends: made visible at once they
    // would be handed out again by the same scan.
    std::vector<uint64_t> stay;
    while (max_count < 0 || *moved < static_cast<uint64_t>(max_count)) {
      Message* m = src->NextDeliverable();
      if (m == nullptr) break;
      Queue* dst = nullptr;
      if (!m->dead_letter_source.empty()) {
        auto [it, inserted] = targets.emplace(m->dead_letter_source, nullptr);
        if (inserted) {
          it->second = FindLocked(m->dead_letter_source);
          if (it->second == src) it->second = nullptr;
          if (it->second != nullptr) it->second->Advance(now);
        }
        dst = it->second;
      }
      if (dst == nullptr) {
        stay.push_back(m->seq);
        continue;
      }
      MoveLocked(src, m, dst, now, /*record_source=*/false, records);
      ++*moved;
    }
    src->EndReceive();
    // Visible before and visible again: nothing changed that the log has to know.
    for (uint64_t seq : stay) src->MakeVisible(*src->Find(seq));
    return Status::OK();
  });
}

// ------------------------------------------------------------------------------ compaction

uint64_t Engine::LiveEstimateLocked() const {
  uint64_t total = 0;
  for (const auto& [name, q] : queues_) {
    total += 128 + name.size() + q->config.dead_letter_target.size() + q->dedup.size() * 64 + q->live_log_bytes();
  }
  return total;
}

Status Engine::MaybeCompactLocked() {
  uint64_t size = wal_->size();
  if (size < next_compaction_check_) return Status::OK();
  if (static_cast<double>(size) > options_.compact_ratio * static_cast<double>(LiveEstimateLocked())) {
    return CompactLocked();
  }
  next_compaction_check_ = size + kCompactionCheckStep;
  return Status::OK();
}

Status Engine::CompactLocked() {
  const int64_t now = last_now_;
  Status s = wal_->Rewrite([&](const Wal::EmitFn& emit) -> Status {
    std::string buf;
    std::vector<const Message*> msgs;
    for (const auto& [name, q] : queues_) {
      buf.clear();
      CreateQueueRec r;
      r.uid = q->uid();
      r.name = name;
      r.fifo = q->fifo();
      r.next_seq = q->next_seq;
      r.next_sequence_number = q->next_sequence_number;
      r.next_nonce = q->next_nonce;
      AddRecord(&buf, RecordType::kCreateQueue, EncodeCreateQueue(r));
      AddRecord(&buf, RecordType::kConfigure, EncodeConfigure(q->uid(), q->config));
      q->dedup.ForEach([&](const std::string& key, const ExpiringMap<DedupValue>::Entry& e) {
        if (e.expires_ms > now) {
          AddRecord(&buf, RecordType::kDedup, EncodeDedup(DedupRec{q->uid(), key, e.value, e.expires_ms}));
        }
      });
      Status st = emit(buf);
      if (!st.ok()) return st;
      // Send order, so a standard queue's best-effort order and FIFO group order survive.
      msgs.clear();
      q->ForEachMessage([&](const Message& m) { msgs.push_back(&m); });
      std::sort(msgs.begin(), msgs.end(), [](const Message* a, const Message* b) { return a->seq < b->seq; });
      for (const Message* m : msgs) {
        buf.clear();
        AddRecord(&buf, RecordType::kMessage, EncodeMessage(q->uid(), *m, 0));
        st = emit(buf);
        if (!st.ok()) return st;
      }
    }
    return Status::OK();
  });
  if (!s.ok()) {
    // The old log is still complete unless Rewrite says the log itself failed (it then refuses
    // appends, and the next LogLocked marks the engine broken).
    next_compaction_check_ = wal_->size() + std::max<uint64_t>(options_.compact_min_bytes, kCompactionCheckStep);
    return Status::OK();
  }
  ++compactions_;
  // If the estimate undershoots the real snapshot size, wait for the log to double instead of
  // compacting again at once.
  const uint64_t size = wal_->size();
  const bool still_due = static_cast<double>(size) > options_.compact_ratio * static_cast<double>(LiveEstimateLocked());
  next_compaction_check_ = std::max<uint64_t>(options_.compact_min_bytes, still_due ? 2 * size : size + kCompactionCheckStep);
  return Status::OK();
}

Status Engine::Compact(bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = CheckUsableLocked();
  if (!s.ok() || !wal_) return s;
  if (!force) {
    if (static_cast<double>(wal_->size()) <= options_.compact_ratio * static_cast<double>(LiveEstimateLocked())) {
      return Status::OK();
    }
  }
  uint64_t before = compactions_;
  s = CompactLocked();
  if (s.ok() && compactions_ == before) s = Status::IOError("queue log compaction failed");
  return s;
}

Status Engine::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = CheckUsableLocked();
  if (!s.ok() || !wal_) return s;
  return wal_->Sync();
}

EngineStats Engine::GetEngineStats() {
  std::lock_guard<std::mutex> lock(mu_);
  EngineStats st;
  st.queues = queues_.size();
  for (const auto& [name, q] : queues_) {
    st.messages += q->size();
    st.memory_bytes += q->Stats().memory_bytes;
  }
  if (wal_) {
    st.log_bytes = wal_->size();
    st.live_log_bytes = LiveEstimateLocked();
    st.log_syncs = wal_->syncs();
  }
  st.compactions = compactions_;
  st.recovered_records = recovery_.records;
  st.truncated_bytes = recovery_.truncated_bytes;
  return st;
}

}  // namespace queue
}  // namespace pycloud
