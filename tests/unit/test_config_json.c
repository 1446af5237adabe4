/* test_config_json.c - the one config field table: round trips for every family, files
 * from before enum names, bad values, and docs/formats.md listing every key. */
#include "check.h"
#include "sim/model/config_json.h"
#include <stdlib.h>
#include <string.h>

static char *text_of(const ns_config *c)
{
    cJSON *j = config_to_json(c);
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return t;
}

/* to JSON and back gives the same config, for every family */
static void test_round_trip(void)
{
    for (int i = 0; i < arch_count(); i++) {
        ns_config c, back;
        ns_err e = {0};
        arch_config(arch_name(i), &c, &e);
        cJSON *j = config_to_json(&c);
        int rc = config_from_json(j, &back, &e);
        char *a = text_of(&c), *b = text_of(&back);
        CHECK(rc == NS_OK && a && b && strcmp(a, b) == 0, "%s: round trip (%s)", c.arch, e.msg);
        CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "placement")) && cJSON_IsBool(cJSON_GetObjectItem(j, "causal")),
              "%s: enums by name, flags as booleans", c.arch);
        free(a);
        free(b);
        cJSON_Delete(j);
    }
    ns_config c, back;
    ns_err e = {0};
    arch_config("gemma4", &c, &e);
    CHECK(c.rope_global_proportional == 1, "gemma4 rotates its global layers proportionally");
    c.rope_global_proportional = 0; /* a value the family row does not have survives */
    cJSON *j = config_to_json(&c);
    CHECK(config_from_json(j, &back, &e) == NS_OK && back.rope_global_proportional == 0,
          "rope_global_proportional is in the table");
    cJSON_Delete(j);
}

static int parse(const char *text, ns_config *c, ns_err *e)
{
    cJSON *j = cJSON_Parse(text);
    int rc = config_from_json(j, c, e);
    cJSON_Delete(j);
    return rc;
}

static void test_legacy_and_bad(void)
{
    ns_config c;
    ns_err e = {0};
    CHECK(parse("{\"arch\":\"gpt2\",\"pos\":1,\"placement\":1,\"causal\":0,\"rope_frac\":0.5}", &c, &e) == NS_OK &&
              c.pos == POS_ROPE && c.placement == PLACE_POST && c.causal == 0 && c.rope_frac == 0.5,
          "numbers for enums and the old key pos are read (%s)", e.msg);
    CHECK(parse("{\"arch\":\"gpt2\",\"placement\":\"sideways\"}", &c, &e) == NS_EUSAGE &&
              strstr(e.msg, "\"placement\""), "unknown enum name: '%s'", e.msg);
    CHECK(parse("{\"arch\":\"gpt2\",\"mlp\":17}", &c, &e) == NS_EUSAGE && strstr(e.msg, "\"mlp\""),
          "enum number out of range: '%s'", e.msg);
    CHECK(parse("{\"arch\":\"gpt2\",\"d\":\"wide\"}", &c, &e) == NS_EUSAGE && strstr(e.msg, "\"d\""),
          "a string for an int: '%s'", e.msg);
    CHECK(parse("{\"d\":32}", &c, &e) == NS_EUSAGE, "no arch: '%s'", e.msg);
    CHECK(parse("[1]", &c, &e) == NS_EUSAGE, "not an object: '%s'", e.msg);
}

/* docs/formats.md names every key of the table as `key` */
static void test_docs_list_every_key(void)
{
    FILE *f = fopen("docs/formats.md", "rb");
    CHECK(f != NULL, "docs/formats.md readable (run from the checkout)");
    if (!f)
        return;
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    int keys = 0;
    for (const char *k; (k = config_field_key(keys)); keys++) {
        char want[80];
        snprintf(want, sizeof want, "`%s`", k);
        CHECK(strstr(doc, want) != NULL, "docs/formats.md lists the config key %s", want);
    }
    CHECK(keys >= 45, "the table has %d fields", keys);
}

int main(void)
{
    test_round_trip();
    test_legacy_and_bad();
    test_docs_list_every_key();
    return check_summary("config_json");
}
