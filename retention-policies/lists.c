/* Freeing the lists this part returns (holds, the policy history, the
 * documents): in the binary, not the policy module, so that code which only
 * frees what it was given never loads the module (Makefile, "Modules"). */
#include "retention_internal.h"

#include <stdlib.h>
#include <string.h>

void custos_holds_free(custos_holds_t *h)
{
	if (!h)
		return;
	free(h->v);
	custos_arena_free(&h->arena);
	memset(h, 0, sizeof *h);
}

void custos_retention__commit_free(custos_policy_commit_t *e)
{
	free(e->author);
	free(e->email);
	free(e->message);
	for (size_t i = 0; i < e->n_changes; i++)
		free(e->changes[i]);
	free(e->changes);
	memset(e, 0, sizeof *e);
}

void custos_policy_log_free(custos_policy_log_t *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		custos_retention__commit_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void custos_policy_docs_free(custos_policy_docs_t *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
