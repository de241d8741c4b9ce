#include "server/rpc/request_parser.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace glossa::server {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::UnknownField;
using ::google::protobuf::UnknownFieldSet;

// Walks the wire format without a schema and finds the string field that
// is not UTF-8. NotFound when nothing explains the parse failure.
absl::Status FindBadString(absl::string_view bytes,
                           const Descriptor* descriptor,
                           const std::string& prefix) {
  UnknownFieldSet fields;
  if (!fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::NotFoundError("malformed");
  }
  absl::flat_hash_map<int, int> seen;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    if (field.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* fd = descriptor->FindFieldByNumber(field.number());
    if (fd == nullptr) continue;
    std::string name = prefix + fd->name();
    if (fd->is_repeated())
      absl::StrAppend(&name, "[", seen[fd->number()]++, "]");
    const std::string& value = field.length_delimited();
    if (fd->type() == FieldDescriptor::TYPE_STRING) {
      if (absl::Status utf8 = base::CheckUtf8(name, value); !utf8.ok()) {
        return utf8;
      }
    } else if (fd->type() == FieldDescriptor::TYPE_MESSAGE) {
      absl::Status status =
          FindBadString(value, fd->message_type(), name + ".");
      if (!absl::IsNotFound(status)) return status;
    }
  }
  return absl::NotFoundError("no bad string");
}

}  // namespace

absl::Status ParseRequest(absl::string_view bytes,
                          google::protobuf::Message* message) {
  if (message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::OkStatus();
  }
  const Descriptor* descriptor = message->GetDescriptor();
  absl::Status status = FindBadString(bytes, descriptor, "");
  if (!absl::IsNotFound(status)) return status;
  return absl::InvalidArgumentError(absl::StrCat(
      "the request is not a valid ", descriptor->full_name(), " message"));
}

}  // namespace glossa::server
