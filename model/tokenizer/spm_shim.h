#ifndef GLOSSA_MODEL_SPM_SHIM_H_
#define GLOSSA_MODEL_SPM_SHIM_H_

// The C ABI of libglossa_spm_shim.so, the only code that links
// SentencePiece. Loaded with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) so that the
// protobuf copy inside Debian's libsentencepiece never meets gRPC's.
// Plain C types only: no absl, no std:: across the boundary.

#include <stddef.h>

extern "C" {

// Returns a processor handle, or null with a message in `error`.
typedef void* (*GlossaSpmLoadFn)(const char* path, char* error,
                                 size_t error_size);
typedef void (*GlossaSpmFreeFn)(void* processor);
// Splits `text` into pieces, written NUL-separated into a buffer allocated
// with malloc (*out, *out_size bytes). Returns the piece count, or -1.
typedef int (*GlossaSpmEncodeFn)(void* processor, const char* text,
                                 size_t text_size, char** out,
                                 size_t* out_size);
// As GlossaSpmEncodeFn, and also the byte range in `text` each piece covers:
// 2 * count unsigned ints (begin, end) in a malloc'd *spans.
typedef int (*GlossaSpmEncodeSpansFn)(void* processor, const char* text,
                                      size_t text_size, char** out,
                                      size_t* out_size, unsigned** spans);
// Joins `count` NUL-separated pieces into text (malloc'd *out). 0 on success.
typedef int (*GlossaSpmDecodeFn)(void* processor, const char* pieces,
                                 size_t pieces_size, int count, char** out,
                                 size_t* out_size);
// Every piece of the model in id order, NUL-separated in a malloc'd buffer.
// Returns the piece count, or -1.
typedef int (*GlossaSpmPiecesFn)(void* processor, char** out, size_t* out_size);
typedef void (*GlossaSpmFreeBufferFn)(char* buffer);
}

#endif  // GLOSSA_MODEL_SPM_SHIM_H_
