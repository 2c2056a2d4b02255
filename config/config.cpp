// Snapshot look-ups.
#include "config/config.hpp"
