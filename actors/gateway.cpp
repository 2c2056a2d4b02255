// The control plane front door.
#include "actors/gateway.hpp"
