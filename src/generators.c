/* generators.c - known generator names (generators.h). One row per pattern: a case-insensitive
 * pattern, the name shown to the user, and whether the tool edits an image with generative AI rather
 * than making one. Patterns are specific enough not to match ordinary software ("Photoshop" alone is
 * an editor, not a generator; "Generative Fill" is) and match whole words only: a letter may not
 * touch either end ("imagen" is not found in "ImageNet", nor "flux" in "influx"), a digit may
 * ("flux1-dev", "dalle3"). Rows are tried in order: the more specific first. */
#include "generators.h"

#include <ctype.h>
#include <string.h>

static const struct {
    const char *pattern, *name;
    int edits;
} generators[] = {
    {"firefly", "Adobe Firefly", 0},
    {"generative fill", "Adobe Photoshop Generative Fill", 1},
    {"generative expand", "Adobe Photoshop Generative Expand", 1},
    {"dall-e", "DALL-E", 0},
    {"dall\xc2\xb7" "e", "DALL-E", 0},
    {"dalle", "DALL-E", 0},
    {"chatgpt", "ChatGPT", 0},
    {"gpt-image", "OpenAI gpt-image", 0},
    {"gpt-4o", "OpenAI GPT-4o", 0},
    {"openai", "OpenAI", 0},
    {"microsoft designer", "Microsoft Designer", 0},
    {"bing image creator", "Bing Image Creator", 0},
    {"amazon titan", "Amazon Titan", 0},
    {"titan image generator", "Amazon Titan", 0},
    {"made with google ai", "Google AI", 0},
    {"imagen", "Google Imagen", 0},
    {"gemini", "Google Gemini", 0},
    {"midjourney", "Midjourney", 0},
    {"automatic1111", "AUTOMATIC1111", 0},
    {"stable-diffusion-webui", "AUTOMATIC1111", 0},
    {"comfyui", "ComfyUI", 0},
    {"invokeai", "InvokeAI", 0},
    {"invoke-ai", "InvokeAI", 0},
    {"novelai", "NovelAI", 0},
    {"fooocus", "Fooocus", 0},
    {"swarmui", "SwarmUI", 0},
    {"flux", "FLUX", 0},
    {"sdxl", "Stable Diffusion XL", 0},
    {"sd_xl", "Stable Diffusion XL", 0},
    {"stable diffusion xl", "Stable Diffusion XL", 0},
    {"stable diffusion 3", "Stable Diffusion 3", 0},
    {"sd3", "Stable Diffusion 3", 0},
    {"stable diffusion", "Stable Diffusion", 0},
    {"stablediffusion", "Stable Diffusion", 0},
    {"stable-diffusion", "Stable Diffusion", 0},
    {"v1-5-pruned", "Stable Diffusion", 0},
    {"leonardo.ai", "Leonardo.Ai", 0},
    {"ideogram", "Ideogram", 0},
    {"runway", "Runway", 0},
    {"kandinsky", "Kandinsky", 0},
    {"kolors", "Kolors", 0},
    {"hunyuan", "Hunyuan", 0},
    {"qwen-image", "Qwen-Image", 0},
};

/* Case-insensitive search for pattern (lower case) as a whole word in the first n bytes of text. */
static int contains_word(const char *text, size_t n, const char *pattern) {
    size_t m = strlen(pattern);
    for (size_t i = 0; i + m <= n; i++) {
        if (i > 0 && isalpha((unsigned char)text[i - 1])) continue;
        size_t j = 0;
        while (j < m && tolower((unsigned char)text[i + j]) == (unsigned char)pattern[j]) j++;
        if (j == m && (i + m == n || !isalpha((unsigned char)text[i + m]))) return 1;
    }
    return 0;
}

static int find_row(const char *text, size_t n) {
    if (!text) return -1;
    size_t len = 0;
    while (len < n && text[len]) len++;
    for (size_t i = 0; i < sizeof generators / sizeof generators[0]; i++)
        if (contains_word(text, len, generators[i].pattern)) return (int)i;
    return -1;
}

const char *cf_generator_find(const char *text, size_t n) {
    int row = find_row(text, n);
    return row < 0 ? NULL : generators[row].name;
}

int cf_generator_edits(const char *name) {
    for (size_t i = 0; name && i < sizeof generators / sizeof generators[0]; i++)
        if (strcmp(generators[i].name, name) == 0) return generators[i].edits;
    return 0;
}
