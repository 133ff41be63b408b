/* generators.h - the one table of known image generators and AI tools, shared by every metadata
 * reader (C2PA softwareAgent and claim_generator, XMP CreatorTool and Credit, PNG text keys and
 * values, EXIF Software). */
#ifndef CIFAKE_GENERATORS_H
#define CIFAKE_GENERATORS_H

#include <stddef.h>

/* The canonical name of the first known generator whose pattern occurs in text as a whole word
 * (case-insensitive, the first n bytes), or NULL. "Adobe_Firefly adobe_c2pa/0.12.4" -> "Adobe Firefly". */
const char *cf_generator_find(const char *text, size_t n);
/* 1 when the named generator (a name cf_generator_find returns) edits images with generative AI
 * rather than making them ("Adobe Photoshop Generative Fill"), else 0. */
int cf_generator_edits(const char *name);

#endif
