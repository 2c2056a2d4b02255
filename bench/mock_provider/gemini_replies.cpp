// The mock provider's Gemini routes, requests, GenerateContentResponses (whole and streamed) and
// error bodies, written field by field after Google's published REST shapes.
#include "bench/mock_provider/gemini_replies.hpp"

#include <rapidjson/error/en.h>

#include "bench/mock_provider/wire.hpp"
#include "protocols/percent_decode.hpp"

namespace switchyard::mock {

namespace {

using rapidjson::Value;
using wire::json_writer;
using wire::write_string;

constexpr std::string_view models_segment = "/models/";

// Google's canonical status names by HTTP status; other 4xx are INVALID_ARGUMENT, other 5xx
// INTERNAL.
constexpr std::pair<unsigned, std::string_view> status_names[] = {
    {401, "UNAUTHENTICATED"}, {403, "PERMISSION_DENIED"},  {404, "NOT_FOUND"},
    {409, "ABORTED"},         {429, "RESOURCE_EXHAUSTED"}, {499, "CANCELLED"},
    {501, "UNIMPLEMENTED"},   {503, "UNAVAILABLE"},        {504, "DEADLINE_EXCEEDED"},
};

std::string_view view_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

const Value* member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string_view string_member(const Value& obj, const char* name) {
  const Value* v = member(obj, name);
  return v != nullptr && v->IsString() ? view_of(*v) : std::string_view{};
}

// Bytes of text in a content's parts, and whether one of them mentions the trigger.
std::size_t text_bytes(const Value& content, bool* mentions_trigger = nullptr) {
  const Value* parts = member(content, "parts");
  std::size_t n = 0;
  if (parts == nullptr || !parts->IsArray()) return n;
  for (const auto& p : parts->GetArray()) {
    auto text = string_member(p, "text");
    n += text.size();
    if (mentions_trigger != nullptr && text.find(tool_call_trigger) != std::string::npos) {
      *mentions_trigger = true;
    }
  }
  return n;
}

std::optional<request_error> check_contents(const Value& root) {
  const Value* contents = member(root, "contents");
  if (contents == nullptr || !contents->IsArray() || contents->Empty()) {
    return request_error{400, "GenerateContentRequest.contents: contents is not specified",
                         "contents"};
  }
  for (rapidjson::SizeType i = 0; i < contents->Size(); ++i) {
    const Value* parts = member((*contents)[i], "parts");
    if (parts == nullptr || !parts->IsArray()) {
      const std::string at = "contents[" + std::to_string(i) + "].parts";
      return request_error{400, "GenerateContentRequest." + at + ": must be an array of parts", at};
    }
  }
  return std::nullopt;
}

// One GenerateContentResponse whose candidate's one part is `text`, or the function call when
// `text` is null; the last one of a reply also carries the finish reason and the usage.
std::string response(const reply_context& r, const std::string* text, bool last) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("candidates");
  w.StartArray();
  w.StartObject();
  w.Key("content");
  w.StartObject();
  w.Key("parts");
  w.StartArray();
  w.StartObject();
  if (text == nullptr) {
    w.Key("functionCall");
    w.StartObject();
    w.Key("name");
    write_string(w, r.script.tool_name);
    w.Key("args");
    w.RawValue(tool_call_arguments.data(), tool_call_arguments.size(), rapidjson::kObjectType);
    w.EndObject();
  } else {
    w.Key("text");
    write_string(w, *text);
  }
  w.EndObject();
  w.EndArray();
  w.Key("role");
  w.String("model");
  w.EndObject();
  if (last) {
    w.Key("finishReason");
    w.String(r.script.end == protocols::finish_reason::length ? "MAX_TOKENS" : "STOP");
  }
  w.Key("index");
  w.Uint(0);
  w.EndObject();
  w.EndArray();
  if (last) {
    wire::write_usage_counts(w, "usageMetadata",
                             {"promptTokenCount", "candidatesTokenCount", "totalTokenCount"},
                             r.script.prompt_tokens, r.script.pieces());
  }
  w.Key("modelVersion");
  write_string(w, r.model);
  w.Key("responseId");
  write_string(w, r.id);
  w.EndObject();
  return wire::to_string(buf);
}

}  // namespace

std::optional<gemini_call> parse_gemini_path(std::string_view path) {
  auto colon = path.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto method = path.substr(colon + 1);
  if (method != "generateContent" && method != "streamGenerateContent") return std::nullopt;
  auto resource = path.substr(0, colon);
  auto models = resource.rfind(models_segment);
  if (models == std::string_view::npos) return std::nullopt;
  auto model = resource.substr(models + models_segment.size());
  if (model.empty() || model.find('/') != std::string_view::npos) return std::nullopt;
  return gemini_call{protocols::percent_decode(model), method == "streamGenerateContent"};
}

std::string_view query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

protocols::result<reply_request, request_error> decode_gemini_reply_request(std::string_view target,
                                                                            std::string_view body) {
  auto path = target.substr(0, target.find('?'));
  auto call = parse_gemini_path(path);
  if (!call) return request_error{404, "No Gemini method at " + std::string(path) + ".", {}};
  if (call->stream && query_param(target, "alt") != "sse") {
    return request_error{400,
                         "mock_provider streams Gemini replies only as Server-Sent Events: add "
                         "?alt=sse to :streamGenerateContent.",
                         "alt"};
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    std::string why = doc.HasParseError() ? rapidjson::GetParseError_En(doc.GetParseError())
                                          : "the body is not a JSON object";
    return request_error{400, "Invalid JSON payload received. " + why, {}};
  }
  if (auto e = check_contents(doc)) return std::move(*e);

  reply_request r;
  r.model = std::move(call->model);
  r.stream = call->stream;
  if (const Value* config = member(doc, "generationConfig")) {
    const Value* max = member(*config, "maxOutputTokens");
    if (max != nullptr && !max->IsNull()) {
      if (!max->IsUint()) {
        return request_error{
            400, "GenerateContentRequest.generationConfig.max_output_tokens: must be an integer",
            "generationConfig.maxOutputTokens"};
      }
      r.max_tokens = max->GetUint();
    }
  }
  std::size_t bytes = 0;
  for (const auto& content : doc["contents"].GetArray()) bytes += text_bytes(content);
  if (const Value* system = member(doc, "systemInstruction")) bytes += text_bytes(*system);
  r.prompt_tokens = estimate_tokens(bytes);
  r.tool = tool_to_call(gemini_tool_offer(doc));
  return r;
}

tool_offer gemini_tool_offer(const Value& request) {
  tool_offer offer;
  const Value* tools = member(request, "tools");
  if (tools == nullptr || !tools->IsArray()) return offer;
  for (const auto& t : tools->GetArray()) {
    const Value* declarations = member(t, "functionDeclarations");
    if (declarations == nullptr || !declarations->IsArray() || declarations->Empty()) continue;
    offer.first_tool = std::string(string_member((*declarations)[0], "name"));
    if (!offer.first_tool.empty()) break;
  }
  if (offer.first_tool.empty()) return offer;
  const Value* config = member(request, "toolConfig");
  const Value* calling = config != nullptr ? member(*config, "functionCallingConfig") : nullptr;
  if (calling != nullptr) {
    auto mode = string_member(*calling, "mode");
    if (mode == "NONE") offer.mode = tool_mode::none;
    if (mode == "ANY") {
      offer.mode = tool_mode::required;
      const Value* allowed = member(*calling, "allowedFunctionNames");
      if (allowed != nullptr && allowed->IsArray() && !allowed->Empty() &&
          (*allowed)[0].IsString()) {
        offer.mode = tool_mode::specific;
        offer.forced_tool = std::string(view_of((*allowed)[0]));
      }
    }
  }
  const auto& contents = request["contents"];  // decode_gemini_reply_request checked it
  const auto& last = contents[contents.Size() - 1];
  auto role = string_member(last, "role");
  if (role.empty() || role == "user") text_bytes(last, &offer.prompted);
  return offer;
}

std::optional<request_error> gemini_auth_error(std::string_view header_key,
                                               std::string_view query_key,
                                               std::string_view expected_key) {
  auto key = header_key.empty() ? query_key : header_key;
  if (key.empty()) {
    return request_error{403,
                         "Method doesn't allow unregistered callers (callers without established "
                         "identity). Please use API Key or other form of API consumer identity "
                         "to call this API.",
                         {}};
  }
  if (key != expected_key) {
    return request_error{400, "API key not valid. Please pass a valid API key.", {}};
  }
  return std::nullopt;
}

std::string gemini_response_body(const reply_context& r) {
  if (r.script.calls_tool()) return response(r, nullptr, true);
  auto text = reply_text(r.script.tokens);
  return response(r, &text, true);
}

frame_layout gemini_layout(const reply_context& r) {
  return {false, r.script.calls_tool() ? 1u : r.script.tokens, false, false};
}

void append_gemini_frame(const reply_context& r, stream_step step, std::uint32_t piece,
                         std::string& out) {
  constexpr std::string_view crlf = "\r\n";
  if (step == stream_step::piece) {
    if (r.script.calls_tool()) return wire::append_sse_data(out, response(r, nullptr, false), crlf);
    std::string token;
    append_reply_token(token, piece);
    return wire::append_sse_data(out, response(r, &token, false), crlf);
  }
  if (step == stream_step::finish) {
    const std::string empty;
    wire::append_sse_data(out, response(r, &empty, true), crlf);
  }
  // Gemini has no opening, separate usage or terminal event.
}

std::string gemini_error_body(unsigned status, std::string_view message) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.Uint(status);
  w.Key("message");
  write_string(w, message);
  w.Key("status");
  write_string(w, wire::status_name(status, status_names, "INVALID_ARGUMENT", "INTERNAL"));
  w.EndObject();
  w.EndObject();
  return wire::to_string(buf);
}

}  // namespace switchyard::mock
