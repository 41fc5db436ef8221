// JsonWriter: compact JSON text written the way the Python road's encoder writes it (no spaces,
// every non-ASCII character as a \uXXXX escape, surrogate pairs above U+FFFF), so an answer from
// the native front is byte for byte the answer the Python road would give.
#ifndef PYCLOUD_FRONT_JSON_WRITER_H_
#define PYCLOUD_FRONT_JSON_WRITER_H_

#include <string>
#include <string_view>
#include <vector>

namespace pycloud {
namespace front {

// Appends `utf8` as a quoted JSON string; bytes that are not valid UTF-8 become U+FFFD.
void AppendJsonString(std::string_view utf8, std::string* out);

class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view name);
  void String(std::string_view utf8);
  void Bool(bool value);
  const std::string& text() const { return out_; }

 private:
  void Separate();
  void Open(char c);
  void Close(char c);

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace front
}  // namespace pycloud

#endif  // PYCLOUD_FRONT_JSON_WRITER_H_
