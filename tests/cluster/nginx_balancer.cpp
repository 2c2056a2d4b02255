// nginx as the cluster's load balancer.
#include "nginx_balancer.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace switchyard::ctest {

namespace fs = std::filesystem;
using namespace itest;

std::string balancer_config(const std::vector<std::uint16_t>& upstreams, std::uint16_t listen,
                            const fs::path& prefix, bool as_root) {
  const auto p = prefix.string();
  std::ostringstream c;
  // nginx started by root switches its workers to `nobody`, who cannot write the temp dir.
  if (as_root) c << "user root;\n";
  c << "worker_processes 1;\n"
    << "error_log " << p << "/error.log warn;\n"
    << "pid " << p << "/nginx.pid;\n"
    << "events { worker_connections 1024; }\n"
    << "http {\n"
    << "  access_log off;\n"
    << "  client_body_temp_path " << p << "/body;\n"
    << "  proxy_temp_path " << p << "/proxy;\n"
    << "  fastcgi_temp_path " << p << "/fastcgi;\n"
    << "  uwsgi_temp_path " << p << "/uwsgi;\n"
    << "  scgi_temp_path " << p << "/scgi;\n"
    << "  upstream nodes {\n";
  // A node that refuses a connection sits out 2 s, then is tried again: a restarted node gets
  // traffic back at once.
  for (auto port : upstreams)
    c << "    server 127.0.0.1:" << port << " max_fails=1 fail_timeout=2s;\n";
  c << "  }\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << listen << ";\n"
    << "    location / {\n"
    << "      proxy_pass http://nodes;\n"
    << "      proxy_http_version 1.1;\n"
    << "      proxy_buffering off;\n"
    << "      proxy_connect_timeout 1s;\n"
    << "      proxy_read_timeout 60s;\n"
    // The default (`error timeout`, POSTs only before they were sent): a refused connection
    // moves on to the next node; a request a node received is never sent twice.
    << "      proxy_next_upstream error timeout;\n"
    << "    }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

nginx_balancer::nginx_balancer(const temp_dir& dir, std::vector<std::uint16_t> upstreams)
    : prefix_(dir.path() / "nginx") {
  fs::create_directories(prefix_);
  // The port is free when chosen; another process may take it before nginx binds: retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    const auto conf = prefix_ / "nginx.conf";
    std::ofstream(conf) << balancer_config(upstreams, port_, prefix_, ::geteuid() == 0);
    proc_ = std::make_unique<process>(
        "nginx",
        std::vector<std::string>{NGINX_BINARY, "-p", prefix_.string() + "/", "-e",
                                 (prefix_ / "error.log").string(), "-c", conf.string(), "-g",
                                 "daemon off;"},
        prefix_ / "stderr.log");
    if (eventually([&] { return can_connect(port_) || !proc_->running(); }) && proc_->running())
      return;
    proc_->stop();
  }
  throw std::runtime_error("nginx did not start: " + error_log());
}

nginx_balancer::~nginx_balancer() = default;

std::string nginx_balancer::error_log() const {
  std::ifstream in(prefix_ / "error.log");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace switchyard::ctest
