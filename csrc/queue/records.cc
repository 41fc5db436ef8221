#include "queue/records.h"

#include <cstring>

#include "objstore/coding.h"

namespace pycloud {
namespace queue {
namespace {

using objstore::Decoder;
using objstore::PutBytes;
using objstore::PutFixed64;
using objstore::PutVarint64;

// Times are signed; zigzag keeps small magnitudes of either sign short.
void PutTime(std::string* out, int64_t v) {
  PutVarint64(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
bool GetTime(Decoder* d, int64_t* v) {
  uint64_t u;
  if (!d->Varint(&u)) return false;
  *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}
bool GetU32(Decoder* d, uint32_t* v) {
  uint64_t u;
  if (!d->Varint(&u) || u > UINT32_MAX) return false;
  *v = static_cast<uint32_t>(u);
  return true;
}

// Message ids are stored as their raw 16 bytes.
void PutId(std::string* out, const MessageId& id) { out->append(reinterpret_cast<const char*>(id.data()), id.size()); }
bool GetId(Decoder* d, MessageId* id) {
  std::string_view raw;
  if (!d->Raw(id->size(), &raw)) return false;
  std::memcpy(id->data(), raw.data(), id->size());
  return true;
}

std::string Start(uint64_t uid) {
  std::string out;
  PutFixed64(&out, uid);
  return out;
}

}  // namespace

bool DecodeUid(std::string_view payload, uint64_t* uid) {
  Decoder d(payload);
  return d.Fixed64(uid);
}

std::string EncodeCreateQueue(const CreateQueueRec& r) {
  std::string out = Start(r.uid);
  PutBytes(&out, r.name);
  PutVarint64(&out, r.fifo ? 1 : 0);
  PutVarint64(&out, r.next_seq);
  PutVarint64(&out, r.next_sequence_number);
  PutVarint64(&out, r.next_nonce);
  return out;
}

bool DecodeCreateQueue(std::string_view p, CreateQueueRec* r) {
  Decoder d(p);
  uint64_t fifo;
  return d.Fixed64(&r->uid) && d.Bytes(&r->name) && d.Varint(&fifo) && d.Varint(&r->next_seq) &&
         d.Varint(&r->next_sequence_number) && d.Varint(&r->next_nonce) && d.done() && ((r->fifo = fifo != 0), true);
}

std::string EncodeUidOnly(uint64_t uid) { return Start(uid); }

std::string EncodeConfigure(uint64_t uid, const QueueConfig& c) {
  std::string out = Start(uid);
  PutTime(&out, c.visibility_timeout_ms);
  PutTime(&out, c.delay_ms);
  PutTime(&out, c.retention_ms);
  PutTime(&out, c.max_message_bytes);
  PutVarint64(&out, (c.content_based_dedup ? 1 : 0) | (c.dedup_scope_group ? 2 : 0));
  PutBytes(&out, c.dead_letter_target);
  PutVarint64(&out, c.max_receive_count);
  return out;
}

bool DecodeConfigure(std::string_view p, uint64_t* uid, QueueConfig* c) {
  Decoder d(p);
  uint64_t flags;
  if (!(d.Fixed64(uid) && GetTime(&d, &c->visibility_timeout_ms) && GetTime(&d, &c->delay_ms) &&
        GetTime(&d, &c->retention_ms) && GetTime(&d, &c->max_message_bytes) && d.Varint(&flags) &&
        d.Bytes(&c->dead_letter_target) && GetU32(&d, &c->max_receive_count) && d.done())) {
    return false;
  }
  c->content_based_dedup = (flags & 1) != 0;
  c->dedup_scope_group = (flags & 2) != 0;
  return true;
}

std::string EncodeMessage(uint64_t uid, const Message& m, uint64_t flags) {
  std::string out = Start(uid);
  out.reserve(96 + m.body.size() + m.attributes.size() + m.group_id.size() + m.dedup_id.size());
  PutVarint64(&out, m.seq);
  PutId(&out, m.id);
  PutVarint64(&out, flags);
  PutVarint64(&out, static_cast<uint64_t>(m.state));
  PutTime(&out, m.sent_ms);
  PutTime(&out, m.retain_from_ms);
  PutTime(&out, m.visible_at_ms);
  PutTime(&out, m.first_receive_ms);
  PutVarint64(&out, m.receive_count);
  PutVarint64(&out, m.nonce);
  PutVarint64(&out, m.sequence_number);
  PutBytes(&out, m.group_id);
  PutBytes(&out, m.dedup_id);
  PutBytes(&out, m.dead_letter_source);
  PutBytes(&out, m.attributes);
  PutBytes(&out, m.body);
  return out;
}

bool DecodeMessage(std::string_view p, uint64_t* uid, Message* m, uint64_t* flags) {
  Decoder d(p);
  uint64_t state;
  if (!(d.Fixed64(uid) && d.Varint(&m->seq) && GetId(&d, &m->id) && d.Varint(flags) && d.Varint(&state) &&
        state <= static_cast<uint64_t>(MsgState::kInFlight) && GetTime(&d, &m->sent_ms) &&
        GetTime(&d, &m->retain_from_ms) && GetTime(&d, &m->visible_at_ms) && GetTime(&d, &m->first_receive_ms) &&
        GetU32(&d, &m->receive_count) && d.Varint(&m->nonce) && d.Varint(&m->sequence_number) &&
        d.Bytes(&m->group_id) && d.Bytes(&m->dedup_id) && d.Bytes(&m->dead_letter_source) &&
        d.Bytes(&m->attributes) && d.Bytes(&m->body) && d.done())) {
    return false;
  }
  m->state = static_cast<MsgState>(state);
  return true;
}

std::string EncodeDelete(uint64_t uid, uint64_t seq) {
  std::string out = Start(uid);
  PutVarint64(&out, seq);
  return out;
}

bool DecodeDelete(std::string_view p, uint64_t* uid, uint64_t* seq) {
  Decoder d(p);
  return d.Fixed64(uid) && d.Varint(seq) && d.done();
}

std::string EncodeVisibility(const VisibilityRec& r) {
  std::string out = Start(r.uid);
  PutVarint64(&out, r.seq);
  PutVarint64(&out, r.nonce);
  PutVarint64(&out, r.receive_count);
  PutTime(&out, r.first_receive_ms);
  PutTime(&out, r.deadline);
  return out;
}

bool DecodeVisibility(std::string_view p, VisibilityRec* r) {
  Decoder d(p);
  return d.Fixed64(&r->uid) && d.Varint(&r->seq) && d.Varint(&r->nonce) && GetU32(&d, &r->receive_count) &&
         GetTime(&d, &r->first_receive_ms) && GetTime(&d, &r->deadline) && d.done();
}

std::string EncodeDedup(const DedupRec& r) {
  std::string out = Start(r.uid);
  PutBytes(&out, r.key);
  PutId(&out, r.value.id);
  PutVarint64(&out, r.value.sequence_number);
  PutTime(&out, r.expires_ms);
  return out;
}

bool DecodeDedup(std::string_view p, DedupRec* r) {
  Decoder d(p);
  return d.Fixed64(&r->uid) && d.Bytes(&r->key) && GetId(&d, &r->value.id) && d.Varint(&r->value.sequence_number) &&
         GetTime(&d, &r->expires_ms) && d.done();
}

}  // namespace queue
}  // namespace pycloud
