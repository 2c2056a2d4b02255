// One attempt against the in-process `mock` provider: answers like a small OpenAI-dialect chat
// model (or an embeddings model), paced by strand timers, under the same commit rule and events
// as HTTP; a client of another dialect gets the answer translated like an HTTP upstream's.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "protocols/openai_request.hpp"
#include "protocols/stream_translator.hpp"
#include "runtime/attempt_base.hpp"

namespace switchyard::runtime {

class mock_exchange final : public attempt_base {
 public:
  /// Embedding width of the mock when the request names no `dimensions`: 256 rather than
  /// OpenAI's 1536 keeps demo and benchmark responses small and fast.
  static constexpr std::size_t default_embedding_dimensions = 256;
  /// Largest `dimensions` the mock accepts (OpenAI's text-embedding-3-large maximum).
  static constexpr std::size_t max_embedding_dimensions = 3072;
  /// Words of the user's last message echoed in the default reply.
  static constexpr std::size_t echoed_words = 12;

  mock_exchange(actors::attempt_spec spec, std::shared_ptr<client_channel> channel);

  void start() override;

  /// The reply words for `req` (exposed for tests): "Hello from Switchyard's demo provider. You
  /// said: <first 12 words of the last user message>", or exactly `reply_tokens` words cycling
  /// through that text when `reply_tokens` > 0.
  static std::vector<std::string> reply_words(const protocols::inbound_request& req,
                                              std::uint32_t reply_tokens);

 private:
  std::shared_ptr<mock_exchange> self() {
    return std::static_pointer_cast<mock_exchange>(shared_from_this());
  }

  bool prepare_chat(const protocols::inbound_request& req);
  // Stream frames are made one at a time (memory stays at the word list even for huge replies):
  // 0 = role chunk, 1..n = one word each, n+1 = finish chunk, then the usage chunk when the
  // client asked for it, then [DONE].
  std::size_t frame_count() const noexcept;
  std::string frame_at(std::size_t i) const;
  bool frame_paced(std::size_t i) const noexcept { return i >= 2 && i <= words_.size(); }
  bool prepare_embeddings(const protocols::inbound_request& req);
  void on_first_byte();
  // Writes stream bytes, translated for a client of another dialect.
  write_result write_frames(std::string frames);
  void pump();
  void schedule_next();
  void on_resume() override;
  void stop_io() override;

  boost::asio::steady_timer pace_timer_;
  std::uint64_t pace_generation_ = 0;
  std::chrono::nanoseconds interval_{0};  // between tokens; 0 = as fast as the client reads
  unsigned status_ = 200;                 // of a non-stream answer
  std::string whole_body_;                // non-stream answer
  bool streaming_answer_ = false;         // a chat stream (else whole_body_ is the answer)
  std::vector<std::string> words_;        // stream answer
  std::string id_;
  std::string model_;
  std::int64_t created_ = 0;
  protocols::usage final_usage_;
  bool emit_usage_ = false;  // the usage chunk is sent (the client asked, or it is translated)
  std::unique_ptr<protocols::stream_translator> translator_;  // for a non-OpenAI client
  std::size_t next_ = 0;  // next stream frame
  bool due_ = false;      // the pace timer released the next paced frame
};

}  // namespace switchyard::runtime
