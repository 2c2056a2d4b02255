// The switchyard executable: command line, configuration loading, then the process runtime.
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "runtime/admin_cli.hpp"
#include "runtime/process.hpp"

#ifndef SWITCHYARD_VERSION
#define SWITCHYARD_VERSION "unknown"
#endif

namespace {

constexpr const char* default_config = "config/switchyard.yaml";

void print_usage(std::ostream& os) {
  os << "usage: switchyard [--config FILE]\n"
        "       switchyard --check-config FILE\n"
        "       switchyard admin [--config FILE] COMMAND   (see switchyard admin --help)\n"
        "       switchyard --version | --help\n"
        "\n"
        "  --config FILE        run the gateway with FILE (default: "
     << default_config
     << ")\n"
        "  --check-config FILE  validate FILE, print its warnings, exit 0 if valid, 1 if not\n"
        "  --version            print the version\n"
        "  --help               print this help\n"
        "\n"
        "SIGTERM or SIGINT drains in-flight requests and exits 0; a second one exits 1 at once.\n"
        "SIGHUP reloads FILE (refused, with the reason logged, when it is invalid).\n"
        "Exit codes: 0 ok, 1 configuration or startup error, 2 bad command line.\n";
}

// Accepts "--name VALUE" and "--name=VALUE".
bool take_value(int argc, char** argv, int& i, std::string_view name, std::string& value) {
  std::string_view arg = argv[i];
  if (arg == name) {
    if (i + 1 >= argc) {
      std::cerr << "switchyard: " << name << " needs a file name\n";
      return false;
    }
    value = argv[++i];
    return true;
  }
  value = std::string{arg.substr(name.size() + 1)};
  return true;
}

bool matches(std::string_view arg, std::string_view name) {
  return arg == name || (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
                         arg[name.size()] == '=');
}

}  // namespace

int main(int argc, char** argv) {
  using namespace switchyard;
  std::string config_path = default_config;
  std::string check_path;
  bool check = false;

  if (argc > 1 && std::string_view{argv[1]} == "admin") {
    std::vector<std::string> args(argv + 2, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      runtime::print_admin_usage(args.empty() ? std::cerr : std::cout);
      return args.empty() ? 2 : 0;
    }
    return runtime::run_admin_cli(args, std::cout, std::cerr);
  }

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(std::cout);
      return 0;
    }
    if (arg == "--version") {
      std::cout << "switchyard " << SWITCHYARD_VERSION << "\n";
      return 0;
    }
    if (matches(arg, "--config")) {
      if (!take_value(argc, argv, i, "--config", config_path)) return 2;
    } else if (matches(arg, "--check-config")) {
      if (!take_value(argc, argv, i, "--check-config", check_path)) return 2;
      check = true;
    } else {
      std::cerr << "switchyard: unknown argument '" << arg << "'\n";
      print_usage(std::cerr);
      return 2;
    }
  }

  const std::string& path = check ? check_path : config_path;
  auto loaded = config::load_file(path);
  if (!loaded) {
    std::cerr << loaded.error().to_string() << "\n";
    return 1;
  }
  const auto& snapshot = loaded.value();

  if (check) {
    std::cout << "config OK: " << path << "\n";
    for (const auto& w : snapshot->warnings) std::cout << "warning: " << w << "\n";
    return 0;
  }

  for (const auto& w : snapshot->warnings) runtime::log_line("warning", w);
  return runtime::run_gateway(snapshot, std::cout);
}
