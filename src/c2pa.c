/* c2pa.c - TEMPORARY stand-in until the C2PA parser lands (branch c2pa replaces this file whole):
 * records that a manifest store is present without parsing it, so the metadata reader links and its
 * tests run. */
#include "c2pa.h"

#include <stdio.h>

int cf_c2pa_read(cf_provenance *p, cf_error *err) {
    (void)err;
    cf_prov_signal *s = cf_prov_add_signal(p, CF_SIGNAL_C2PA);
    if (!s) return 0;
    s->verified = CF_VERIFIED_NOT_CHECKED;
    snprintf(s->says, sizeof s->says, "Content Credentials are present");
    snprintf(s->problem, sizeof s->problem, "this build cannot read C2PA manifests");
    p->c2pa_signal = (int)(s - p->signals);
    return 0;
}
