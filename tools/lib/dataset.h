/* dataset.h - CIFAKE in its Kaggle layout (DIR/train/REAL, DIR/train/FAKE, DIR/test/...), decoded
 * once into memory as 32x32 RGB bytes, plus batching with augmentation. */
#ifndef CIFAKE_DATASET_H
#define CIFAKE_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "image.h"
#include "weights.h"

/* CIFAKE images are the thumbnail model's input size. */
#define DS_SIDE CF_MODEL_SIDE
#define DS_PIXELS (DS_SIDE * DS_SIDE * 3)

typedef struct {
    int n;
    uint8_t *pixels;  /* n x 32x32x3, HWC as decoded */
    int *labels;      /* 0 REAL, 1 FAKE */
    uint64_t *hashes; /* FNV-1a of each file's bytes: identical files share a hash */
    char **paths;
} dataset;

/* Loads DIR/split/REAL and DIR/split/FAKE (files sorted by name), decoding with n_threads threads.
 * Fails, naming the file, if a folder is missing or empty or any file cannot be decoded. */
int dataset_load(dataset *ds, const char *dir, const char *split, int n_threads, cf_error *err);
void dataset_free(dataset *ds);

/* Indices of the validation split carved out of train: an image is in validation when its content
 * hash, mixed with the seed, falls in the first `permille`/1000 of the range, so byte-identical
 * duplicates always land on the same side. Returns counts; arrays are malloc'ed. */
int dataset_split(const dataset *ds, uint64_t seed, int permille, int **train_idx, int *n_train, int **val_idx,
                  int *n_val, cf_error *err);

/* The validation split a weight file held out: its seed (split_seed, or in files older than that key
 * the training seed, which then seeded both) and val_permille, read strictly (cf_parse_*). Fails when
 * the file records neither or holds something else than the numbers. */
int dataset_recorded_split(const cf_meta *meta, uint64_t *split_seed, int *permille, cf_error *err);

/* Fails, naming `file`, unless the weight file with metadata meta held out the validation split of
 * (split_seed, permille): a model must never be scored or chosen on images it was trained on. */
int dataset_check_split(const cf_meta *meta, const char *file, uint64_t split_seed, int permille, cf_error *err);

/* Indices of the test images whose exact bytes also occur in `train` (leaked duplicates). */
int dataset_leaked(const dataset *test, const dataset *train, int **idx, int *n, cf_error *err);

/* Per-channel mean and standard deviation of pixel/255 over the given images. */
void dataset_channel_stats(const dataset *ds, const int *idx, int n, float mean[3], float std[3]);

/* Writes one normalised CHW float image for ds image i into out; with augment, a random horizontal
 * flip and a random translation of up to pad pixels (zero padding), drawn from rng. Returns 1 when
 * the image was mirrored, else 0. */
int dataset_prepare(const dataset *ds, int i, const float mean[3], const float std[3], int augment, int pad,
                     cf_rng *rng, float *out);

#endif
