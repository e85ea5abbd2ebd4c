/* The center's route table: every endpoint of every module, in one list,
 * plus the small endpoints that belong to no module (/metrics, /healthz).
 *
 * To add endpoints, define a static array of http_route_t in the module and
 * add it to the list in routes.c. Route levels (http.h) decide who may
 * call; the auth hook is auth_check (auth.h). */
#pragma once

#include "center/center.h"
#include "center/http.h"

/* Build C->router from every module's routes, with the caps from C's
 * configuration. Returns 0 or a negative errno (-EEXIST when two modules
 * claim one endpoint). */
int routes_build(center_t *c);
/* Free what routes_build allocated. */
void routes_free(center_t *c);
