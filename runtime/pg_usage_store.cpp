// PostgreSQL usage store (see pg_usage_store.hpp).
#include "runtime/pg_usage_store.hpp"

#include <cstdio>
#include <string_view>
#include <vector>

#include "runtime/pg_schema.hpp"
#include "runtime/request_id.hpp"

namespace switchyard::runtime {

namespace {

// The INSERT binds and the SELECT reads the columns in this order.
constexpr std::string_view usage_columns =
    "record_id, request_id, finished_at_ms, tenant, key_prefix, key_id, route, model, provider, "
    "upstream_model, stream, status, stream_broken, client_gone, attempts, prompt_tokens, "
    "completion_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, usage_reported, "
    "cost_usd, duration_us, ttfb_us, error, hedged";
constexpr int usage_column_count = 26;

const char* route_of(const actors::request_record& r) {
  if (r.kind == protocols::api_kind::embeddings) return "embeddings";
  return r.client == protocols::dialect::anthropic ? "messages" : "chat";
}

const char* flag(bool v) {
  return v ? "true" : "false";
}

// Every digit of a double, so a cost reads back exactly.
std::string exact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::int64_t millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void add_params(const actors::request_record& r, std::vector<pg_param>& out) {
  // A writer that assigns no record id (none before the spool) still gets one row per record.
  out.emplace_back(r.record_id.empty() ? generate_request_id() : r.record_id);
  out.emplace_back(r.request_id);
  out.emplace_back(std::to_string(millis(r.finished_at)));
  out.emplace_back(r.tenant);
  out.emplace_back(r.key_prefix);
  out.emplace_back(r.key_id);
  out.emplace_back(route_of(r));
  out.emplace_back(r.model);
  out.emplace_back(r.provider);
  out.emplace_back(r.upstream_model);
  out.emplace_back(flag(r.stream));
  out.emplace_back(std::to_string(r.status));
  out.emplace_back(flag(r.stream_broken));
  out.emplace_back(flag(r.client_gone));
  out.emplace_back(std::to_string(r.attempts));
  out.emplace_back(std::to_string(r.usage.prompt_tokens));
  out.emplace_back(std::to_string(r.usage.completion_tokens));
  out.emplace_back(std::to_string(r.usage.cached_tokens));
  out.emplace_back(std::to_string(r.usage.cache_creation_tokens));
  out.emplace_back(std::to_string(r.usage.reasoning_tokens));
  out.emplace_back(flag(r.usage.reported));
  out.emplace_back(exact(r.cost_usd));
  out.emplace_back(std::to_string(r.duration.count()));
  out.emplace_back(std::to_string(r.time_to_first_byte.count()));
  out.emplace_back(r.error);
  out.emplace_back(flag(r.hedged));
}

// "INSERT … VALUES ($1,…,$26),($27,…) ON CONFLICT (record_id) DO NOTHING" for `rows` records.
std::string insert_sql(std::size_t rows) {
  std::string sql = "INSERT INTO usage (";
  sql += usage_columns;
  sql += ") VALUES ";
  int n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ",(";
    for (int c = 0; c < usage_column_count; ++c) {
      if (c != 0) sql += ',';
      sql += '$';
      sql += std::to_string(++n);
    }
    sql += ')';
  }
  sql += " ON CONFLICT (record_id) DO NOTHING";
  return sql;
}

std::uint32_t u32(const pg_rows& rows, int col) {
  return static_cast<std::uint32_t>(rows.int64(0, col));
}

// The inverse of add_params, from the first row of a SELECT of `usage_columns`.
actors::request_record read_record(const pg_rows& rows) {
  actors::request_record r;
  r.record_id = rows.text(0, 0);
  r.request_id = rows.text(0, 1);
  r.finished_at =
      std::chrono::system_clock::time_point{std::chrono::milliseconds{rows.int64(0, 2)}};
  r.tenant = rows.text(0, 3);
  r.key_prefix = rows.text(0, 4);
  r.key_id = rows.text(0, 5);
  const std::string route = rows.text(0, 6);
  r.kind = route == "embeddings" ? protocols::api_kind::embeddings
                                 : protocols::api_kind::chat_completions;
  r.client = route == "messages" ? protocols::dialect::anthropic : protocols::dialect::openai;
  r.model = rows.text(0, 7);
  r.provider = rows.text(0, 8);
  r.upstream_model = rows.text(0, 9);
  r.stream = rows.boolean(0, 10);
  r.status = u32(rows, 11);
  r.stream_broken = rows.boolean(0, 12);
  r.client_gone = rows.boolean(0, 13);
  r.attempts = u32(rows, 14);
  r.usage.prompt_tokens = u32(rows, 15);
  r.usage.completion_tokens = u32(rows, 16);
  r.usage.cached_tokens = u32(rows, 17);
  r.usage.cache_creation_tokens = u32(rows, 18);
  r.usage.reasoning_tokens = u32(rows, 19);
  r.usage.reported = rows.boolean(0, 20);
  r.cost_usd = rows.real(0, 21);
  r.duration = std::chrono::microseconds{rows.int64(0, 22)};
  r.time_to_first_byte = std::chrono::microseconds{rows.int64(0, 23)};
  r.error = rows.text(0, 24);
  r.hedged = rows.boolean(0, 25);
  return r;
}

}  // namespace

std::shared_ptr<pg_usage_store> pg_usage_store::open(const std::string& url, std::string& error) {
  auto conn = pg_connection::open(url, error);
  if (!conn || !migrate_pg_schema(*conn, error)) {
    error = "usage store: " + error;
    return nullptr;
  }
  return std::shared_ptr<pg_usage_store>(new pg_usage_store(std::move(conn)));
}

bool pg_usage_store::note(bool ok) {
  up_.store(conn_->healthy(), std::memory_order_relaxed);
  return ok;
}

bool pg_usage_store::append(std::span<const actors::request_record> records, std::string& error) {
  if (records.empty()) return true;
  pg_transaction tx{*conn_};
  if (!tx.started(error)) return note(false);
  std::vector<pg_param> params;
  for (std::size_t at = 0; at < records.size(); at += rows_per_statement) {
    const auto chunk = records.subspan(at, std::min(rows_per_statement, records.size() - at));
    params.clear();
    params.reserve(chunk.size() * usage_column_count);
    for (const auto& r : chunk) add_params(r, params);
    if (!conn_->run(insert_sql(chunk.size()), params, error)) return note(false);
  }
  return note(tx.commit(error));
}

std::optional<actors::request_record> pg_usage_store::find(const std::string& request_id,
                                                           const std::string& key_id,
                                                           std::string& error) {
  auto rows = conn_->query(std::string{"SELECT "} + std::string{usage_columns} +
                               " FROM usage WHERE request_id = $1 AND key_id = $2 "
                               "ORDER BY finished_at_ms DESC, id DESC LIMIT 1",
                           {request_id, key_id}, error);
  note(rows.has_value());
  if (!rows || rows->size() == 0) return std::nullopt;
  return read_record(*rows);
}

std::optional<double> pg_spend_since(pg_connection& conn, const std::string& tenant,
                                     const std::string& key_id, std::int64_t since_ms,
                                     std::string& error) {
  auto rows = conn.query(
      "SELECT COALESCE(SUM(cost_usd), 0) FROM usage WHERE finished_at_ms >= $1 AND tenant = $2 "
      "AND ($3 = '' OR key_id = $3)",
      {std::to_string(since_ms), tenant, key_id}, error);
  if (!rows) return std::nullopt;
  return rows->real(0, 0);
}

std::optional<double> pg_usage_store::spend_since(const std::string& tenant,
                                                  const std::string& key_id,
                                                  std::chrono::system_clock::time_point since,
                                                  std::string& error) {
  auto spent = pg_spend_since(*conn_, tenant, key_id, millis(since), error);
  if (!note(spent.has_value())) error = "usage store: cannot read spend: " + error;
  return spent;
}

}  // namespace switchyard::runtime
