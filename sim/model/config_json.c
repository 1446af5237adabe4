/* config_json.c - ns_config <-> JSON through one field table. */
#include "sim/model/config_json.h"
#include "sim/base/json_util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum { F_INT, F_DBL, F_STR, F_BOOL, F_ENUM };
typedef struct {
    const char *key;
    size_t off;
    int type;
    int arg;            /* F_STR: buffer size; F_ENUM: enum arch_enum */
    const char *legacy; /* the key files before this table used, or NULL */
} cfg_field;

#define OFF(f) offsetof(ns_config, f)
#define FI(f) {#f, OFF(f), F_INT, 0, NULL}
#define FD(f) {#f, OFF(f), F_DBL, 0, NULL}
#define FB(f) {#f, OFF(f), F_BOOL, 0, NULL}
#define FE(f, which) {#f, OFF(f), F_ENUM, which, NULL}
#define FS(f) {#f, OFF(f), F_STR, (int)sizeof(((ns_config *)0)->f), NULL}
static const cfg_field fields[] = {
    FS(arch), FS(norm), FI(d), FI(layers), FI(heads), FI(kv_heads), FI(seq), FI(vocab), FI(d_ff),
    FD(eps), FD(init_std), FE(init, ENUM_INIT), FE(placement, ENUM_PLACEMENT),
    FE(residual, ENUM_RESIDUAL), FE(mlp, ENUM_MLP), {"positions", OFF(pos), F_ENUM, ENUM_POS, "pos"},
    FI(pos_offset), FD(rope_frac), FD(rope_base), FB(rope_interleaved), FI(window), FI(global_every),
    FD(rope_frac_global), FD(rope_base_global), FB(rope_global_proportional), FB(causal), FI(bias),
    FB(tied), FD(logit_scale), FD(logit_softcap), FB(head_scale_rsqrt_d), FD(attn_scale),
    FB(embed_scale_sqrt_d), FB(embed_norm), FB(final_norm), FB(layerscale), FE(qk_norm, ENUM_QK_NORM),
    FB(v_norm), FI(token_types), FB(mlm_head), FE(input, ENUM_INPUT), FI(image), FI(patch),
    FI(channels), FI(t5_buckets), FI(t5_max_distance),
};
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

const char *config_field_key(int i) { return i >= 0 && i < N_FIELDS ? fields[i].key : NULL; }

static cJSON *field_to_json(const cfg_field *f, const char *p)
{
    int v = *(const int *)(const void *)p;
    switch (f->type) {
    case F_STR: return cJSON_CreateString(p);
    case F_DBL: return cJSON_CreateNumber(*(const double *)(const void *)p);
    case F_BOOL: return cJSON_CreateBool(v);
    case F_ENUM: return arch_enum_name(f->arg, v) ? cJSON_CreateString(arch_enum_name(f->arg, v))
                                                  : cJSON_CreateNumber(v);
    default: return cJSON_CreateNumber(v);
    }
}

cJSON *config_to_json(const ns_config *c)
{
    cJSON *j = cJSON_CreateObject();
    for (int i = 0; j && i < N_FIELDS; i++) {
        cJSON *v = field_to_json(&fields[i], (const char *)c + fields[i].off);
        if (!v || !cJSON_AddItemToObject(j, fields[i].key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(j);
            return NULL;
        }
    }
    return j;
}

/* an int-valued JSON item: a number, a boolean (flags), or an enum's name */
static int json_int(const cfg_field *f, const cJSON *v, int *out)
{
    if (cJSON_IsBool(v) && (f->type == F_BOOL || f->type == F_INT))
        *out = cJSON_IsTrue(v);
    else if (cJSON_IsNumber(v) && fabs(v->valuedouble) < 1e9 && f->type != F_DBL && f->type != F_STR)
        *out = (int)v->valuedouble;
    else if (cJSON_IsString(v) && f->type == F_ENUM)
        return (*out = arch_enum_value(f->arg, v->valuestring)) >= 0;
    else
        return 0;
    return f->type != F_ENUM || arch_enum_name(f->arg, *out) != NULL;
}

static int field_from_json(const cfg_field *f, const cJSON *v, char *p)
{
    if (f->type == F_STR) {
        if (!cJSON_IsString(v) || strlen(v->valuestring) >= (size_t)f->arg)
            return 0;
        snprintf(p, (size_t)f->arg, "%s", v->valuestring);
        return 1;
    }
    if (f->type == F_DBL) {
        if (!cJSON_IsNumber(v))
            return 0;
        *(double *)(void *)p = v->valuedouble;
        return 1;
    }
    return json_int(f, v, (int *)(void *)p);
}

int config_from_json(const cJSON *j, ns_config *c, ns_err *e)
{
    const cJSON *arch = cfg_item(j, "arch");
    if (!cJSON_IsObject(j) || !cJSON_IsString(arch))
        return ns_fail(e, NS_EUSAGE, "normsim metadata is not a config object with an \"arch\"");
    int rc = arch_config(arch->valuestring, c, e);
    for (int i = 0; !rc && i < N_FIELDS; i++) {
        const cJSON *v = cfg_item(j, fields[i].key);
        if (!v && fields[i].legacy)
            v = cfg_item(j, fields[i].legacy);
        if (v && !field_from_json(&fields[i], v, (char *)c + fields[i].off))
            rc = ns_fail(e, NS_EUSAGE, "normsim metadata: bad value for \"%s\"", fields[i].key);
    }
    return rc ? rc : config_validate(c, e);
}
