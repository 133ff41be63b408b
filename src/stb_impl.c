/* stb_impl.c - the one translation unit that compiles the stb single-header libraries.
 *
 * Everything else includes "stb_image.h" / "stb_image_write.h" for declarations only. The headers come
 * from the system (Debian's libstb-dev); image.c guards against bugs of stb_image 2.27, so the Makefile
 * refuses to build with any other release (`make stb-check`: the release is named only in the header's
 * first comment, out of the preprocessor's reach). */
#include <stdlib.h>

#include "image.h"

/* Only the formats image.h promises: fewer decoders means less attack surface for untrusted input
 * and a smaller WebAssembly module. */
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO  /* decode from memory only: no fopen, and it builds for the browser */
#define STBI_NO_LINEAR /* no float/HDR conversion code, which we never call */

/* stb rejects anything larger by itself, a second line of defence behind image.c's own header
 * checks (which run first and give the user a message naming the limit). */
#define STBI_MAX_DIMENSIONS CF_IMAGE_MAX_SIDE

/* image.c takes ownership of the pixel buffer stb returns and cf_image_free releases it with free(),
 * so stb must allocate with the C library's malloc. One thing is added: a request above
 * CF_IMAGE_MAX_ALLOC fails (stb reports "outofmem"), so a PNG whose data inflates far past its
 * header's size cannot take gigabytes. */
#define STBI_MALLOC(size) ((size_t)(size) <= CF_IMAGE_MAX_ALLOC ? malloc(size) : NULL)
#define STBI_REALLOC(ptr, size) ((size_t)(size) <= CF_IMAGE_MAX_ALLOC ? realloc(ptr, size) : NULL)
#define STBI_FREE(ptr) free(ptr)

/* stb's internal consistency checks default to assert(), which prints to stderr. Nothing in src/
 * prints, so a broken invariant stops the program silently instead (continuing would be worse). */
#define STBI_ASSERT(x) ((x) ? (void)0 : abort())

#define STB_IMAGE_IMPLEMENTATION

/* Third-party code: silence its warnings here only, so -Wall -Wextra -Werror stays on for ours.
 * `#pragma GCC diagnostic` is understood by gcc, clang and emcc (clang); unknown warning names are
 * themselves ignored first so each compiler accepts the list. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "stb_image.h"
/* PNG writing for the command-line heatmaps; the WebAssembly build never calls it and the linker
 * drops it. To memory only, like the decoder. */
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include "stb_image_write.h"
#pragma GCC diagnostic pop
