#ifndef GLOSSA_BASE_CHECK_H_
#define GLOSSA_BASE_CHECK_H_

// Broken invariants crash loudly (untrusted input never reaches these: it is
// answered with an absl::Status). Debian 12's Abseil has no absl/log.

#include <cstdio>
#include <cstdlib>

#define GLOSSA_CHECK_FAIL(text)                                          \
  (std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                text),                                                   \
   std::abort())

#define CHECK(cond)                        \
  do {                                     \
    if (!(cond)) GLOSSA_CHECK_FAIL(#cond); \
  } while (false)
#define CHECK_EQ(a, b) CHECK((a) == (b))
#define CHECK_NE(a, b) CHECK((a) != (b))
#define CHECK_LT(a, b) CHECK((a) < (b))
#define CHECK_LE(a, b) CHECK((a) <= (b))
#define CHECK_GT(a, b) CHECK((a) > (b))
#define CHECK_GE(a, b) CHECK((a) >= (b))
#define CHECK_OK(expr)                                        \
  do {                                                        \
    const ::absl::Status glossa_check_status_ = (expr);       \
    if (!glossa_check_status_.ok()) {                         \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, \
                   glossa_check_status_.ToString().c_str());  \
      std::abort();                                           \
    }                                                         \
  } while (false)

#endif  // GLOSSA_BASE_CHECK_H_
