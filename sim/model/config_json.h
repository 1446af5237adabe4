/* config_json.h - the model config as JSON through ONE field table (config_json.c): every
 * field of ns_config, its JSON key, its type, enums by name (sim/model/arch.h). Written
 * into normsim checkpoints (the metadata key "normsim.config") and into export's
 * config.json "features"; docs/formats.md lists the same keys (a unit test checks it). */
#ifndef NS_CONFIG_JSON_H
#define NS_CONFIG_JSON_H
#include <cjson/cJSON.h>
#include "sim/model/arch.h"

/* every field (enums by name, flags as booleans); NULL when out of memory */
cJSON *config_to_json(const ns_config *c);
/* The family's row (the "arch" key), then every field the object has: enums by name or
 * (files from before names) by number, flags as booleans or numbers; validated. */
int config_from_json(const cJSON *j, ns_config *c, ns_err *e);
/* the table, for docs and tests: field i's JSON key (NULL past the end) */
const char *config_field_key(int i);

#endif
