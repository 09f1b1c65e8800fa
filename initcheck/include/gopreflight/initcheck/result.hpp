#pragma once
/// Result<T> lives in the common library (both programs use the one type).
#include "gopreflight/result.hpp"
