/* prov_text.c - XMP packets and the PNG text of Stable Diffusion front ends, interpreted.
 *
 * XMP: Iptc4xmpExt:DigitalSourceType (attribute, element or rdf:resource form) with the IPTC codes
 * (https://cv.iptc.org/newscodes/digitalsourcetype/), xmp:CreatorTool and photoshop:Credit matched
 * against the generator table. A scan for the few properties, not an XML parser: bounded by the
 * packet's size (CF_PROV_MAX_TEXT) and a cap on the occurrences looked at.
 *
 * PNG text: AUTOMATIC1111 "parameters", ComfyUI "prompt" + "workflow" (API and UI graphs, JSON),
 * InvokeAI "invokeai_metadata" (or another "invokeai_" key) / "sd-metadata" / "Dream", NovelAI
 * ("Software" NovelAI, "Description" the prompt, "Comment" JSON), Fooocus ("fooocus_scheme",
 * "parameters" JSON), SwarmUI ("parameters" JSON with "sui_image_params"). JSON values are found
 * by key with a bounded scan, never parsed into trees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generators.h"
#include "prov_internal.h"

#define XMP_MAX_OCCURRENCES 1000 /* occurrences of one property name looked at */
#define NAME_SHOWN 64            /* bytes of a model or checkpoint name put in a sentence */

/* ---- small text tools ------------------------------------------------------------------------- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void trim(const char **s, size_t *n) {
    while (*n && is_space(**s)) (*s)++, (*n)--;
    while (*n && is_space((*s)[*n - 1])) (*n)--;
}

size_t cf_prov_utf8_put(char *out, uint32_t c) {
    if (c < 0x80) return out[0] = (char)c, 1;
    if (c < 0x800) return out[0] = (char)(0xC0 | c >> 6), out[1] = (char)(0x80 | (c & 0x3F)), 2;
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | c >> 12), out[1] = (char)(0x80 | (c >> 6 & 0x3F)), out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | c >> 18), out[1] = (char)(0x80 | (c >> 12 & 0x3F));
    out[2] = (char)(0x80 | (c >> 6 & 0x3F)), out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int hex4(const char *s, uint32_t *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return 0;
        *v = *v << 4 | (uint32_t)d;
    }
    return 1;
}

/* The JSON string value of the first occurrence of "key" (with quotes) in text whose value is a
 * string, unescaped into a malloc'ed copy; NULL if none (or out of memory: rd->oom). */
static char *json_string_value(cf_prov_reader *rd, const char *text, size_t n, const char *key) {
    char quoted[80];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    size_t at = 0;
    for (int tries = 0; tries < XMP_MAX_OCCURRENCES; tries++) {
        const char *k = cf_prov_find(text + at, n - at, quoted);
        if (!k) return NULL;
        size_t i = (size_t)(k - text) + strlen(quoted);
        at = i;
        while (i < n && is_space(text[i])) i++;
        if (i >= n || text[i] != ':') continue;
        i++;
        while (i < n && is_space(text[i])) i++;
        if (i >= n || text[i] != '"') continue;
        i++;
        size_t end = i; /* find the closing quote first: the output is at most that long */
        while (end < n && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
        if (end > n) end = n;
        char *out = malloc(end - i + 1);
        if (!out) {
            rd->oom = 1;
            return NULL;
        }
        size_t o = 0;
        while (i < end) {
            char c = text[i++];
            if (c != '\\' || i >= end) {
                out[o++] = c;
                continue;
            }
            char e = text[i++];
            uint32_t u;
            switch (e) {
            case 'n': out[o++] = '\n'; break;
            case 't': out[o++] = '\t'; break;
            case 'r': out[o++] = '\r'; break;
            case 'b': case 'f': out[o++] = ' '; break;
            case 'u':
                /* \uXXXX is 6 bytes of input and at most 3 of output (surrogates: U+FFFD) */
                if (i + 4 <= end && hex4(text + i, &u)) {
                    i += 4;
                    if (u >= 0xD800 && u < 0xE000) u = 0xFFFD;
                    if (u == 0) u = 0xFFFD;
                    o += cf_prov_utf8_put(out + o, u);
                } else {
                    out[o++] = '?';
                }
                break;
            default: out[o++] = e;
            }
        }
        out[o] = 0;
        return out;
    }
    return NULL;
}

/* ---- A1111 parameters ------------------------------------------------------------------------- */

/* The start of a line beginning with prefix, or NULL. */
static const char *line_starting(const char *text, size_t n, const char *prefix) {
    if (n >= strlen(prefix) && memcmp(text, prefix, strlen(prefix)) == 0) return text;
    char needle[64];
    snprintf(needle, sizeof needle, "\n%s", prefix);
    const char *at = cf_prov_find(text, n, needle);
    return at ? at + 1 : NULL;
}

int cf_prov_parse_a1111(cf_prov_reader *rd, const char *text, size_t n, char **prompt, char *model, size_t model_cap) {
    *prompt = NULL;
    if (model_cap) model[0] = 0;
    const char *steps = line_starting(text, n, "Steps: ");
    if (!steps) return 0;
    size_t rest = n - (size_t)(steps - text);
    const char *line_end = memchr(steps, '\n', rest);
    size_t line_n = line_end ? (size_t)(line_end - steps) : rest;
    if (!cf_prov_find(steps, line_n, "Sampler: ") && !cf_prov_find(steps, line_n, "Seed: ")) return 0;
    const char *m = cf_prov_find(steps, line_n, "Model: ");
    if (m) {
        m += 7;
        size_t len = 0;
        while (m + len < steps + line_n && m[len] != ',') len++;
        cf_prov_copy(model, model_cap, m, len < NAME_SHOWN ? len : NAME_SHOWN);
    }
    const char *negative = line_starting(text, (size_t)(steps - text), "Negative prompt:");
    const char *end = negative ? negative : steps;
    const char *p = text;
    size_t pn = (size_t)(end - text);
    trim(&p, &pn);
    *prompt = cf_prov_strndup(rd, p, pn);
    return 1;
}

/* ---- XMP -------------------------------------------------------------------------------------- */

/* The value of property name (e.g. "DigitalSourceType": any namespace prefix) in an XMP packet:
 * attribute form name="v", element form <p:name>v</p:name>, <p:name rdf:resource="v"/>, or a text
 * inside one level of rdf:Alt/Seq/Bag + rdf:li. Written into out (trimmed); 0 when absent. */
static int xmp_value(const char *x, size_t n, const char *name, char *out, size_t cap) {
    char needle[80];
    snprintf(needle, sizeof needle, ":%s", name);
    size_t m = strlen(needle), at = 0;
    for (int tries = 0; tries < XMP_MAX_OCCURRENCES; tries++) {
        const char *hit = cf_prov_find(x + at, n - at, needle);
        if (!hit) return 0;
        size_t i = (size_t)(hit - x) + m;
        at = i;
        if (i >= n) return 0;
        /* a closing tag </p:name> is not a value */
        size_t s = (size_t)(hit - x);
        while (s > 0 && x[s - 1] != '<' && x[s - 1] != '/' && !is_space(x[s - 1]) && x[s - 1] != '"' &&
               x[s - 1] != '\'' && (size_t)(hit - x) - s < 64)
            s--;
        if (s > 0 && x[s - 1] == '/') continue;
        const char *v = NULL;
        size_t vn = 0;
        if (x[i] == '=' && i + 1 < n && (x[i + 1] == '"' || x[i + 1] == '\'')) { /* attribute */
            const char *q = memchr(x + i + 2, x[i + 1], n - i - 2);
            if (!q) return 0;
            v = x + i + 2, vn = (size_t)(q - v);
        } else if (x[i] == '>' || x[i] == '/' || is_space(x[i])) { /* element */
            const char *gt = memchr(x + i, '>', n - i);
            if (!gt) return 0;
            const char *res = cf_prov_find(x + i, (size_t)(gt - (x + i)), "resource=");
            if (res && res + 10 <= gt && (res[9] == '"' || res[9] == '\'')) {
                const char *q = memchr(res + 10, res[9], (size_t)(gt - res - 10));
                if (q) v = res + 10, vn = (size_t)(q - v);
            } else if (gt[-1] != '/') {
                const char *t = gt + 1, *end = x + n;
                for (int depth = 0; depth < 3 && t < end; depth++) { /* skip <rdf:Alt>, <rdf:li ...> */
                    while (t < end && is_space(*t)) t++;
                    if (t + 1 >= end || t[0] != '<' || t[1] == '/') break;
                    const char *close = memchr(t, '>', (size_t)(end - t));
                    if (!close) return 0;
                    t = close + 1;
                }
                const char *lt = memchr(t, '<', (size_t)(end - t));
                if (lt) v = t, vn = (size_t)(lt - t);
            }
        } else {
            continue; /* a longer name ("DigitalSourceTypeX") */
        }
        if (!v) continue;
        trim(&v, &vn);
        if (!vn) continue;
        cf_prov_copy(out, cap, v, vn);
        return 1;
    }
    return 0;
}

/* The IPTC digital source type code (the URI's last part) as a declaration. */
static cf_declares source_type_declares(const char *code) {
    if (!strcmp(code, "trainedAlgorithmicMedia")) return CF_DECLARES_AI_GENERATED;
    if (!strcmp(code, "compositeWithTrainedAlgorithmicMedia")) return CF_DECLARES_AI_EDITED;
    if (!strcmp(code, "digitalCapture") || !strcmp(code, "computationalCapture") || !strcmp(code, "negativeFilm") ||
        !strcmp(code, "positiveFilm") || !strcmp(code, "print"))
        return CF_DECLARES_CAPTURE;
    /* algorithmicMedia (no "trained": not AI), algorithmicallyEnhanced, compositeSynthetic,
     * composite, minorHumanEdits, screenCapture, virtualRecording, dataDrivenMedia, ... */
    return CF_DECLARES_OTHER;
}

static const char *source_type_code(const char *uri) {
    const char *slash = strrchr(uri, '/');
    return slash ? slash + 1 : uri;
}

void cf_prov_interpret_xmp(cf_prov_reader *rd) {
    char dst[512] = "", tool[256] = "", credit[256] = "";
    for (int i = 0; i < rd->n_xmp; i++) {
        if (!dst[0]) xmp_value(rd->xmp[i], rd->xmp_n[i], "DigitalSourceType", dst, sizeof dst);
        if (!tool[0]) xmp_value(rd->xmp[i], rd->xmp_n[i], "CreatorTool", tool, sizeof tool);
        if (!credit[0]) xmp_value(rd->xmp[i], rd->xmp_n[i], "Credit", credit, sizeof credit);
    }
    cf_provenance *p = rd->p;
    if ((dst[0] && cf_prov_add_field(p, "XMP:DigitalSourceType", dst, strlen(dst))) ||
        (tool[0] && cf_prov_add_field(p, "XMP:CreatorTool", tool, strlen(tool))) ||
        (credit[0] && cf_prov_add_field(p, "XMP:Credit", credit, strlen(credit)))) {
        rd->oom = 1;
        return;
    }
    if (!dst[0] && !tool[0] && !credit[0]) return;
    const char *code = dst[0] ? source_type_code(dst) : "";
    cf_declares from_dst = dst[0] ? source_type_declares(code) : CF_DECLARES_NONE;
    const char *g_tool = tool[0] ? cf_generator_find(tool, strlen(tool)) : NULL;
    const char *g_credit = credit[0] ? cf_generator_find(credit, strlen(credit)) : NULL;
    const char *g = g_tool ? g_tool : g_credit;
    cf_declares from_name = !g ? CF_DECLARES_NONE : cf_generator_edits(g) ? CF_DECLARES_AI_EDITED : CF_DECLARES_AI_GENERATED;
    cf_prov_signal *s = cf_prov_add_signal(p, CF_SIGNAL_XMP);
    if (!s) return;
    if (g) cf_prov_copy(s->generator, sizeof s->generator, g, strlen(g));
    char by[200] = "";
    if (g) snprintf(by, sizeof by, " (%s)", g);
    if (from_dst == CF_DECLARES_AI_GENERATED || from_dst == CF_DECLARES_AI_EDITED) {
        s->declares = from_dst;
        cf_prov_says(s, "XMP DigitalSourceType %s declares the image %s%s", code,
                  from_dst == CF_DECLARES_AI_GENERATED ? "generated by AI" : "edited with generative AI", by);
    } else if (from_name) {
        s->declares = from_name;
        cf_prov_says(s, "XMP %s names %s: it declares the image %s", g_tool ? "CreatorTool" : "Credit", g,
                  from_name == CF_DECLARES_AI_GENERATED ? "generated" : "edited with generative AI");
    } else if (from_dst == CF_DECLARES_CAPTURE) {
        s->declares = CF_DECLARES_CAPTURE;
        cf_prov_says(s, "XMP DigitalSourceType %s declares a capture (XMP can be forged)", code);
    } else if (dst[0]) {
        s->declares = CF_DECLARES_OTHER;
        cf_prov_says(s, "XMP DigitalSourceType %s: not a declaration of generative AI", code);
    } else {
        s->declares = CF_DECLARES_OTHER;
        cf_prov_says(s, "XMP names the software %s", tool[0] ? tool : credit);
    }
}

/* ---- PNG text --------------------------------------------------------------------------------- */

static const cf_prov_text *text_named(const cf_prov_reader *rd, const char *key) {
    for (int i = 0; i < rd->n_texts; i++)
        if (!strcmp(rd->texts[i].key, key)) return &rd->texts[i];
    return NULL;
}

/* A short, printable name for a sentence. */
static void shown_name(char *out, size_t cap, const char *name) {
    cf_prov_copy(out, cap < NAME_SHOWN + 1 ? cap : NAME_SHOWN + 1, name, strlen(name));
}

/* The first checkpoint or diffusion model a ComfyUI graph loads. */
static char *comfy_checkpoint(cf_prov_reader *rd, const cf_prov_text *t) {
    static const char *keys[] = {"ckpt_name", "unet_name", "model_name", "base_ckpt_name"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !rd->oom; i++) {
        char *v = json_string_value(rd, t->value, t->n, keys[i]);
        if (v && v[0]) return v;
        free(v);
    }
    return NULL;
}

/* The first model file named in a UI graph ("workflow"), which keeps names only in its nodes'
 * widgets_values, by position: the first quoted string ending in a model file's extension. */
static char *workflow_model_file(cf_prov_reader *rd, const cf_prov_text *t) {
    static const char *ends[] = {".safetensors\"", ".ckpt\"", ".gguf\"", ".sft\""};
    const char *best = NULL;
    size_t best_n = 0;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        const char *end = cf_prov_find(t->value, t->n, ends[i]);
        if (!end || (best && end >= best)) continue;
        const char *start = end;
        while (start > t->value && start[-1] != '"' && end - start < 256) start--;
        if (start == t->value || start[-1] != '"') continue;
        best = start;
        best_n = (size_t)(end - start) + strlen(ends[i]) - 1;
    }
    return best ? cf_prov_strndup(rd, best, best_n) : NULL;
}

static void comfyui(cf_prov_reader *rd, cf_prov_signal *s, const cf_prov_text *graph, const cf_prov_text *workflow) {
    s->declares = CF_DECLARES_AI_GENERATED;
    cf_prov_copy(s->generator, sizeof s->generator, "ComfyUI", 7);
    char *ckpt = graph ? comfy_checkpoint(rd, graph) : NULL;
    if (!ckpt && workflow && !rd->oom) ckpt = workflow_model_file(rd, workflow);
    if (ckpt) {
        char name[NAME_SHOWN + 1];
        shown_name(name, sizeof name, ckpt);
        const char *family = cf_generator_find(ckpt, strlen(ckpt));
        if (family)
            cf_prov_says(s, "A ComfyUI workflow with a %s checkpoint (%s) is in the PNG: it declares the image generated",
                      family, name);
        else
            cf_prov_says(s, "A ComfyUI workflow with the checkpoint %s is in the PNG: it declares the image generated", name);
    } else {
        cf_prov_says(s, "A ComfyUI workflow is in the PNG: it declares the image generated");
    }
    free(ckpt);
    if (graph && !rd->oom) s->prompt = json_string_value(rd, graph->value, graph->n, "text");
    if (s->prompt) { /* prompts often end in a newline */
        size_t n = strlen(s->prompt);
        while (n && is_space(s->prompt[n - 1])) s->prompt[--n] = 0;
    }
}

static int is_comfy_graph(const cf_prov_text *t) {
    return t && t->n && cf_prov_find(t->value, t->n, "\"class_type\"") != NULL;
}
static int is_comfy_workflow(const cf_prov_text *t) {
    return t && t->n && cf_prov_find(t->value, t->n, "\"nodes\"") != NULL;
}

static void sd_front_end(cf_prov_reader *rd, cf_prov_signal *s, const char *front_end, const char *model,
                         const char *where) {
    s->declares = CF_DECLARES_AI_GENERATED;
    cf_prov_copy(s->generator, sizeof s->generator, front_end, strlen(front_end));
    char name[NAME_SHOWN + 1] = "";
    if (model && model[0]) shown_name(name, sizeof name, model);
    if (name[0])
        cf_prov_says(s, "%s generation parameters (model %s) are in the PNG %s: they declare the image generated",
                  front_end, name, where);
    else
        cf_prov_says(s, "%s generation parameters are in the PNG %s: they declare the image generated", front_end, where);
    (void)rd;
}

/* Recognises the front end from the text chunks; 1 when one was found (s filled). */
static int recognise(cf_prov_reader *rd, cf_prov_signal *s) {
    const cf_prov_text *params = text_named(rd, "parameters"), *scheme = text_named(rd, "fooocus_scheme");
    const cf_prov_text *graph = text_named(rd, "prompt"), *workflow = text_named(rd, "workflow");
    const cf_prov_text *invoke = text_named(rd, "invokeai_metadata"), *sdmeta = text_named(rd, "sd-metadata");
    const cf_prov_text *dream = text_named(rd, "Dream"), *software = text_named(rd, "Software");
    char model[NAME_SHOWN + 1] = "";
    if (params && (scheme || (params->n && params->value[0] == '{' && cf_prov_find(params->value, params->n, "\"base_model\"")))) {
        char *base = json_string_value(rd, params->value, params->n, "base_model");
        sd_front_end(rd, s, "Fooocus", base, "text \"parameters\"");
        free(base);
        s->prompt = json_string_value(rd, params->value, params->n, "prompt");
        return 1;
    }
    if (params && cf_prov_parse_a1111(rd, params->value, params->n, &s->prompt, model, sizeof model)) {
        s->declares = CF_DECLARES_AI_GENERATED;
        cf_prov_copy(s->generator, sizeof s->generator, "AUTOMATIC1111", 13);
        if (model[0])
            cf_prov_says(s, "Stable Diffusion parameters (AUTOMATIC1111 format, model %s) are in the PNG: they declare the image generated",
                      model);
        else
            cf_prov_says(s, "Stable Diffusion parameters (AUTOMATIC1111 format) are in the PNG: they declare the image generated");
        return 1;
    }
    if (is_comfy_graph(graph) || is_comfy_workflow(workflow)) {
        comfyui(rd, s, is_comfy_graph(graph) ? graph : NULL, workflow);
        return 1;
    }
    if (params && params->n && params->value[0] == '{' && cf_prov_find(params->value, params->n, "\"sui_image_params\"")) {
        char *m = json_string_value(rd, params->value, params->n, "model");
        sd_front_end(rd, s, "SwarmUI", m, "text \"parameters\"");
        free(m);
        s->prompt = json_string_value(rd, params->value, params->n, "prompt");
        return 1;
    }
    if (!invoke) /* newer InvokeAI writes invokeai_graph or invokeai_workflow, sometimes alone */
        for (int i = 0; i < rd->n_texts && !invoke; i++)
            if (!strncmp(rd->texts[i].key, "invokeai_", 9)) invoke = &rd->texts[i];
    if (invoke || sdmeta) {
        const cf_prov_text *t = invoke ? invoke : sdmeta;
        char *m = json_string_value(rd, t->value, t->n, invoke ? "model_name" : "model_weights");
        if (!m && invoke && !rd->oom) m = json_string_value(rd, t->value, t->n, "name");
        char where[100];
        snprintf(where, sizeof where, "text \"%s\"", t->key);
        sd_front_end(rd, s, "InvokeAI", m, where);
        free(m);
        s->prompt = json_string_value(rd, t->value, t->n, invoke ? "positive_prompt" : "prompt");
        return 1;
    }
    if (dream) {
        sd_front_end(rd, s, "InvokeAI", NULL, "text \"Dream\"");
        const char *v = dream->value;
        size_t n = dream->n;
        if (n && v[0] == '"') { /* "prompt" -s 50 ... */
            const char *q = memchr(v + 1, '"', n - 1);
            s->prompt = cf_prov_strndup(rd, v + 1, q ? (size_t)(q - v - 1) : n - 1);
        } else {
            s->prompt = cf_prov_strndup(rd, v, n);
        }
        return 1;
    }
    const char *g = software ? cf_generator_find(software->value, software->n) : NULL;
    if (g) {
        const cf_prov_text *source = text_named(rd, "Source"), *description = text_named(rd, "Description");
        s->declares = cf_generator_edits(g) ? CF_DECLARES_AI_EDITED : CF_DECLARES_AI_GENERATED;
        cf_prov_copy(s->generator, sizeof s->generator, g, strlen(g));
        if (source && source->n) {
            char src[NAME_SHOWN + 1];
            shown_name(src, sizeof src, source->value);
            cf_prov_says(s, "The PNG text names the software %s (source %s): it declares the image %s", g, src,
                      s->declares == CF_DECLARES_AI_GENERATED ? "generated" : "edited with generative AI");
        } else {
            cf_prov_says(s, "The PNG text names the software %s: it declares the image %s", g,
                      s->declares == CF_DECLARES_AI_GENERATED ? "generated" : "edited with generative AI");
        }
        if (description && description->n) s->prompt = cf_prov_strndup(rd, description->value, description->n);
        return 1;
    }
    if (software && software->n) {
        char name[NAME_SHOWN + 1];
        shown_name(name, sizeof name, software->value);
        s->declares = CF_DECLARES_OTHER;
        cf_prov_says(s, "The PNG text names the software %s", name);
        return 1;
    }
    return 0;
}

void cf_prov_interpret_png_text(cf_prov_reader *rd) {
    for (int i = 0; i < rd->n_texts; i++) {
        char name[64];
        snprintf(name, sizeof name, "PNG:%s", rd->texts[i].key);
        if (cf_prov_add_field(rd->p, name, rd->texts[i].value, rd->texts[i].n)) {
            rd->oom = 1;
            return;
        }
    }
    if (rd->n_texts == 0) return;
    cf_prov_signal tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.kind = CF_SIGNAL_PNG_TEXT;
    tmp.verified = CF_VERIFIED_NA;
    if (!recognise(rd, &tmp) || rd->oom) {
        free(tmp.prompt);
        return;
    }
    cf_prov_signal *s = cf_prov_add_signal(rd->p, CF_SIGNAL_PNG_TEXT);
    if (!s) {
        free(tmp.prompt);
        return;
    }
    *s = tmp;
}
