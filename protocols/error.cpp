// Error codes and their wire forms.
#include "protocols/error.hpp"
