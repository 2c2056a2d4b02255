// Request log storage and its JSON form.
#include "bench/mock_provider/request_log.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::mock {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_entry(json_writer& w, const logged_request& r) {
  w.StartObject();
  w.Key("method");
  w.String(r.method.c_str(), static_cast<rapidjson::SizeType>(r.method.size()));
  w.Key("target");
  w.String(r.target.c_str(), static_cast<rapidjson::SizeType>(r.target.size()));
  w.Key("headers");
  w.StartObject();
  for (const auto& [name, value] : r.headers) {
    w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  }
  w.EndObject();
  w.Key("body");
  rapidjson::Document doc;
  doc.Parse(r.body.c_str(), r.body.size());
  if (doc.HasParseError()) {
    w.String(r.body.c_str(), static_cast<rapidjson::SizeType>(r.body.size()));
  } else {
    doc.Accept(w);  // embedded as JSON, so a test can read fields directly
  }
  w.EndObject();
}

}  // namespace

void request_log::add(logged_request r) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> g(mutex_);
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back(std::move(r));
}

std::string request_log::all_json() const {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("requests");
  w.StartArray();
  {
    std::lock_guard<std::mutex> g(mutex_);
    for (const auto& e : entries_) write_entry(w, e);
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string request_log::last_json() const {
  std::lock_guard<std::mutex> g(mutex_);
  if (entries_.empty()) return {};
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_entry(w, entries_.back());
  return {buf.GetString(), buf.GetSize()};
}

void request_log::clear() {
  std::lock_guard<std::mutex> g(mutex_);
  entries_.clear();
}

}  // namespace switchyard::mock
