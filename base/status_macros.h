#ifndef GLOSSA_BASE_STATUS_MACROS_H_
#define GLOSSA_BASE_STATUS_MACROS_H_

// Debian 12's Abseil (20220623) ships no status macros; these are the two
// Glossa uses everywhere.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GLOSSA_STATUS_CONCAT_INNER(a, b) a##b
#define GLOSSA_STATUS_CONCAT(a, b) GLOSSA_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status glossa_status_ = (expr);          \
    if (!glossa_status_.ok()) return glossa_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares/assigns x from a StatusOr,
// or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  GLOSSA_ASSIGN_OR_RETURN_IMPL(     \
      GLOSSA_STATUS_CONCAT(glossa_statusor_, __LINE__), lhs, expr)
#define GLOSSA_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return statusor.status();           \
  lhs = std::move(statusor).value()

#endif  // GLOSSA_BASE_STATUS_MACROS_H_
