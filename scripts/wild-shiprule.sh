#!/bin/sh
# Issue 28's ship rule for a patch model's evaluation (scripts/wild-folds.sh writes OUT/NAME.eval.md and
# OUT/NAME.scores.tsv): at the file's operating point (its UNSURE band [LO, HI): FAKE when p_fake >= HI,
# REAL when p_fake < LO), per group and over all images evaluated, in each condition (as they are,
# re-encoded as JPEG 90, as delivered on the web): the share of photos called FAKE (rule: at most 0.05),
# the share of images decided (at least 0.30) and the accuracy of the decided (at least 0.90).
# Usage: scripts/wild-shiprule.sh NAME [OUT] (OUT default build/wild). Prints a markdown table.
set -eu
name=$1
OUT=${2:-build/wild}
band=$(sed -n 's/.*UNSURE band \[\([0-9.]*\), \([0-9.]*\)).*/\1 \2/p' "$OUT/$name.eval.md" | head -n 1)
[ -n "$band" ] || { echo "no UNSURE band in $OUT/$name.eval.md" >&2; exit 1; }
set -- $band
awk -F '\t' -v lo="$1" -v hi="$2" -v name="$name" '
NR == 1 { ncond = (NF >= 10) ? 3 : 2; next }
{
    fake = ($2 == "fake"); g = $3
    if (!(g in seen)) { seen[g] = 1; order[++ng] = g; cls[g] = fake ? "FAKE" : "REAL" }
    for (c = 1; c <= ncond; c++) {
        p = $(4 + 2 * c)
        d = (p >= hi) ? 1 : (p < lo) ? 0 : -1
        for (k = 1; k <= 3; k++) {
            key = (k == 1) ? g : (k == 2) ? (fake ? "all fakes" : "all photos") : "all images"
            n[key, c]++
            if (d >= 0) { dec[key, c]++; if (d == fake) right[key, c]++ }
            if (!fake && d == 1) fp[key, c]++
        }
    }
}
function cell(key, c,   s) {
    s = sprintf("%.3f", dec[key, c] / n[key, c])
    s = s " / " (dec[key, c] ? sprintf("%.3f", right[key, c] / dec[key, c]) : "-")
    return s
}
END {
    printf "%s: operating point: FAKE at p_fake >= %s, REAL below %s\n\n", name, hi, lo
    printf "| class | group | n | photos called FAKE: as they are / JPEG 90 / web | decided / accuracy, as they are | JPEG 90 | web |\n"
    printf "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n"
    order[++ng] = "all photos"; cls["all photos"] = "REAL"
    order[++ng] = "all fakes"; cls["all fakes"] = "FAKE"
    order[++ng] = "all images"; cls["all images"] = "both"
    for (i = 1; i <= ng; i++) {
        g = order[i]; line = ""
        for (c = 1; c <= 3; c++) {
            v = (c > ncond) ? "-" : sprintf("%.3f", fp[g, c] / n[g, c])
            line = line (c > 1 ? " / " : "") v
        }
        if (cls[g] != "REAL") line = ""
        printf "| %s | %s | %d | %s |", cls[g], (g ~ /^all/) ? "**" g "**" : g, n[g, 1], line
        for (c = 1; c <= 3; c++) printf " %s |", (c > ncond) ? "-" : cell(g, c)
        printf "\n"
    }
    for (c = 1; c <= ncond; c++) {
        f = fp["all photos", c] / n["all photos", c]; d = dec["all images", c] / n["all images", c]
        a = dec["all images", c] ? right["all images", c] / dec["all images", c] : 0
        ok_f = (f <= 0.05) ? "yes" : "no"; ok_d = (d >= 0.30) ? "yes" : "no"; ok_a = (a >= 0.90) ? "yes" : "no"
        verdict = (ok_f == "yes" && ok_d == "yes" && ok_a == "yes") ? "MET" : "NOT MET"
        cond = (c == 1) ? "as they are" : (c == 2) ? "JPEG 90" : "web"
        printf "\n%s: photos called FAKE %.3f (at most 0.05: %s), decided %.3f (at least 0.30: %s), accuracy of the decided %.3f (at least 0.90: %s): rule %s\n", cond, f, ok_f, d, ok_d, a, ok_a, verdict
    }
}' "$OUT/$name.scores.tsv"
