/* stb_impl.c - the one translation unit that compiles the stb single-header libraries.
 *
 * Everything else includes "stb_image.h" / "stb_image_write.h" for declarations only. The headers come
 * from the system (Debian's libstb-dev); image_check.c guards against bugs of stb_image 2.27, so the Makefile
 * refuses to build with any other release (`make stb-check`: the release is named only in the header's
 * first comment, out of the preprocessor's reach). */
#include <stdlib.h>
#include <string.h>

#include "image.h"

/* Only the formats image.h promises: fewer decoders means less attack surface for untrusted input
 * and a smaller WebAssembly module. */
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO  /* decode from memory only: no fopen, and it builds for the browser */
#define STBI_NO_LINEAR /* no float/HDR conversion code, which we never call */

/* stb rejects anything larger by itself, a second line of defence behind image_check.c's own header
 * checks (which run first and give the user a message naming the limit). */
#define STBI_MAX_DIMENSIONS CF_IMAGE_MAX_SIDE

/* Every block stb_image allocates starts zeroed, and a block it grows is zeroed past its old size.
 * stb_image allocates its decoder state, Huffman and quantisation tables, coefficient and sample
 * planes without initialising them and relies on the file to fill them; image_check.c's JPEG walk refuses
 * files that would leave any of that unwritten, and zeroing is the second line of defence: whatever
 * a malformed file still reaches, the result depends on the file alone, never on what earlier images
 * left on the heap. stb_image passes the old size to every reallocation (STBI_REALLOC_SIZED), so no
 * size needs to be stored beside a block, and blocks stay plain malloc blocks: image.c takes
 * ownership of the pixel buffer stb returns and cf_image_free releases it with free(). A request above
 * CF_IMAGE_MAX_ALLOC fails (stb reports "outofmem"), so a PNG whose data inflates far past its
 * header's size cannot take gigabytes. */
#ifndef CF_STB_UNZEROED
static void *stb_zeroed_malloc(size_t size) { return size <= CF_IMAGE_MAX_ALLOC ? calloc(1, size) : NULL; }

static void *stb_zeroed_realloc(void *ptr, size_t old_size, size_t new_size) {
    if (new_size > CF_IMAGE_MAX_ALLOC) return NULL;
    unsigned char *grown = realloc(ptr, new_size);
    if (grown && new_size > old_size) memset(grown + old_size, 0, new_size - old_size);
    return grown;
}

#define STBI_MALLOC(size) stb_zeroed_malloc(size)
#define STBI_REALLOC_SIZED(ptr, old_size, new_size) stb_zeroed_realloc(ptr, old_size, new_size)
#else
/* Never in a shipped build: plain malloc and realloc under the same cap, for the MemorySanitizer
 * builds that check image_check.c's JPEG walk alone (build/tests-msan-unzeroed in `make test-msan`,
 * fuzz-jpeg-msan in `make fuzz-msan`): an uninitialised read that the walk lets through is then
 * reported instead of hidden by the zeroing. */
#define STBI_MALLOC(size) ((size_t)(size) <= CF_IMAGE_MAX_ALLOC ? malloc(size) : NULL)
#define STBI_REALLOC_SIZED(ptr, old_size, new_size) \
    ((size_t)(new_size) <= CF_IMAGE_MAX_ALLOC ? realloc(ptr, new_size) : NULL)
#endif
#define STBI_FREE(ptr) free(ptr)

/* stb's internal consistency checks. None of them can fail on what image_check.c lets through (every
 * table a scan uses is defined, and the buffers are zeroed), so one failing means a bug: continuing
 * past it would decode with broken invariants, so the program stops instead, silently (nothing in
 * src/ prints). In the WebAssembly module abort() is a trap that web/detector.js catches: it throws
 * away the instance and starts a fresh one, so one image cannot take the page's later ones down. */
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
