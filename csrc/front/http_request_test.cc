#include "front/http_request.h"

#include <string>
#include <string_view>

#include "common/testharness.h"

using namespace pycloud::front;  // NOLINT

namespace {

const char kBody[] = "{\"QueueUrl\":\"http://localhost:4566/000000000000/q\",\"MessageBody\":\"hello\"}";

// A SendMessage request as botocore writes it.
std::string SqsRequest(std::string_view extra_headers = "") {
  std::string body = kBody;
  std::string r = "POST / HTTP/1.1\r\n";
  r += "Host: localhost:4566\r\n";
  r += "Accept-Encoding: identity\r\n";
  r += "X-Amz-Target: AmazonSQS.SendMessage\r\n";
  r += "Content-Type: application/x-amz-json-1.0\r\n";
  r += "User-Agent: Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux\r\n";
  r += "X-Amz-Date: 20240101T000000Z\r\n";
  r += "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc123\r\n";
  r += extra_headers;
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "\r\n";
  r += body;
  return r;
}

// Parses a request whose head is `head` (without the final blank line) and no body.
HttpParse ParseHead(const std::string& head) {
  HttpRequestView v;
  return ParseHttpRequest(head + "\r\n", &v);
}

bool IsUnsupported(const std::string& head) { return ParseHead(head) == HttpParse::kUnsupported; }

}  // namespace

TEST(HttpRequest, ParsesBotocoreSqsRequest) {
  const std::string data = SqsRequest();
  HttpRequestView v;
  CHECK(ParseHttpRequest(data, &v) == HttpParse::kComplete);
  CHECK_EQ(v.method, std::string_view("POST"));
  CHECK_EQ(v.target, std::string_view("/"));
  CHECK_EQ(v.headers.size(), size_t{8});
  CHECK_EQ(v.headers[0].name, std::string_view("Host"));
  CHECK_EQ(v.headers[0].value, std::string_view("localhost:4566"));
  CHECK_EQ(v.headers[2].name, std::string_view("X-Amz-Target"));
  CHECK_EQ(v.headers[7].name, std::string_view("Content-Length"));
  CHECK_EQ(v.body, std::string_view(kBody));
  CHECK_EQ(v.consumed, data.size());
  CHECK(v.keep_alive);
  const HttpHeader* target = v.Find("x-amz-target");
  CHECK(target != nullptr);
  if (target != nullptr) CHECK_EQ(target->value, std::string_view("AmazonSQS.SendMessage"));
  const HttpHeader* type = v.Find("content-type");
  CHECK(type != nullptr);
  if (type != nullptr) CHECK_EQ(type->value, std::string_view("application/x-amz-json-1.0"));
  CHECK(v.Find("x-amz-date") != nullptr);
  CHECK(v.Find("authorization") != nullptr);
  CHECK(v.Find("transfer-encoding") == nullptr);
  // Views point into the caller's buffer: no copies.
  CHECK(v.body.data() == data.data() + data.size() - v.body.size());
}

TEST(HttpRequest, EveryPrefixIsIncomplete) {
  const std::string data = SqsRequest();
  HttpRequestView v;
  size_t first_wrong = data.size();  // the shortest prefix not reported incomplete
  for (size_t len = 0; len < data.size(); ++len) {
    if (ParseHttpRequest(std::string_view(data.data(), len), &v) != HttpParse::kIncomplete) {
      first_wrong = len;
      break;
    }
  }
  CHECK_EQ(first_wrong, data.size());
  CHECK(ParseHttpRequest(data, &v) == HttpParse::kComplete);
}

TEST(HttpRequest, PipelinedRequests) {
  const std::string first = SqsRequest();
  const std::string second = "GET /health?x=1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string data = first + second + "POST / HT";  // and the start of a third
  HttpRequestView v;
  CHECK(ParseHttpRequest(data, &v) == HttpParse::kComplete);
  CHECK_EQ(v.consumed, first.size());
  CHECK_EQ(v.body, std::string_view(kBody));
  std::string_view rest = std::string_view(data).substr(v.consumed);
  CHECK(ParseHttpRequest(rest, &v) == HttpParse::kComplete);
  CHECK_EQ(v.method, std::string_view("GET"));
  CHECK_EQ(v.target, std::string_view("/health?x=1"));
  CHECK_EQ(v.consumed, second.size());
  CHECK(v.body.empty());
  rest = rest.substr(v.consumed);
  CHECK(ParseHttpRequest(rest, &v) == HttpParse::kIncomplete);
}

TEST(HttpRequest, NoContentLengthMeansNoBody) {
  HttpRequestView v;
  const std::string data = "GET / HTTP/1.1\r\nHost: h\r\n\r\nextra";
  CHECK(ParseHttpRequest(data, &v) == HttpParse::kComplete);
  CHECK(v.body.empty());
  CHECK_EQ(v.consumed, data.size() - 5);
  CHECK(ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(v.body.empty());
  CHECK(ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n1234567", &v) == HttpParse::kComplete);
  CHECK_EQ(v.body, std::string_view("1234567"));
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(v.headers.empty());
}

TEST(HttpRequest, ConnectionClose) {
  HttpRequestView v;
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(!v.keep_alive);
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nconnection: Keep-Alive , CLOSE\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(!v.keep_alive);
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(v.keep_alive);
  // "close" must be a whole token, not part of one.
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nConnection: closed, enclose\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(v.keep_alive);
  // A reused view starts over.
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK(v.keep_alive);
}

TEST(HttpRequest, TrimsHeaderValues) {
  HttpRequestView v;
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nA: \t  x  y \t \r\nB:z\r\nC:   \r\nD:\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK_EQ(v.headers.size(), size_t{4});
  CHECK_EQ(v.headers[0].value, std::string_view("x  y"));
  CHECK_EQ(v.headers[1].value, std::string_view("z"));
  CHECK(v.headers[2].value.empty());
  CHECK(v.headers[3].value.empty());
  // obs-text is allowed in values.
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nA: caf\xc3\xa9\r\n\r\n", &v) == HttpParse::kComplete);
  CHECK_EQ(v.headers[0].value, std::string_view("caf\xc3\xa9"));
}

TEST(HttpRequest, FindIsCaseInsensitive) {
  HttpRequestView v;
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nX-AMZ-Target: t\r\ncontent-type: c\r\n\r\n", &v) == HttpParse::kComplete);
  const HttpHeader* h = v.Find("x-amz-target");
  CHECK(h != nullptr);
  if (h != nullptr) CHECK_EQ(h->name, std::string_view("X-AMZ-Target"));
  CHECK(v.Find("CONTENT-TYPE") != nullptr);
  CHECK(v.Find("x-amz-targe") == nullptr);
  CHECK(v.Find("x-amz-target2") == nullptr);
}

TEST(HttpRequest, RejectsBadRequestLines) {
  CHECK(IsUnsupported("POST / HTTP/1.0\r\n"));
  CHECK(IsUnsupported("POST / HTTP/2.0\r\n"));
  CHECK(IsUnsupported("POST / http/1.1\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1 \r\n"));
  CHECK(IsUnsupported("post / HTTP/1.1\r\n"));
  CHECK(IsUnsupported(" POST / HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST  / HTTP/1.1\r\n"));
  CHECK(IsUnsupported("PO-ST / HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST * HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST http://h/ HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST /a\tb HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST /a\x01 HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST /a\x7f HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST /caf\xc3\xa9 HTTP/1.1\r\n"));
  CHECK(IsUnsupported("POST /\r\n"));
  CHECK(IsUnsupported("\r\n"));
  CHECK(IsUnsupported("PRI * HTTP/2.0\r\n\r\nSM\r\n"));
  // Garbage is reported as soon as it is seen, without waiting for the line to end.
  HttpRequestView v;
  CHECK(ParseHttpRequest("\x16\x03\x01", &v) == HttpParse::kUnsupported);  // a TLS hello
  CHECK(ParseHttpRequest("GET /x HTTP/1.0", &v) == HttpParse::kUnsupported);
  CHECK(ParseHttpRequest("GET /x HTTP/1.", &v) == HttpParse::kIncomplete);
}

TEST(HttpRequest, RejectsBareLineFeeds) {
  CHECK(IsUnsupported("POST / HTTP/1.1\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nHost: h\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nHost: h\rx\r\n"));
  HttpRequestView v;
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nHost: h\r\n\n", &v) == HttpParse::kUnsupported);
  CHECK(ParseHttpRequest("GET / HTTP/1.1\r\nHost: h\r\n\rx", &v) == HttpParse::kUnsupported);
}

TEST(HttpRequest, RejectsBadHeaderLines) {
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nA: 1\r\n  folded\r\n"));  // obs-fold
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nA: 1\r\n\tfolded\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\n Host: h\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nHost : h\r\n"));  // blank before the colon
  CHECK(IsUnsupported("GET / HTTP/1.1\r\n: h\r\n"));        // empty name
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nNo colon\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nBad(name): h\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nNa\xc3\xa9: h\r\n"));
  static const char kNul[] = "GET / HTTP/1.1\r\nA: x\0y\r\n";
  CHECK(IsUnsupported(std::string(kNul, sizeof(kNul) - 1)));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nA: x\x01y\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nA: x\x1fy\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nA: x\x7fy\r\n"));
  CHECK(!IsUnsupported("GET / HTTP/1.1\r\nA: x\ty\r\n"));  // tab is fine
  CHECK(!IsUnsupported("GET / HTTP/1.1\r\nX-Odd!#$%&'*+.^_`|~0: v\r\n"));  // every tchar
}

TEST(HttpRequest, RejectsRepeatedHeaders) {
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nX-Amz-Date: a\r\nx-amz-DATE: b\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n"));
  CHECK(!IsUnsupported("GET / HTTP/1.1\r\nX-A: a\r\nX-Ab: a\r\n"));
}

TEST(HttpRequest, HeaderCountLimit) {
  std::string head = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i < kMaxHeaders; ++i) head += "H" + std::to_string(i) + ": v\r\n";
  HttpRequestView v;
  CHECK(ParseHttpRequest(head + "\r\n", &v) == HttpParse::kComplete);
  CHECK_EQ(v.headers.size(), kMaxHeaders);
  CHECK(IsUnsupported(head + "One-More: v\r\n"));
}

TEST(HttpRequest, HeadSizeLimit) {
  const std::string start = "GET / HTTP/1.1\r\nBig: ";
  const std::string end = "\r\n\r\n";
  HttpRequestView v;
  // A head of exactly the limit is accepted, one byte more is not.
  std::string exact = start + std::string(kMaxHeadBytes - start.size() - end.size(), 'x') + end;
  CHECK_EQ(exact.size(), kMaxHeadBytes);
  CHECK(ParseHttpRequest(exact, &v) == HttpParse::kComplete);
  std::string over = start + std::string(kMaxHeadBytes - start.size() - end.size() + 1, 'x') + end;
  CHECK(ParseHttpRequest(over, &v) == HttpParse::kUnsupported);
  // An unfinished head is incomplete up to the limit and unsupported past it.
  std::string open = start + std::string(kMaxHeadBytes - start.size(), 'x');
  CHECK(ParseHttpRequest(open, &v) == HttpParse::kIncomplete);
  CHECK(ParseHttpRequest(open + "x", &v) == HttpParse::kUnsupported);
}

TEST(HttpRequest, RejectsFramingHeadersItDoesNotHandle) {
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nExpect: 100-continue\r\n"));
  CHECK(IsUnsupported("GET / HTTP/1.1\r\nUpgrade: websocket\r\n"));
  // Rejected even before the head is complete.
  HttpRequestView v;
  CHECK(ParseHttpRequest("POST / HTTP/1.1\r\nExpect: 100-continue\r\nHost: h", &v) == HttpParse::kUnsupported);
}

TEST(HttpRequest, RejectsOddContentLengths) {
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: \r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: +5\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: -1\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 1,1\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 1.0\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n"));
  CHECK(IsUnsupported("POST / HTTP/1.1\r\nContent-Length: 16777217\r\n"));
  // 16 MiB itself is allowed: the body is simply not there yet.
  CHECK(ParseHead("POST / HTTP/1.1\r\nContent-Length: 16777216\r\n") == HttpParse::kIncomplete);
  HttpRequestView v;
  CHECK(ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length:  3 \r\n\r\nabc", &v) == HttpParse::kComplete);
  CHECK_EQ(v.body, std::string_view("abc"));
}

int main() { return pycloud::test::RunAllTests(); }
