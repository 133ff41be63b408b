#include "options.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "metrics.h"
#include "teachers.h"

#define INT_BIG 2147483647.0 /* with OPT_NO_MAX: any int */

/* The default network of cifake-train. */
#define DEFAULT_SPEC "c32,bn,relu,c32,bn,relu,mp,c64,bn,relu,c64,bn,relu,mp,c128,bn,relu,c128,bn,relu,gap,d1"

/* --cell: 0 (the CAM's own grid) or a divisor of the input side. */
static const char *check_cell(const char *v) {
    long long x;
    return !cf_parse_int(v, 0, CF_MODEL_SIDE, &x) && (!x || CF_MODEL_SIDE % x == 0) ? NULL
                                                                                    : "0 or a divisor of 32";
}

/* --baseline: mean, or blurSIGMA with 0 < SIGMA <= 2.5. */
static const char *check_baseline(const char *v) {
    double sigma;
    if (!strcmp(v, "mean") || (!strncmp(v, "blur", 4) && !cf_parse_double(v + 4, &sigma) && sigma > 0 && sigma <= 2.5))
        return NULL;
    return "mean or blurSIGMA with 0 < SIGMA <= 2.5";
}

static const char *check_patch(const char *v) { return !strcmp(v, "32") || !strcmp(v, "64") ? NULL : "32 or 64"; }

static const opt_def table[] = {
    /* ---- shared ---- */
    {.name = "--data", .programs = PROG_TRAIN | PROG_EVAL | PROG_CAMSTATS, .kind = OPT_TEXT, .value = "DIR",
     .env = "CIFAKE_DIR",
     .help = "CIFAKE in the Kaggle layout (DIR/train/REAL, DIR/train/FAKE, DIR/test/...)"},
    {.name = "--threads", .programs = PROG_TRAIN | PROG_EVAL, .kind = OPT_INT, .value = "N", .min = 1, .max = 1024,
     .def = "2", .help = "OpenMP threads"},
    {.name = "--cam-method", .programs = PROG_DETECT | PROG_CAMSTATS, .kind = OPT_CHOICE, .value = "M",
     .choices = "gradcam|gradcampp", .def = "gradcam", .help = "the class activation map: Grad-CAM or Grad-CAM++"},

    /* ---- cifake-train ---- */
    {.name = "--model", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "SPEC", .def = DEFAULT_SPEC,
     .help = "layer spec (see src/model.h)"},
    {.name = "--epochs", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 1, .max = 100000, .def = "20",
     .help = "epochs to train (with --patience, the most it trains)"},
    {.name = "--seed", .programs = PROG_TRAIN, .kind = OPT_U64, .value = "S", .def = "1",
     .help = "seed of the initial weights, the shuffling and the augmentation"},
    {.name = "--out", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "FILE", .def = "weights/cifake.bin",
     .help = "weight file to write (with --folders the default is build/wild/wild.bin)"},
    {.name = "--checkpoint", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "FILE",
     .help = "written after every epoch (default OUT.ckpt)"},
    {.name = "--resume", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "CKPT", .help = "continue from a checkpoint"},
    {.name = "--batch", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 2, .max = 65536, .def = "128",
     .help = "images per optimiser step (even with --folders)"},
    {.name = "--lr", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "X", .min = 0, .bounds = OPT_MIN_OPEN | OPT_NO_MAX,
     .help = "peak learning rate (default 0.1 for sgd, 0.001 for adam)"},
    {.name = "--wd", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "X", .min = 0, .bounds = OPT_NO_MAX, .def = "5e-4",
     .help = "weight decay"},
    {.name = "--optim", .programs = PROG_TRAIN, .kind = OPT_CHOICE, .value = "sgd|adam", .choices = "sgd|adam",
     .def = "sgd", .help = "optimiser: SGD with Nesterov momentum, or Adam"},
    {.name = "--schedule", .programs = PROG_TRAIN, .kind = OPT_CHOICE, .value = "S", .choices = "onecycle|cosine|constant",
     .def = "onecycle", .help = "learning-rate schedule"},
    {.name = "--val-permille", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 1, .max = 500, .def = "50",
     .help = "share of train held out for validation, in 1/1000"},
    {.name = "--split-seed", .programs = PROG_TRAIN, .kind = OPT_U64, .value = "S",
     .help = "seed of that validation split (default: --seed), so runs of several seeds\n"
             "can be compared and ensembled on the same held-out images"},
    {.name = "--pad", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 0, .max = 16, .def = "4",
     .help = "random translation of up to N pixels (0 disables), plus random flips"},
    {.name = "--subset", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 0, .max = INT_BIG, .bounds = OPT_NO_MAX,
     .def = "0", .help = "use only N training images (quick runs; 0 = all)"},
    {.name = "--perturb-prob", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "P", .min = 0, .max = 1, .def = "0",
     .help = "each training image first gets, with probability P, one perturbation drawn from\n"
             "JPEG re-compression, blur, noise and rescaling (cifake-eval --perturb's set)"},
    {.name = "--cutmix", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "P", .min = 0, .max = 1, .def = "0",
     .help = "each training image gets, with probability P, a box of whole 8x8 blocks from\n"
             "another image of its batch; its target becomes the FAKE share of its area"},
    {.name = "--ema", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "DECAY", .min = 0, .max = 1, .bounds = OPT_MAX_OPEN,
     .def = "0", .help = "keep an exponential moving average of the weights and batch-norm statistics\n"
                          "(e.g. 0.999 per step); validation, model selection and the weight file use it\n"
                          "instead of the raw weights; 0: off"},
    {.name = "--teacher", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "FILE", .max_count = TEACHERS_MAX,
     .help = "distillation: the weight files whose ensemble (the mean of their calibrated\n"
             "logits, as cifake-eval) gives the targets; each must hold out this run's validation split"},
    {.name = "--teacher-weight", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "W", .min = 0, .max = 1, .def = "1",
     .help = "the target is W x the ensemble's p_fake + (1 - W) x the label"},
    {.name = "--teacher-mode", .programs = PROG_TRAIN, .kind = OPT_CHOICE, .value = "M", .choices = "cached|live",
     .def = "cached", .help = "cached: the teachers score every training image upright and mirrored once,\n"
                               "before training (a translated or perturbed image gets its clean image's target);\n"
                               "live: they score every training batch as the student sees it"},
    {.name = "--no-test", .programs = PROG_TRAIN, .kind = OPT_FLAG, .help = "do not evaluate on the test split at the end"},
    {.name = "--stop-after", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 0, .max = INT_BIG,
     .bounds = OPT_NO_MAX, .def = "0",
     .help = "stop after epoch N as if interrupted (the checkpoint is kept; --resume continues);\n"
             "the learning-rate schedule still spans --epochs; 0: off"},
    {.name = "--patience", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 0, .max = INT_BIG,
     .bounds = OPT_NO_MAX, .def = "0",
     .help = "early stopping: end training once N epochs in a row have not improved on the\n"
             "best validation loss (the weight file holds the best epoch's weights, as always;\n"
             "--epochs is the most it trains); 0: off"},
    /* cifake-train --folders: native-resolution patch models */
    {.name = "--folders", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "DIR",
     .help = "patch model: DIR/real/<group>/, DIR/fake/<group>/ of any image sizes, optional\n"
             "DIR/MANIFEST.tsv (columns crop, generator, source_file; see tools/lib/folders.h);\n"
             "nothing is resized; the weight file records view=patches and input 3xPxP"},
    {.name = "--patch", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "P", .min = 32, .max = 64, .def = "64",
     .check = check_patch, .help = "patch side, 32 or 64"},
    {.name = "--val-groups", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "LIST",
     .help = "groups (or gen:PREFIX generators) held out for validation: the epoch is chosen,\n"
             "and temperature and threshold are fitted, on whole-image scores there (the mean\n"
             "patch logit over the image's patch grid, patches.h); needs REAL and FAKE images"},
    {.name = "--exclude-groups", .programs = PROG_TRAIN, .kind = OPT_TEXT, .value = "LIST",
     .help = "never loaded (the test groups)"},
    {.name = "--steps-per-epoch", .programs = PROG_TRAIN, .kind = OPT_INT, .value = "N", .min = 1, .max = INT_BIG,
     .bounds = OPT_NO_MAX, .def = "200", .help = "batches per epoch; each batch is half REAL, half FAKE patches"},
    {.name = "--balance", .programs = PROG_TRAIN, .kind = OPT_CHOICE, .value = "B", .choices = "group|generator",
     .def = "group", .help = "within a class, images are drawn by group or generator, each weighted by\n"
                              "its image count to the power --balance-power"},
    {.name = "--balance-power", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "A", .min = 0, .max = 1,
     .def = "0.5", .help = "the power of --balance"},
    {.name = "--jpeg-prob", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "P", .min = 0, .max = 1, .def = "0.9",
     .help = "share of patches JPEG re-encoded (both classes alike) at a quality drawn from\n"
             "--jpeg-quality; random flips and offsets always"},
    {.name = "--jpeg-twice", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "P", .min = 0, .max = 1, .def = "0.3",
     .help = "probability of a second re-encoding at another grid phase"},
    {.name = "--jpeg-quality", .programs = PROG_TRAIN, .kind = OPT_INT_PAIR, .value = "MIN,MAX", .min = 1, .max = 100,
     .def = "60,100", .help = "the range the JPEG quality is drawn from"},
    {.name = "--rescale-prob", .programs = PROG_TRAIN, .kind = OPT_NUMBER, .value = "P", .min = 0, .max = 1, .def = "0",
     .help = "share of patches first shrunk by a factor in [0.5, 1) (area averaging), both\n"
             "classes alike"},

    /* ---- cifake-eval ---- */
    {.name = "--weights", .programs = PROG_EVAL, .kind = OPT_TEXT, .value = "FILE", .max_count = 8,
     .help = "the weight file; given several times, their ensemble: p_fake = sigmoid(mean of\n"
             "score / T over the files), FAKE when p_fake >= the mean of their thresholds (all\n"
             "must hold out the same validation split); with --real/--fake, the detector's models\n"
             "in routing order, as in cifake-detect"},
    {.name = "--split", .programs = PROG_EVAL, .kind = OPT_CHOICE, .value = "test|val", .choices = "test|val",
     .def = "test", .help = "val: the validation images the trainer held out (same seed and share)"},
    {.name = "--exclude-leaked", .programs = PROG_EVAL, .kind = OPT_FLAG,
     .help = "drop test images whose exact bytes also occur in train"},
    {.name = "--json", .programs = PROG_EVAL, .kind = OPT_FLAG,
     .help = "one JSON object: accuracy, precision, recall, f1, auroc, loss, n, confusion"},
    {.name = "--tta", .programs = PROG_EVAL, .kind = OPT_CHOICE, .value = "none|flip", .choices = "none|flip",
     .help = "test-time augmentation (default: each file's own, its tta key, as the detector\n"
             "does): flip scores an image by the mean of the logits of it and its mirror image\n"
             "(twice the inference; temperature and threshold stay the file's)"},
    {.name = "--perturb", .programs = PROG_EVAL, .kind = OPT_FLAG,
     .help = "also under JPEG re-compression (quality 90/75/50/30), Gaussian blur (sigma\n"
             "0.5/1), Gaussian noise (sigma 2/5/10 of 255) and rescaling (to 24 and 16 pixels\n"
             "and back): accuracy, AUROC and both error rates per perturbation"},
    {.name = "--seed", .programs = PROG_EVAL, .kind = OPT_U64, .value = "S", .def = "1",
     .help = "seed of --perturb's noise and of --web's draws (each image has its own stream)"},
    {.name = "--calibration", .programs = PROG_EVAL, .kind = OPT_TEXT, .value = "FILE.png",
     .help = "also a reliability diagram: per confidence bin (" OPT_STR(ECE_BINS) " equal-width bins\n"
             "of max(p_fake, 1 - p_fake)), the accuracy of the prediction p_fake >= 0.5\n"
             "against the bin's mean confidence, and the bin counts, at temperature 1 and\n"
             "at the file's temperature; the per-bin table goes to stderr"},
    {.name = "--bands", .programs = PROG_EVAL, .kind = OPT_FLAG,
     .help = "also the coverage and accuracy of the decided images for UNSURE bands\n"
             "[threshold - h, threshold + h) of p_fake, h = 0.05 .. 0.40 (to choose a\n"
             "weight file's unsure_band on --split val)"},
    {.name = "--real", .programs = PROG_EVAL, .kind = OPT_TEXT, .value = "DIR",
     .help = "with --fake DIR: any images (all sizes and formats the detector takes, in subfolders\n"
             "or not) through exactly the detector's path, scope rules and UNSURE band included.\n"
             "Per group (first-level subfolder; files directly in DIR form a group named after\n"
             "DIR) and overall: n, the raw AUROC (of the model's p_fake, its guesses on UNSURE\n"
             "images included; a group against all images of the other class), the share called\n"
             "FAKE (false alarms for real images, catches for fakes), coverage (share given REAL\n"
             "or FAKE) and the accuracy of the decided images (n/a where none was decided)"},
    {.name = "--fake", .programs = PROG_EVAL, .kind = OPT_TEXT, .value = "DIR", .help = "the fake images of --real"},
    {.name = "--folders", .programs = PROG_EVAL, .kind = OPT_TEXT, .value = "DIR",
     .help = "a patch model (view=patches) on image folders (tools/lib/folders.h): one table\n"
             "per condition (as they are; re-encoded as JPEG at --jpeg; with --web, as delivered\n"
             "on the web), a row per group and per generator: AUROC against all the REAL images\n"
             "evaluated, share of REAL called FAKE and of FAKE caught at the file's threshold,\n"
             "and coverage and accuracy of the verdicts outside the UNSURE band"},
    {.name = "--groups", .programs = PROG_EVAL, .kind = OPT_TEXT, .value = "LIST",
     .help = "--folders: only these groups (gen:PREFIX for generators); default all (folders.h)"},
    {.name = "--band", .programs = PROG_EVAL, .kind = OPT_NUMBER_PAIR, .value = "LO,HI", .min = 0, .max = 1,
     .help = "--folders: UNSURE when LO <= p_fake < HI (default: the file's unsure_band)"},
    {.name = "--jpeg", .programs = PROG_EVAL, .kind = OPT_INT, .value = "Q", .min = 1, .max = 100, .def = "90",
     .help = "--folders: quality of the re-encoded condition"},
    {.name = "--web", .programs = PROG_EVAL, .kind = OPT_FLAG,
     .help = "--folders: a third condition, as delivered on the web: every image (both classes\n"
             "alike) shrunk by a factor drawn from [0.5, 0.9) (area averaging, no side below the\n"
             "patch), then JPEG at a quality drawn from 70..90; each image's draw comes from\n"
             "--seed and its path, whatever else is evaluated"},
    {.name = "--scores", .programs = PROG_EVAL, .kind = OPT_TEXT, .value = "TSV",
     .help = "--folders: also write every image's scores: path, class, group, generator, logit,\n"
             "p_fake, logit and p_fake after re-encoding (and as delivered, with --web)"},

    /* ---- cifake-detect ---- */
    {.name = "--weights", .programs = PROG_DETECT, .kind = OPT_TEXT, .value = "FILE", .max_count = CIFAKE_MAX_MODELS,
     .help = "weight file (default: $CIFAKE_WEIGHTS, else weights/cifake.bin beside the build);\n"
             "given several times, the models are tried in that order and the first whose\n"
             "scope holds the image judges it"},
    {.name = "--json", .programs = PROG_DETECT, .kind = OPT_FLAG,
     .help = "one JSON array instead of lines: path, label, p_fake, scope, reason (plain words),\n"
             "detail (the same in the model's terms, with its numbers), model (its weight file),\n"
             "reliability, width, height, provenance"},
    {.name = "--provenance", .programs = PROG_DETECT, .kind = OPT_FLAG,
     .help = "list what each file declares about its origin (C2PA Content Credentials and their\n"
             "checks, XMP, PNG text of Stable Diffusion front ends, EXIF) instead of classifying"},
    {.name = "--trust", .programs = PROG_DETECT, .kind = OPT_TEXT, .value = "PEM",
     .help = "the C2PA trust list that signers are checked against (default: $CIFAKE_TRUST,\n"
             "else web/trust/C2PA-TRUST-LIST.pem beside the build)"},
    {.name = "--cam", .programs = PROG_DETECT, .kind = OPT_TEXT, .value = "DIR",
     .help = "also write DIR/<image name>.cam.png, the heatmap of the evidence for the verdict:\n"
             "Grad-CAM over the square a thumbnail model saw, or a patch model's scores over\n"
             "the whole image (longer side --cam-size)"},
    {.name = "--cam-class", .programs = PROG_DETECT, .kind = OPT_CHOICE, .value = "C", .choices = "predicted|REAL|FAKE",
     .def = "predicted", .help = "the class whose evidence to show"},
    {.name = "--cam-layer", .programs = PROG_DETECT, .kind = OPT_INT, .value = "N", .min = 1, .max = INT_BIG,
     .bounds = OPT_NO_MAX, .help = "explain the N-th layer of the weight file's spec (1-based; a convolution);\n"
                                   "default: the last convolution"},
    {.name = "--colormap", .programs = PROG_DETECT, .kind = OPT_CHOICE, .value = "C", .choices = "turbo|jet|viridis",
     .def = "turbo", .help = "the heatmap's colours"},
    {.name = "--alpha", .programs = PROG_DETECT, .kind = OPT_NUMBER, .value = "A", .min = 0, .max = 1, .def = "0.5",
     .help = "heatmap opacity"},
    {.name = "--cam-size", .programs = PROG_DETECT, .kind = OPT_INT, .value = "N", .min = 8, .max = 2048, .def = "256",
     .help = "side of the PNG in pixels"},

    /* ---- cifake-export ---- */
    {.name = "--weights", .programs = PROG_EXPORT, .kind = OPT_TEXT, .value = "FILE",
     .help = "weight file (default: $CIFAKE_WEIGHTS, else weights/cifake.bin beside the build)"},
    {.name = "--onnx", .programs = PROG_EXPORT, .kind = OPT_TEXT, .value = "OUT.onnx",
     .help = "write the model as an ONNX graph"},
    {.name = "--set", .programs = PROG_EXPORT, .kind = OPT_TEXT, .value = "KEY=VALUE", .max_count = 16,
     .help = "set a metadata key in the copy --out writes"},
    {.name = "--out", .programs = PROG_EXPORT, .kind = OPT_TEXT, .value = "OUT.bin",
     .help = "where --set writes the copy of the weight file"},
    {.name = "--keys", .programs = PROG_EXPORT, .kind = OPT_FLAG,
     .help = "list the metadata keys the project writes or reads (alone)"},

    /* ---- cifake-camstats ---- */
    {.name = "--weights", .programs = PROG_CAMSTATS, .kind = OPT_TEXT, .value = "FILE", .def = "weights/cifake.bin",
     .help = "weight file"},
    {.name = "--split", .programs = PROG_CAMSTATS, .kind = OPT_CHOICE, .value = "test|train", .choices = "test|train",
     .def = "test", .help = "the CIFAKE split measured"},
    {.name = "--grid", .programs = PROG_CAMSTATS, .kind = OPT_TEXT, .value = "FILE.png",
     .help = "also one PNG of example overlays: rows REAL called REAL, REAL called FAKE, FAKE\n"
             "called FAKE, FAKE called REAL"},
    {.name = "--grid-cols", .programs = PROG_CAMSTATS, .kind = OPT_INT, .value = "N", .min = 1, .max = 64, .def = "8",
     .help = "--grid: images per row"},
    {.name = "--grid-tile", .programs = PROG_CAMSTATS, .kind = OPT_INT, .value = "PIXELS", .min = 8, .max = 512,
     .def = "64", .help = "--grid: side of each drawn image"},
    {.name = "--faithfulness", .programs = PROG_CAMSTATS, .kind = OPT_FLAG,
     .help = "deletion and insertion curves of Grad-CAM, Grad-CAM++ and a random map (seeded)\n"
             "for the predicted class: remove (or reveal) the top k% of cells ranked by the map,\n"
             "k = 0, 5, ..., 100, replacing them by the baseline"},
    {.name = "--subset", .programs = PROG_CAMSTATS, .kind = OPT_INT, .value = "N", .min = 0, .max = INT_BIG,
     .bounds = OPT_NO_MAX, .def = "2000", .help = "--faithfulness: images measured, a seeded subset (0: all)"},
    {.name = "--seed", .programs = PROG_CAMSTATS, .kind = OPT_U64, .value = "S", .def = "1",
     .help = "--faithfulness: seed of the subset and the random map"},
    {.name = "--cell", .programs = PROG_CAMSTATS, .kind = OPT_INT, .value = "PIXELS", .min = 0, .max = CF_MODEL_SIDE,
     .def = "0", .check = check_cell,
     .help = "--faithfulness: cells are squares of PIXELS (a divisor of the input side);\n"
             "0: the CAM's own grid (input side / CAM map side)"},
    {.name = "--baseline", .programs = PROG_CAMSTATS, .kind = OPT_TEXT, .value = "blurSIGMA|mean", .def = "blur2.5",
     .check = check_baseline,
     .help = "--faithfulness: the image blurred with a Gaussian of SIGMA pixels (0 < SIGMA <= 2.5),\n"
             "or the training split's mean colour"},
    {.name = "--plot", .programs = PROG_CAMSTATS, .kind = OPT_TEXT, .value = "FILE.png",
     .help = "--faithfulness: also a figure of the mean curves"},
};

_Static_assert(sizeof table / sizeof table[0] <= OPT_MAX_ENTRIES, "raise OPT_MAX_ENTRIES");

const opt_def *opt_table(int *n) {
    *n = (int)(sizeof table / sizeof table[0]);
    return table;
}

static int entry_index(const char *name, unsigned program) {
    for (int i = 0; i < (int)(sizeof table / sizeof table[0]); i++)
        if ((table[i].programs & program) && !strcmp(table[i].name, name)) return i;
    return -1;
}

const opt_def *opt_find(const char *name, unsigned program) {
    int i = entry_index(name, program);
    return i < 0 ? NULL : &table[i];
}

/* A range bound as the help shows it: 5e-4, 0.5, 2, 65536. */
static void bound_text(double v, char *buf, size_t n) { snprintf(buf, n, "%.10g", v); }

const char *opt_expected(const opt_def *d, char *buf, size_t n) {
    char lo[32], hi[32];
    bound_text(d->min, lo, sizeof lo);
    bound_text(d->max, hi, sizeof hi);
    switch (d->kind) {
    case OPT_INT:
        if (d->bounds & OPT_NO_MAX) snprintf(buf, n, "an integer >= %s", lo);
        else snprintf(buf, n, "an integer in %s..%s", lo, hi);
        break;
    case OPT_U64: snprintf(buf, n, "an integer >= 0"); break;
    case OPT_NUMBER:
        if (d->bounds & OPT_NO_MAX) snprintf(buf, n, "a number %s %s", d->bounds & OPT_MIN_OPEN ? ">" : ">=", lo);
        else
            snprintf(buf, n, "a number in %c%s, %s%c", d->bounds & OPT_MIN_OPEN ? '(' : '[', lo, hi,
                     d->bounds & OPT_MAX_OPEN ? ')' : ']');
        break;
    case OPT_CHOICE: snprintf(buf, n, "one of %s", d->choices); break;
    case OPT_INT_PAIR: snprintf(buf, n, "two integers MIN,MAX in %s..%s with MIN <= MAX", lo, hi); break;
    case OPT_NUMBER_PAIR: snprintf(buf, n, "two numbers LO,HI in [%s, %s] with LO <= HI", lo, hi); break;
    default: snprintf(buf, n, "%s", ""); break;
    }
    return buf;
}

static int in_range(const opt_def *d, double v) {
    if (d->bounds & OPT_MIN_OPEN ? !(v > d->min) : !(v >= d->min)) return 0;
    if (d->bounds & OPT_NO_MAX) return 1;
    return d->bounds & OPT_MAX_OPEN ? v < d->max : v <= d->max;
}

/* The two halves of "A,B" parsed by parse (cf_parse_int or cf_parse_double), in range, A <= B. */
static int pair_ok(const opt_def *d, const char *v) {
    const char *comma = strchr(v, ',');
    char first[64];
    if (!comma || (size_t)(comma - v) >= sizeof first) return 0;
    snprintf(first, sizeof first, "%.*s", (int)(comma - v), v);
    if (d->kind == OPT_INT_PAIR) {
        long long a, b;
        return !cf_parse_int(first, (long long)d->min, (long long)d->max, &a) &&
               !cf_parse_int(comma + 1, (long long)d->min, (long long)d->max, &b) && a <= b;
    }
    double a, b;
    return !cf_parse_double(first, &a) && !cf_parse_double(comma + 1, &b) && in_range(d, a) && in_range(d, b) && a <= b;
}

/* The position of v among choices ("a|b|c"), or -1. */
static int choice_index(const char *choices, const char *v) {
    size_t n = v ? strlen(v) : 0;
    const char *c = choices;
    for (int i = 0; n && c; i++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, v, n)) return i;
        c = bar ? bar + 1 : NULL;
    }
    return -1;
}

static int value_ok(const opt_def *d, const char *v) {
    long long i;
    uint64_t u;
    double x;
    switch (d->kind) {
    case OPT_INT:
        return !cf_parse_int(v, (long long)d->min, d->bounds & OPT_NO_MAX ? (long long)INT_BIG : (long long)d->max, &i);
    case OPT_U64: return !cf_parse_u64(v, &u);
    case OPT_NUMBER: return !cf_parse_double(v, &x) && in_range(d, x);
    case OPT_CHOICE: return choice_index(d->choices, v) >= 0;
    case OPT_INT_PAIR:
    case OPT_NUMBER_PAIR: return pair_ok(d, v);
    default: return 1;
    }
}

int opt_check_value(const opt_def *d, const char *value, cf_error *err) {
    char buf[128];
    const char *rule = NULL;
    if (!value_ok(d, value)) rule = opt_expected(d, buf, sizeof buf);
    else if (d->check) rule = d->check(value);
    if (rule) return cf_fail(err, "%s: expected %s, got '%s'", d->name, rule, value);
    return 0;
}

/* The programs that take a name, for the message when another program is given it. */
static void owners(const char *name, char *buf, size_t n) {
    static const char *const names[] = {"cifake-train", "cifake-eval", "cifake-detect", "cifake-export", "cifake-camstats"};
    unsigned bits = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].name, name)) bits |= table[i].programs;
    size_t used = 0;
    buf[0] = 0;
    for (int p = 0; p < 5 && used < n; p++)
        if (bits & (1u << p)) used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", names[p]);
}

int opt_parse(const opt_program *p, int argc, char **argv, opt_args *a, cf_error *err) {
    memset(a, 0, sizeof *a);
    a->program = p;
    a->first_operand = argc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) return 1;
        if (!strcmp(arg, "--")) {
            a->first_operand = i + 1;
            break;
        }
        if (arg[0] != '-' || !arg[1]) { /* an operand ("-" alone too) */
            if (!p->takes_operands) return cf_fail(err, "unexpected argument '%s'", arg);
            a->first_operand = i;
            break;
        }
        int k = entry_index(arg, p->id);
        if (k < 0) {
            char who[128];
            owners(arg, who, sizeof who);
            if (*who) return cf_fail(err, "%s is not an option of %s, but of %s", arg, p->name, who);
            return cf_fail(err, "unknown option %s", arg);
        }
        const opt_def *d = &table[k];
        const char *value = arg; /* a flag's "value": the name itself */
        if (d->kind != OPT_FLAG) {
            if (i + 1 >= argc) return cf_fail(err, "%s needs a value (%s)", arg, d->value);
            value = argv[++i];
            if (opt_check_value(d, value, err)) return -1;
        }
        if (d->max_count && a->count[k] == d->max_count)
            return cf_fail(err, "%s: given more than %d times", arg, d->max_count);
        a->given[k][d->max_count ? a->count[k] : 0] = value;
        a->count[k]++;
    }
    return 0;
}

int opt_parse_main(const opt_program *p, int argc, char **argv, opt_args *a) {
    cf_error err;
    int rc = opt_parse(p, argc, argv, a, &err);
    if (rc == 1) opt_print_help(p, stdout);
    else if (rc) fprintf(stderr, "%s: %s (%s --help lists the options)\n", p->name, err.msg, p->name);
    return rc < 0 ? 2 : rc;
}

static void append(cf_buffer *out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void append(cf_buffer *out, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0) cf_buffer_append(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

#define HELP_COLUMN 22
#define HELP_WIDTH 110

/* One option's paragraph: "  --name VALUE" then its help, continuation lines at HELP_COLUMN, and in
 * brackets what it takes: type and range, default, environment variable, how many times. */
static void help_entry(const opt_def *d, cf_buffer *out) {
    char head[96], rule[160], facts[320];
    snprintf(head, sizeof head, "  %s%s%s", d->name, d->value ? " " : "", d->value ? d->value : "");
    size_t used = 0;
    facts[0] = 0;
    opt_expected(d, rule, sizeof rule);
    if (*rule && !(d->kind == OPT_CHOICE && !strcmp(d->value, d->choices))) used += (size_t)snprintf(facts + used, sizeof facts - used, "%s", rule);
    if (d->env && used < sizeof facts)
        used += (size_t)snprintf(facts + used, sizeof facts - used, "%sdefault $%s", used ? "; " : "", d->env);
    if (d->def && used < sizeof facts)
        used += (size_t)snprintf(facts + used, sizeof facts - used, "%s%s %s", used ? "; " : "",
                                 d->env ? "else" : "default", d->def);
    if (d->max_count && used < sizeof facts)
        used += (size_t)snprintf(facts + used, sizeof facts - used, "%sup to %d times", used ? "; " : "", d->max_count);
    int pad = HELP_COLUMN - (int)strlen(head);
    append(out, "%s%*s", head, pad > 1 ? pad : 2, "");
    size_t last = 0; /* length of the help's last line */
    for (const char *s = d->help; *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (s != d->help) append(out, "%*s", HELP_COLUMN, "");
        append(out, "%.*s%s", (int)len, s, nl ? "\n" : "");
        last = len;
        s = nl ? nl + 1 : s + len;
    }
    if (!*facts) append(out, "\n");
    else if (HELP_COLUMN + last + strlen(facts) + 3 <= HELP_WIDTH) append(out, " [%s]\n", facts);
    else append(out, "\n%*s[%s]\n", HELP_COLUMN, "", facts);
}

void opt_help(const opt_program *p, cf_buffer *out) {
    cf_buffer_append(out, p->usage, strlen(p->usage));
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].programs & p->id) help_entry(&table[i], out);
    append(out, "  -h, --help%*sthis help\n", HELP_COLUMN - 12, "");
    if (p->notes) cf_buffer_append(out, p->notes, strlen(p->notes));
}

void opt_print_help(const opt_program *p, FILE *f) {
    cf_buffer out = {0};
    opt_help(p, &out);
    if (!out.failed) fwrite(out.data, 1, out.len, f);
    free(out.data);
}

/* ---- the values ---- */

static int parsed_index(const opt_args *a, const char *name) {
    int k = entry_index(name, a->program->id);
    if (k < 0) { /* a program asking for an option it does not take: a bug, caught by its first run */
        fprintf(stderr, "%s: internal error: %s is not in its options table\n", a->program->name, name);
        abort();
    }
    return k;
}

int opt_count(const opt_args *a, const char *name) { return a->count[parsed_index(a, name)]; }

const char *opt_text(const opt_args *a, const char *name) {
    int k = parsed_index(a, name);
    const opt_def *d = &table[k];
    if (a->count[k]) return a->given[k][d->max_count ? a->count[k] - 1 : 0];
    const char *env = d->env ? getenv(d->env) : NULL;
    return env ? env : d->def;
}

const char *opt_item(const opt_args *a, const char *name, int k) {
    int e = parsed_index(a, name);
    return k >= 0 && k < a->count[e] && k < OPT_MAX_VALUES ? a->given[e][k] : NULL;
}

long long opt_int(const opt_args *a, const char *name) {
    long long v = 0;
    const char *s = opt_text(a, name);
    return s && !cf_parse_int(s, -(long long)INT_BIG, (long long)INT_BIG, &v) ? v : 0;
}

uint64_t opt_u64(const opt_args *a, const char *name) {
    uint64_t v = 0;
    const char *s = opt_text(a, name);
    return s && !cf_parse_u64(s, &v) ? v : 0;
}

double opt_number(const opt_args *a, const char *name) {
    double v = 0;
    const char *s = opt_text(a, name);
    return s && !cf_parse_double(s, &v) ? v : 0;
}

float opt_float(const opt_args *a, const char *name) {
    const char *s = opt_text(a, name);
    return s ? strtof(s, NULL) : 0.0f; /* checked by opt_parse (or the table's test): all of s is the number */
}

int opt_choice(const opt_args *a, const char *name) {
    return choice_index(table[parsed_index(a, name)].choices, opt_text(a, name));
}

void opt_int_pair(const opt_args *a, const char *name, int out[2]) {
    const char *s = opt_text(a, name), *comma = s ? strchr(s, ',') : NULL;
    out[0] = comma ? (int)strtol(s, NULL, 10) : 0; /* checked by opt_parse: two integers in range */
    out[1] = comma ? (int)strtol(comma + 1, NULL, 10) : 0;
}

void opt_float_pair(const opt_args *a, const char *name, float out[2]) {
    const char *s = opt_text(a, name), *comma = s ? strchr(s, ',') : NULL;
    out[0] = comma ? strtof(s, NULL) : NAN;
    out[1] = comma ? strtof(comma + 1, NULL) : NAN;
}
