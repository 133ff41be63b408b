/* generators.c - known generator names (generators.h). One row per pattern: a case-insensitive
 * substring and the name shown to the user. Patterns are specific enough not to match ordinary
 * software ("Photoshop" alone is an editor, not a generator; "Generative Fill" is). */
#include "generators.h"

#include <ctype.h>
#include <string.h>

static const struct {
    const char *pattern, *name;
} generators[] = {
    {"firefly", "Adobe Firefly"},
    {"generative fill", "Adobe Photoshop Generative Fill"},
    {"generative expand", "Adobe Photoshop Generative Expand"},
    {"dall-e", "DALL-E"},
    {"dall\xc2\xb7" "e", "DALL-E"},
    {"dalle", "DALL-E"},
    {"chatgpt", "ChatGPT"},
    {"gpt-image", "OpenAI gpt-image"},
    {"gpt-4o", "OpenAI GPT-4o"},
    {"openai", "OpenAI"},
    {"microsoft designer", "Microsoft Designer"},
    {"bing image creator", "Bing Image Creator"},
    {"amazon titan", "Amazon Titan"},
    {"titan image generator", "Amazon Titan"},
    {"made with google ai", "Google AI"},
    {"imagen", "Google Imagen"},
    {"gemini", "Google Gemini"},
    {"midjourney", "Midjourney"},
    {"stable diffusion", "Stable Diffusion"},
    {"stablediffusion", "Stable Diffusion"},
    {"sdxl", "Stable Diffusion XL"},
    {"automatic1111", "AUTOMATIC1111"},
    {"comfyui", "ComfyUI"},
    {"invokeai", "InvokeAI"},
    {"novelai", "NovelAI"},
    {"fooocus", "Fooocus"},
    {"flux", "FLUX"},
    {"leonardo.ai", "Leonardo.Ai"},
    {"ideogram", "Ideogram"},
    {"runway", "Runway"},
    {"kandinsky", "Kandinsky"},
    {"kolors", "Kolors"},
    {"hunyuan", "Hunyuan"},
    {"qwen-image", "Qwen-Image"},
};

/* Case-insensitive search for pattern (lower case) in the first n bytes of text. */
static int contains(const char *text, size_t n, const char *pattern) {
    size_t m = strlen(pattern);
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && tolower((unsigned char)text[i + j]) == (unsigned char)pattern[j]) j++;
        if (j == m) return 1;
    }
    return 0;
}

const char *cf_generator_find(const char *text, size_t n) {
    if (!text) return NULL;
    size_t len = 0;
    while (len < n && text[len]) len++;
    for (size_t i = 0; i < sizeof generators / sizeof generators[0]; i++)
        if (contains(text, len, generators[i].pattern)) return generators[i].name;
    return NULL;
}
