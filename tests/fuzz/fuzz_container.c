/*
 * config.v2.json and hostconfig.json (src/runtime/docker_containers.c husk_container_parse,
 * and the JSON accessors the container writer uses on the result).
 * Input: config.v2.json bytes, a NUL byte, hostconfig.json bytes (no NUL: config only).
 */
#include <string.h>

#include "fuzz.h"
#include "husk/docker.h"

static const char *const str_fields[] = {
    "ID", "Name", "Driver", "Image", "Created", "Path", "Config.Image", "Config.User",
    "Config.WorkingDir", "State.StartedAt", "State.FinishedAt", "LogConfig.Type",
    "NetworkSettings.SandboxKey", "a..b", ".", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *cfg = (const char *)data, *hc = NULL;
    size_t cfglen = size, hclen = 0;
    const uint8_t *nul = memchr(data, 0, size);
    if (nul) {
        cfglen = (size_t)(nul - data);
        hc = (const char *)nul + 1;
        hclen = size - cfglen - 1;
    }
    husk_container c;
    husk_err err = {0};
    husk_container_parse("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", cfg,
                         cfglen, hc, hclen, &HUSK_PROV_LIVE, &c, &err);
    size_t sum = strlen(c.id) + strlen(c.name) + strlen(c.state) + strlen(c.driver) +
                 strlen(c.log_driver) + strlen(err.msg);
    char norm[64];
    for (size_t i = 0; i < sizeof str_fields / sizeof *str_fields; i++) {
        json_t *objs[2] = {c.config, c.hostconfig};
        for (int k = 0; k < 2; k++) {
            const char *s = husk_json_str(objs[k], str_fields[i]);
            if (s) {
                sum += strlen(s);
                const char *t = husk_rfc3339_norm(s, norm, sizeof norm);
                if (t)
                    sum += strlen(t);
            }
            sum += (size_t)husk_json_int(objs[k], str_fields[i], 0);
            sum += husk_json_get(objs[k], str_fields[i]) != NULL;
        }
    }
    sum += (size_t)husk_json_int(c.config, "State.Pid", -1) +
           (size_t)husk_json_int(c.config, "State.ExitCode", -1) +
           (size_t)husk_json_int(c.config, "RestartCount", -1);
    husk_container_free(&c);
    return sum == 1; /* keep sum alive */
}
