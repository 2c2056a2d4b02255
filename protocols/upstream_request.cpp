// Encoding one attempt's upstream request (see upstream_request.hpp).
#include "protocols/upstream_request.hpp"

#include <algorithm>
#include <utility>

#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"

namespace switchyard::protocols {

namespace {

result<upstream_request, error_info> from_encoded(result<encoded_body, error_info> enc,
                                                  std::string path) {
  if (!enc.ok()) return std::move(enc).error();
  auto& e = enc.value();
  return upstream_request{std::move(path), std::move(e.body), std::move(e.dropped)};
}

// The canonical form of an OpenAI client's request, built only when an attempt crosses dialects.
result<canonical_request, error_info> canonical_of(const inbound_request& req) {
  if (req.canonical) return *req.canonical;
  return openai_chat_to_canonical(req);
}

}  // namespace

result<upstream_request, error_info> encode_upstream_request(const inbound_request& req,
                                                             const upstream_target& target) {
  if (req.kind == api_kind::embeddings) {
    if (target.upstream != dialect::openai)
      return make_error(gateway_error::bad_request,
                        "This model's target speaks the " +
                            std::string{dialect_name(target.upstream)} +
                            " dialect, which has no embeddings endpoint the gateway can use.",
                        "model");
    return upstream_request{"/embeddings", encode_openai_upstream(req, target.model), {}};
  }

  if (req.client == target.upstream) {
    if (req.client == dialect::openai)
      return upstream_request{"/chat/completions",
                              encode_openai_upstream(req, target.model, target.max_tokens,
                                                     target.legacy_max_tokens),
                              {}};
    if (req.client == dialect::anthropic && req.canonical)
      return upstream_request{
          "/messages", encode_anthropic_passthrough(*req.canonical, target.model, target.max_tokens),
          {}};
  }

  auto canonical = canonical_of(req);
  if (!canonical.ok()) return std::move(canonical).error();
  canonical_request& c = canonical.value();
  if (target.max_tokens) {
    c.max_tokens = std::min(c.max_tokens.value_or(*target.max_tokens), *target.max_tokens);
    // A client that sent both OpenAI limits keeps the legacy one as a verbatim extra: it must
    // not carry the uncapped value past the cap.
    std::erase_if(c.extras, [](const extra_member& e) {
      return e.within.empty() && e.key == "max_tokens";
    });
  }
  switch (target.upstream) {
    case dialect::openai: {
      openai_encode_options opts;
      opts.drop_unsupported = target.drop_unsupported;
      return from_encoded(encode_openai_chat_request(c, target.model, opts), "/chat/completions");
    }
    case dialect::anthropic: {
      anthropic_encode_options opts;
      opts.drop_unsupported = target.drop_unsupported;
      return from_encoded(encode_anthropic_request(c, target.model, opts), "/messages");
    }
    case dialect::gemini: {
      gemini_encode_options opts;
      opts.drop_unsupported = target.drop_unsupported;
      opts.api_version = {};  // the provider's base URL ends with it
      auto enc = encode_gemini_request(c, target.model, opts);
      if (!enc.ok()) return std::move(enc).error();
      auto& g = enc.value();
      return upstream_request{std::move(g.path), std::move(g.body), std::move(g.dropped)};
    }
  }
  return make_error(gateway_error::internal, "unknown upstream dialect");
}

inbound_request inbound_from_anthropic(canonical_request req) {
  inbound_request in;
  in.kind = api_kind::chat_completions;
  in.client = dialect::anthropic;
  in.model = req.model;
  in.stream = req.stream;
  in.include_usage = true;  // Anthropic streams always carry usage
  in.max_tokens = req.max_tokens;
  in.prompt_tokens_estimate = req.prompt_tokens_estimate;
  in.json = req.original;
  in.canonical = std::make_shared<const canonical_request>(std::move(req));
  return in;
}

}  // namespace switchyard::protocols
