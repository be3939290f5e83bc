/* The kubelet's files (src/runtime/kubelet.c): service-account tokens, static pod manifests,
 * the kubelet's configuration and kubeconfigs. */
#ifndef HUSK_KUBELET_H
#define HUSK_KUBELET_H

#include <jansson.h>

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/docker.h"

/* Decodes a JWT's header and claims (its signature is not checked: there is no key). 0, or -1
 * when tok is not three dot-separated base64url parts with JSON objects in the first two. */
int husk_jwt_decode(const char *tok, size_t n, json_t **header, json_t **claims);

/* Reads the kubelet root r (/var/lib/kubelet) and the node files it names into sa_tokens and
 * kubelet_files. r->opts->keep_secrets keeps tokens and kubeconfigs themselves. */
int husk_kubelet_analyse(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                         husk_err *err);
/* The projected service-account tokens of one pod directory, pods/<uid> of the kubelet root r,
 * including deleted ones when r->fs is a recovered view (each row with its token file's
 * provenance): the tokens of a removed pod. */
int husk_kubelet_pod_tokens(const husk_docker_root *r, const char *uid, husk_casedb *db,
                            husk_diag *diag, husk_err *err);

#endif
