/* folders.h - an image-folder dataset at native resolution, for patch models (cifake-train --folders,
 * cifake-eval --folders).
 *
 * Layout: DIR/real/<group>/<files> and DIR/fake/<group>/<files>, images of any size in any format the
 * core decodes (image.h). An optional DIR/MANIFEST.tsv (tab-separated, a header row naming at least
 * the columns crop, generator and source_file; crop is the path relative to DIR) gives each file its
 * generator and the source file it was cut from. Without it, a file's generator is its group and its
 * source is the file itself. Every image is decoded once and kept at native resolution: nothing is
 * resized.
 *
 * Selection lists (--val-groups, --exclude-groups, --groups) are comma-separated tokens; a token is a
 * group name (the subfolder), or gen:PREFIX for every image whose generator starts with PREFIX
 * (generator names may contain commas and spaces, so they are matched by prefix). */
#ifndef CIFAKE_FOLDERS_H
#define CIFAKE_FOLDERS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

typedef struct {
    int n;
    int *width, *height;
    uint8_t **rgb;          /* native-resolution RGB, HWC, width*height*3 bytes each */
    int *label;             /* 0 REAL, 1 FAKE */
    int *group, *generator, *source; /* indices into the name tables below */
    char **path;            /* relative to the folder, e.g. fake/kolors_repo/x_0.png */
    int n_groups, n_generators, n_sources;
    char **group_name, **generator_name, **source_name;
} folder_set;

#define FOLDERS_MAX_TOKENS 64

/* A parsed selection list. */
typedef struct {
    int n;
    char *token[FOLDERS_MAX_TOKENS];
} folder_selection;

/* Parses a comma-separated list (NULL or "" gives an empty selection). Fails on more than
 * FOLDERS_MAX_TOKENS tokens or an empty token. */
int folders_selection_parse(folder_selection *s, const char *list, cf_error *err);
void folders_selection_free(folder_selection *s);
/* Whether an image of this group and generator is selected (an empty selection selects nothing). */
int folders_selection_matches(const folder_selection *s, const char *group, const char *generator);

/* Loads DIR: with `only` non-empty, just the images it selects; images `skip` selects are never
 * read. Images smaller than min_side in either dimension are skipped (counted in *n_small if not
 * NULL). Fails, naming the file, on a missing folder, an unreadable image or a file absent from a
 * manifest that exists. */
int folders_load(folder_set *fs, const char *dir, const folder_selection *only, const folder_selection *skip,
                 int min_side, int n_threads, int *n_small, cf_error *err);
void folders_free(folder_set *fs);

/* Whether image i is selected by s. */
int folders_image_matches(const folder_set *fs, int i, const folder_selection *s);

/* Checks that no source file has images on two sides of a split (side[i] for image i); fails naming
 * the source. */
int folders_check_sources(const folder_set *fs, const int *side, cf_error *err);

/* Per-channel mean and standard deviation of pixel/255 over the given images (all their pixels). */
void folders_channel_stats(const folder_set *fs, const int *idx, int n, float mean[3], float std[3]);

/* Draws training images balanced by class, then by unit (group, or generator when by_generator),
 * each unit weighted by count^power (0: every unit alike; 1: every image alike), then uniformly
 * within the unit. */
typedef struct {
    int n_units[2];
    int *unit_start[2], *unit_images[2]; /* images of unit u: unit_images[c][unit_start[c][u] ..< start[u+1]] */
    double *unit_cum[2];                 /* cumulative weights */
} folder_sampler;

int folders_sampler_init(folder_sampler *s, const folder_set *fs, const int *idx, int n, int by_generator, float power,
                         cf_error *err);
int folders_sampler_draw(const folder_sampler *s, int label, cf_rng *rng);
void folders_sampler_free(folder_sampler *s);

/* Training augmentation of one patch, applied alike to both classes. */
typedef struct {
    float jpeg_prob;           /* probability of a JPEG round trip (before the patch is cut) */
    float jpeg_twice;          /* given one, probability of a second at another quality and grid phase */
    int jpeg_min, jpeg_max;    /* quality drawn uniformly in [min, max] */
    int flip;                  /* random horizontal flip */
    float rescale_prob;        /* probability of a down-scaling first (area averaging, image.h), by a
                                * factor drawn uniformly in [0.5, 1): both classes alike, so that having
                                * been resized once is no evidence either way */
} patch_augment;

/* Writes a random p x p native-resolution patch of image i, normalised CHW, into out. With a
 * rescaling, a square region of up to twice the side is first shrunk to the size it needs. With a
 * JPEG round trip, a region up to 16 pixels larger than the patch (a random JPEG grid phase) is
 * encoded and decoded first. All random choices come from rng. */
int folders_train_patch(const folder_set *fs, int i, int p, const patch_augment *aug, const float mean[3],
                        const float std[3], cf_rng *rng, float *out, cf_error *err);

/* Copies the p x p patch at (x0, y0) of a w x h RGB image into out, normalised CHW. */
void folders_patch_normalise(const uint8_t *rgb, int w, int x0, int y0, int p, const float mean[3], const float std[3],
                             float *out);

#endif
