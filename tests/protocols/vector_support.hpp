// Shared by the dialect codec and stream translation tests: loads golden vectors, compares JSON by
// value (member order ignored) and event streams event by event, and feeds a stream to a
// translator in every kind of split.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocols/sse.hpp"
#include "protocols/stream_translator.hpp"

namespace vectors {

/// The contents of tests/protocols/vectors/<name>.
inline std::string load(const std::string& name) {
  std::ifstream in(std::string(PROTOCOLS_VECTORS_DIR) + "/" + name, std::ios::binary);
  INFO("vector " << name);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

inline rapidjson::Document parse(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  INFO("JSON: " << json);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

namespace detail {

inline void write_sorted(rapidjson::Writer<rapidjson::StringBuffer>& w, const rapidjson::Value& v) {
  if (v.IsObject()) {
    std::vector<const rapidjson::Value::Member*> members;
    for (const auto& m : v.GetObject()) members.push_back(&m);
    std::sort(members.begin(), members.end(), [](auto* a, auto* b) {
      return std::string_view(a->name.GetString(), a->name.GetStringLength()) <
             std::string_view(b->name.GetString(), b->name.GetStringLength());
    });
    w.StartObject();
    for (const auto* m : members) {
      w.Key(m->name.GetString(), m->name.GetStringLength());
      write_sorted(w, m->value);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto& x : v.GetArray()) write_sorted(w, x);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

}  // namespace detail

/// `json` with object members sorted by name: equal for equal JSON values, readable in a diff.
inline std::string normalized(std::string_view json) {
  const auto d = parse(json);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  detail::write_sorted(w, d);
  return std::string(buf.GetString(), buf.GetSize());
}

/// One SSE event, copied out of the parser.
struct event {
  std::string name;
  std::string data;
};

inline std::vector<event> events_of(std::string_view stream) {
  std::vector<event> out;
  switchyard::protocols::sse_parser parser;
  REQUIRE(parser.feed(stream, [&](const switchyard::protocols::sse_event& ev) {
    out.push_back({std::string(ev.event), std::string(ev.data)});
  }));
  CHECK(parser.idle());
  return out;
}

/// Compares two event streams event by event; JSON data by value.
inline void check_same_events(std::string_view actual, std::string_view expected) {
  const auto a = events_of(actual);
  const auto e = events_of(expected);
  for (std::size_t i = 0; i < std::min(a.size(), e.size()); ++i) {
    INFO("event " << i);
    CHECK(a[i].name == e[i].name);
    const bool json = !e[i].data.empty() && e[i].data.front() == '{';
    if (json) {
      CHECK(normalized(a[i].data) == normalized(e[i].data));
    } else {
      CHECK(a[i].data == e[i].data);
    }
  }
  CHECK(a.size() == e.size());
}

/// What one run of a translator produced.
struct run {
  std::string out;
  switchyard::protocols::relay_state state = switchyard::protocols::relay_state::open;
  bool eof_ok = false;
  switchyard::protocols::usage usage;
  std::uint32_t events = 0;
};

using factory = std::function<std::unique_ptr<switchyard::protocols::stream_translator>()>;

/// Feeds `in` cut at `cuts` (sorted offsets), then reports EOF. Each piece lives in its own
/// allocation, so a translator that kept a view into an earlier piece would read freed memory.
inline run feed_pieces(const factory& make, const std::string& in, std::vector<std::size_t> cuts) {
  auto t = make();
  run r;
  std::size_t from = 0;
  cuts.push_back(in.size());
  for (const auto cut : cuts) {
    const auto piece = std::make_unique<std::string>(in.substr(from, cut - from));
    r.state = t->feed(*piece, r.out);
    from = cut;
  }
  r.eof_ok = t->finish_eof(r.out);
  r.state = t->state();
  r.usage = t->last_usage();
  r.events = t->events();
  return r;
}

/// The output for `in` fed whole, after checking that byte-by-byte and random splits give the
/// very same bytes, end state, usage and event count.
inline run check_split_invariance(const factory& make, const std::string& in) {
  const run whole = feed_pieces(make, in, {});
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < in.size(); ++i) every.push_back(i);
  std::mt19937 rng(20240611);
  std::vector<std::vector<std::size_t>> splits{every};
  for (int k = 0; k < 16 && in.size() > 1; ++k) {
    std::uniform_int_distribution<std::size_t> pos(1, in.size() - 1);
    std::vector<std::size_t> cuts(1 + k % 7);
    for (auto& c : cuts) c = pos(rng);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    splits.push_back(std::move(cuts));
  }
  for (const auto& cuts : splits) {
    const run r = feed_pieces(make, in, cuts);
    INFO("split into " << cuts.size() + 1 << " pieces");
    CHECK(r.out == whole.out);
    CHECK(r.state == whole.state);
    CHECK(r.eof_ok == whole.eof_ok);
    CHECK(r.events == whole.events);
    CHECK(r.usage.prompt_tokens == whole.usage.prompt_tokens);
    CHECK(r.usage.completion_tokens == whole.usage.completion_tokens);
  }
  return whole;
}

}  // namespace vectors
