// The stream translator factory, the adapter that puts the OpenAI passthrough relay behind the
// common interface, and the chain that composes two translators.
#include "protocols/stream_translator.hpp"

#include "protocols/anthropic_stream_relay.hpp"
#include "protocols/anthropic_to_openai_stream.hpp"
#include "protocols/gemini_to_openai_stream.hpp"
#include "protocols/openai_to_anthropic_stream.hpp"

namespace switchyard::protocols {

openai_relay_translator::openai_relay_translator(const stream_options& opts)
    : relay_(opts.include_usage, opts.max_event_bytes) {}

relay_state openai_relay_translator::feed(std::string_view upstream_bytes, std::string& out) {
  return relay_.feed(upstream_bytes, out);
}

bool openai_relay_translator::finish_eof(std::string&) {
  return relay_.state() == relay_state::done;
}

void openai_relay_translator::append_error_event(const error_info& e, std::string& out) const {
  out.append(openai_stream_error_event(e));
}

chained_stream_translator::chained_stream_translator(std::unique_ptr<stream_translator> first,
                                                     std::unique_ptr<stream_translator> second)
    : first_(std::move(first)), second_(std::move(second)) {}

relay_state chained_stream_translator::feed(std::string_view upstream_bytes, std::string& out) {
  if (state() != relay_state::open) return state();
  between_.clear();
  const relay_state first = first_->feed(upstream_bytes, between_);
  const relay_state second = second_->feed(between_, out);
  if (first == relay_state::malformed) return relay_state::malformed;
  return second;
}

bool chained_stream_translator::finish_eof(std::string& out) {
  between_.clear();
  if (!first_->finish_eof(between_)) return false;
  second_->feed(between_, out);
  return second_->finish_eof(out);
}

relay_state chained_stream_translator::state() const noexcept {
  const relay_state first = first_->state();
  if (first == relay_state::malformed) return first;
  return second_->state();
}

std::unique_ptr<stream_translator> make_stream_translator(dialect client, dialect upstream,
                                                          const stream_options& opts) {
  if (client == dialect::openai) {
    switch (upstream) {
      case dialect::openai:
        return std::make_unique<openai_relay_translator>(opts);
      case dialect::anthropic:
        return std::make_unique<anthropic_to_openai_stream>(opts);
      case dialect::gemini:
        return std::make_unique<gemini_to_openai_stream>(opts);
    }
  }
  if (client == dialect::anthropic) {
    switch (upstream) {
      case dialect::anthropic:
        return std::make_unique<anthropic_stream_relay>(opts);
      case dialect::openai:
        return std::make_unique<openai_to_anthropic_stream>(opts);
      case dialect::gemini: {
        // The first stage must hand over usage, so it always emits the usage chunk.
        stream_options inner = opts;
        inner.include_usage = true;
        inner.model = {};
        return std::make_unique<chained_stream_translator>(
            std::make_unique<gemini_to_openai_stream>(inner),
            std::make_unique<openai_to_anthropic_stream>(opts));
      }
    }
  }
  return nullptr;
}

}  // namespace switchyard::protocols
