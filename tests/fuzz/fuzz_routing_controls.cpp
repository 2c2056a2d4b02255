// Fuzzes the OpenRouter routing controls decoder and the `provider` tagging of answers: decode
// errors are 400s naming a control with a bounded message; what decodes respects the bounds; a
// tagged JSON object stays JSON and names the provider once.
#include "fuzz_support.hpp"

#include <algorithm>

#include "protocols/provider_tag.hpp"
#include "protocols/routing_controls.hpp"

using namespace switchyard::protocols;

namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void check_controls(const rapidjson::Value& root) {
  routing_controls c;
  if (auto e = decode_routing_controls(root, c)) {
    fuzz::require(e->code == gateway_error::bad_request, "control error is not a 400");
    fuzz::require(
        starts_with(e->param, "models") || starts_with(e->param, "provider") || e->param == "route",
        "control error names no control");
    fuzz::require(e->message.size() < 2048, "control error message is unbounded");
    return;
  }
  for (const auto* list : {&c.fallback_models, &c.order, &c.only, &c.ignore})
    fuzz::require(list->size() <= max_control_list, "a control list exceeds its bound");
  for (std::size_t i = 0; i < c.fallback_models.size(); ++i)
    fuzz::require(
        std::count(c.fallback_models.begin(), c.fallback_models.end(), c.fallback_models[i]) == 1,
        "a fallback model is listed twice");
  fuzz::require(!c.max_prompt_price || *c.max_prompt_price >= 0, "negative prompt price");
  fuzz::require(!c.max_completion_price || *c.max_completion_price >= 0,
                "negative completion price");
}

void check_tagging(std::string_view in, const rapidjson::Document& doc) {
  const auto tagged = add_provider_member(std::string{in}, "p");
  // RapidJSON accepts some stray bytes before a document; the tagger only splices after a
  // leading `{` (whitespace aside) and leaves anything else unchanged.
  const auto first = in.find_first_not_of(" \t\r\n");
  if (doc.IsObject() && first != std::string_view::npos && in[first] == '{') {
    rapidjson::Document out;
    out.Parse(tagged.data(), tagged.size());
    fuzz::require(!out.HasParseError() && out.IsObject(), "a tagged object is not JSON");
    fuzz::require(out.HasMember("provider"), "a tagged object names no provider");
    if (!doc.HasMember("provider"))
      fuzz::require(out.MemberCount() == doc.MemberCount() + 1, "tagging changed other members");
  }
  // Events: never loses a byte of a line that is not a data line.
  const auto events = add_provider_to_events(in, "p");
  fuzz::require(events.size() >= in.size(), "tagging events lost bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::view(data, size);
  rapidjson::Document doc;
  doc.Parse(in.data(), in.size());
  if (!doc.HasParseError()) {
    if (doc.IsObject()) check_controls(doc);
  }
  check_tagging(in, doc);
  return 0;
}
