#define _POSIX_C_SOURCE 200809L
#include "fileio.h"
#include "weights.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *n, cf_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return cf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return cf_fail(err, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        fclose(f);
        return cf_fail(err, "%s: file is %lld bytes, over the limit of %zu bytes", path, (long long)st.st_size,
                       max_bytes);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return cf_fail(err, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != size) {
        free(buf);
        return cf_fail(err, "%s: read error", path);
    }
    *out = buf;
    *n = size;
    return 0;
}

int write_file_atomic(const char *path, const void *bytes, size_t n, cf_error *err) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
        return cf_fail(err, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return cf_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
    const uint8_t *p = bytes;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return cf_fail(err, "%s: write failed: %s", tmp, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return cf_fail(err, "%s: cannot flush to disk", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cf_fail(err, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return 0;
}

int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int make_parent_dirs(const char *path, cf_error *err) {
    char buf[4096];
    if (strlen(path) >= sizeof buf) return cf_fail(err, "%s: path too long", path);
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return cf_fail(err, "%s: cannot create: %s", buf, strerror(errno));
        *p = '/';
    }
    return 0;
}

int make_dirs(const char *dir, cf_error *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/.", dir) >= (int)sizeof path) return cf_fail(err, "%s: path too long", dir);
    return make_parent_dirs(path, err);
}

const char *default_data_path(const char *env_name, const char *relative, char *buf, size_t n) {
    const char *env = getenv(env_name);
    if (env && *env) return env;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, n, "%s/../%s", exe, relative);
            if (file_exists(buf)) return buf;
        }
    }
    return relative;
}

const char *default_weights_path(char *buf, size_t n) {
    return default_data_path("CIFAKE_WEIGHTS", "weights/cifake.bin", buf, n);
}

int open_detector_files(const char *const *weights, int n, cifake_detector **d, cf_error *err) {
    *d = NULL;
    for (int k = 0; k < n; k++) {
        uint8_t *bytes;
        size_t size;
        int rc = read_file(weights[k], CF_WEIGHTS_MAX_FILE_BYTES, &bytes, &size, err);
        if (!rc) {
            rc = k ? cifake_add_model(*d, bytes, size, err) : cifake_open(bytes, size, d, err);
            free(bytes);
            if (rc) cf_error_prefix(err, "%s", weights[k]);
        }
        if (rc) {
            cifake_close(*d);
            *d = NULL;
            return -1;
        }
    }
    return 0;
}

int open_model_file(const char *path, cf_loaded_model *m, cf_error *err) {
    uint8_t *bytes;
    size_t size;
    if (read_file(path, CF_WEIGHTS_MAX_FILE_BYTES, &bytes, &size, err)) return -1;
    int rc = cf_loaded_model_open(m, bytes, size, err);
    free(bytes);
    if (rc) cf_error_prefix(err, "%s", path);
    return rc;
}
