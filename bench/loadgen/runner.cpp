// The run's driver: DNS and a preflight connect (so an unreachable target fails fast with
// exit 3), worker threads on a common start time, progress, merging, the report.
#include "bench/loadgen/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <openssl/ssl.h>
#include <sys/resource.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/loadgen/report.hpp"
#include "bench/loadgen/request_builder.hpp"
#include "bench/loadgen/stats.hpp"
#include "bench/loadgen/worker.hpp"

namespace switchyard::loadgen {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto a = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

std::string utc_now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

// Many connections need many descriptors: raise the soft limit to the hard one.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Connects to each endpoint in turn (and handshakes for https) until one works; returns its
// position, or the last error.
struct probe_result {
  std::optional<std::size_t> working;
  std::string error;
};

probe_result probe(const options& o, const std::vector<tcp::endpoint>& endpoints,
                   asio::ssl::context* tls) {
  probe_result out;
  const auto limit = std::chrono::milliseconds(std::min<std::uint32_t>(o.timeout_ms, 10'000));
  for (std::size_t i = 0; i < endpoints.size() && !out.working; ++i) {
    asio::io_context ioc(1);
    tcp::socket socket(ioc);
    asio::steady_timer timer(ioc);
    std::unique_ptr<asio::ssl::stream<tcp::socket&>> stream;
    error_code result = asio::error::timed_out;
    bool finished = false;
    timer.expires_after(limit);
    timer.async_wait([&](const error_code& ec) {
      if (!ec && !finished) {
        error_code ignored;
        socket.close(ignored);
      }
    });
    socket.async_connect(endpoints[i], [&](const error_code& ec) {
      if (ec || tls == nullptr) {
        finished = true;
        result = ec;
        timer.cancel();
        return;
      }
      stream = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket, *tls);
      SSL_set_tlsext_host_name(stream->native_handle(), o.target.host.c_str());
      if (!o.insecure)
        stream->set_verify_callback(asio::ssl::host_name_verification(o.target.host));
      stream->async_handshake(asio::ssl::stream_base::client, [&](const error_code& hs) {
        finished = true;
        result = hs;
        timer.cancel();
      });
    });
    ioc.run();
    if (!finished) result = asio::error::timed_out;
    if (!result) {
      out.working = i;
    } else {
      out.error = endpoint_text(endpoints[i]) + ": " +
                  (stream && result != asio::error::timed_out ? "TLS handshake: " : "") +
                  (result == asio::error::operation_aborted || result == asio::error::timed_out
                       ? "no connection within " + std::to_string(limit.count()) + "ms"
                       : result.message());
    }
  }
  return out;
}

}  // namespace

run_outcome run_benchmark(const options& o, const run_environment& env) {
  run_outcome out;
  std::FILE* progress = o.quiet ? nullptr : env.progress;
  raise_fd_limit();

  // Resolve once: every connection of the run goes to the same addresses.
  std::vector<tcp::endpoint> endpoints;
  {
    asio::io_context ioc(1);
    tcp::resolver resolver(ioc);
    error_code ec;
    auto results = resolver.resolve(o.target.host, std::to_string(o.target.port), ec);
    if (ec || results.empty()) {
      out.exit_code = exit_unreachable;
      out.message = "cannot resolve " + o.target.host + ": " +
                    (ec ? ec.message() : std::string("no addresses"));
      return out;
    }
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }

  std::unique_ptr<asio::ssl::context> tls;
  if (o.target.tls) {
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    error_code ec;
    tls->set_default_verify_paths(ec);
    tls->set_verify_mode(o.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer, ec);
  }

  const probe_result pr = probe(o, endpoints, tls.get());
  if (!pr.working) {
    out.exit_code = exit_unreachable;
    out.message =
        "cannot connect to " + o.target.to_string() + " (" + pr.error + "); no requests were sent";
    return out;
  }
  // The address that answered goes first, so connections do not retry dead ones.
  std::rotate(endpoints.begin(), endpoints.begin() + static_cast<std::ptrdiff_t>(*pr.working),
              endpoints.end());

  run_shared shared;
  shared.opts = &o;
  shared.mix = make_mix(o);
  shared.templates = build_templates(o, shared.mix);
  shared.endpoints = endpoints;
  shared.tls = tls.get();
  shared.warmup_ns = std::llround(o.warmup_s * 1e9);
  shared.end_ns = std::llround((o.warmup_s + o.duration_s) * 1e9);
  series_collector series(o.threads, o.warmup_s);
  shared.series = &series;

  std::vector<std::unique_ptr<worker>> workers;
  const std::string started_at = utc_now_iso();
  // A common zero a little ahead, so every thread is ready when the first request is due.
  shared.t0 = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  for (unsigned i = 0; i < o.threads; ++i) {
    workers.push_back(std::make_unique<worker>(shared, i, o.threads));
  }
  std::atomic<unsigned> running{o.threads};
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&running, wp = w.get()] {
      wp->run();
      running.fetch_sub(1, std::memory_order_release);
    });
  }

  // Progress: one line per finished second, as the seconds become final.
  std::size_t printed = 0;
  std::uint64_t total_sent = 0;
  std::uint64_t total_errors = 0;
  bool interrupted = false;
  std::optional<std::int64_t> stopped_at;
  auto print_new_rows = [&] {
    const auto rows = series.rows();
    for (; printed < rows.size(); ++printed) {
      total_sent += rows[printed].sent;
      total_errors += rows[printed].errors;
      if (progress != nullptr) {
        const auto line = format_progress(rows[printed], total_sent, total_errors, !o.closed);
        std::fprintf(progress, "%s\n", line.c_str());
        std::fflush(progress);
      }
    }
  };
  while (running.load(std::memory_order_acquire) > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!interrupted && env.interrupt != nullptr && env.interrupt->load()) {
      interrupted = true;
      stopped_at = shared.now_ns();
      shared.stop.store(true);
    }
    print_new_rows();
  }
  for (auto& t : threads) t.join();
  const std::int64_t end_ns = shared.now_ns();

  const bool nothing_connected = shared.connect_ok.load() == 0 && shared.connect_failed.load() > 0;
  if (shared.unreachable.load() || nothing_connected) {
    out.exit_code = exit_unreachable;
    std::lock_guard lock(shared.first_error_mutex);
    out.message = "cannot connect to " + o.target.to_string() + ": the first " +
                  std::to_string(shared.connect_failed.load()) +
                  " connection attempt(s) all failed (" + shared.first_connect_error +
                  "); no result";
    return out;
  }
  print_new_rows();

  run_stats merged;
  for (const auto& w : workers) merged.merge(w->stats());
  run_info info;
  info.started_at = started_at;
  info.target_address = endpoint_text(endpoints.front());
  info.elapsed_s = static_cast<double>(end_ns) / 1e9;
  info.interrupted = interrupted;
  const double measured_end =
      stopped_at ? static_cast<double>(*stopped_at) / 1e9 : o.warmup_s + o.duration_s;
  info.measured_s = std::max(0.0, std::min(o.duration_s, measured_end - o.warmup_s));
  out.report = build_report(o, merged, series.rows(), info);

  const auto reasons = invalid_reasons(merged, info);
  if (progress != nullptr) {
    std::fprintf(progress, "switchyard-bench: %s\n", format_summary(merged, info).c_str());
  }
  if (progress != nullptr) {
    for (const auto& w : run_warnings(merged)) {
      std::fprintf(progress, "switchyard-bench: warning: %s\n", w.c_str());
    }
  }
  if (!reasons.empty()) {
    out.exit_code = exit_invalid;
    out.message = "NOT A VALID RESULT: " + reasons.front();
    for (std::size_t i = 1; i < reasons.size(); ++i) out.message += "; " + reasons[i];
  }
  return out;
}

}  // namespace switchyard::loadgen
