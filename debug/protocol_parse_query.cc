// SPDX-License-Identifier: MIT
// General query packets (gdb manual, "General Query Packets"): the q… requests. Names end at the
// first ':' or ','; "qC" and "qCRC:…" are different packets, so names are compared whole.
//
//   "qXfer:features:read:target.xml:1000,ffb" → ReadXfer{"features", "target.xml", 0x1000, 0xffb}
//   "qRcmd,696e666f" → MonitorCommand{"info"}
#include "debug/protocol_fields.h"

namespace rwd::gdb::fields {

Request parse_query(std::string_view payload) {
  std::string_view name = payload, args;
  size_t end = payload.find_first_of(":,");
  bool has_args = end != std::string_view::npos;
  if (has_args) {
    name = payload.substr(0, end);
    args = payload.substr(end + 1);
  }
  if (!has_args) {
    if (name == "qC") return QueryCurrentThread{};
    if (name == "qfThreadInfo") return QueryThreadList{true};
    if (name == "qsThreadInfo") return QueryThreadList{false};
    if (name == "qAttached") return QueryAttached{};
    if (name == "qOffsets") return QueryOffsets{};
    if (name == "qTStatus") return QueryTraceStatus{};
    if (name == "qSupported") return QuerySupported{};
    return unsupported(payload);
  }
  char sep = payload[end];
  if (name == "qSupported" && sep == ':') {
    QuerySupported query;
    std::string_view feature;
    while (!args.empty()) {
      std::string_view rest;
      if (!split(args, ';', feature, rest)) {
        feature = args;
        rest = {};
      }
      if (!feature.empty()) query.features.emplace_back(feature);
      args = rest;
    }
    return query;
  }
  if (name == "qXfer" && sep == ':') {
    std::string_view object, op, annex_and_range, annex, range;
    if (!split(args, ':', object, args) || !split(args, ':', op, annex_and_range))
      return bad("missing ':'");
    if (op != "read") return unsupported(payload);
    size_t last = annex_and_range.rfind(':');
    if (last == std::string_view::npos) return bad("missing ':'");
    annex = annex_and_range.substr(0, last);
    range = annex_and_range.substr(last + 1);
    ReadXfer xfer{std::string(object), std::string(annex), 0, 0};
    std::string_view offset_text, length_text;
    if (!split(range, ',', offset_text, length_text) || !parse_hex_u64(offset_text, xfer.offset) ||
        !parse_hex_u64(length_text, xfer.length) || xfer.length > kMaxPacketBytes)
      return bad("bad qXfer offset or length");
    return xfer;
  }
  if (name == "qRcmd" && sep == ',') {
    std::vector<uint8_t> bytes;
    if (!from_hex(args, bytes)) return bad("bad qRcmd hex");
    return MonitorCommand{std::string(bytes.begin(), bytes.end())};
  }
  if (name == "qThreadExtraInfo" && sep == ',') {
    QueryThreadExtraInfo query;
    if (!parse_thread_id(args, query.thread)) return bad("bad thread id");
    return query;
  }
  if (name == "qAttached" && sep == ':') {
    int64_t pid;
    if (!parse_id(args, pid)) return bad("bad pid");
    return QueryAttached{pid};
  }
  if (name == "qSymbol" && sep == ':') return QuerySymbol{std::string(args)};
  return unsupported(payload);
}

}  // namespace rwd::gdb::fields
