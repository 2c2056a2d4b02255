// runtime seed
#include "runtime/client_channel.hpp"
