// make_upstream_transport: the production transport with the system trust store.
#include "runtime/upstream_factory.hpp"

#include "runtime/upstream_client.hpp"

namespace switchyard::runtime {

std::shared_ptr<upstream_client> make_upstream_transport(boost::asio::io_context& io,
                                                         const config::snapshot& cfg) {
  return std::make_shared<upstream_client>(io, cfg, std::make_shared<tls_context>());
}

}  // namespace switchyard::runtime
