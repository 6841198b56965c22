/* Status codes and the error detail kept on handles. */
#include "custos_common.h"

#include <stdio.h>
#include <string.h>

const char *custos_status_str(int status)
{
	switch (status) {
	case CUSTOS_OK:          return "success";
	case CUSTOS_ENOMEM:      return "out of memory";
	case CUSTOS_EIO:         return "input/output error";
	case CUSTOS_EINVAL:      return "invalid argument";
	case CUSTOS_ENOTFOUND:   return "not found";
	case CUSTOS_EEXISTS:     return "already exists";
	case CUSTOS_EFORMAT:     return "malformed input";
	case CUSTOS_ECORRUPT:    return "archive data corrupt";
	case CUSTOS_EVERSION:    return "archive format too new";
	case CUSTOS_ENOTARCHIVE: return "not a custos archive";
	case CUSTOS_EBUSY:       return "archive busy";
	case CUSTOS_EINDEX:      return "search index failure";
	case CUSTOS_EHELD:       return "under legal hold";
	case CUSTOS_EPOLICY:     return "policy repository failure";
	case CUSTOS_ELAG:        return "index lags the store";
	case CUSTOS_EACCESS:     return "permission denied";
	case CUSTOS_ETOOBIG:     return "input too large";
	case CUSTOS_EINTERNAL:   return "internal error";
	case CUSTOS_ENOSPC:      return "no space left on the device";
	case CUSTOS_EDENIED:     return "not allowed for this role";
	case CUSTOS_ESTOPPED:    return "the archive is closing";
	case CUSTOS_ECANCELED:   return "cancelled";
	}
	return "unknown status";
}

const char *custos_status_name(int status)
{
	switch (status) {
	case CUSTOS_OK:          return "ok";
	case CUSTOS_ENOMEM:      return "nomem";
	case CUSTOS_EIO:         return "io";
	case CUSTOS_EINVAL:      return "invalid";
	case CUSTOS_ENOTFOUND:   return "notfound";
	case CUSTOS_EEXISTS:     return "exists";
	case CUSTOS_EFORMAT:     return "format";
	case CUSTOS_ECORRUPT:    return "corrupt";
	case CUSTOS_EVERSION:    return "version";
	case CUSTOS_ENOTARCHIVE: return "notarchive";
	case CUSTOS_EBUSY:       return "busy";
	case CUSTOS_EINDEX:      return "index";
	case CUSTOS_EHELD:       return "held";
	case CUSTOS_EPOLICY:     return "policy";
	case CUSTOS_ELAG:        return "lag";
	case CUSTOS_EACCESS:     return "access";
	case CUSTOS_ETOOBIG:     return "toobig";
	case CUSTOS_EINTERNAL:   return "internal";
	case CUSTOS_ENOSPC:      return "nospace";
	case CUSTOS_EDENIED:     return "denied";
	case CUSTOS_ESTOPPED:    return "stopped";
	}
	return "unknown";
}

int custos_err_set(custos_err_t *err, int status, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->status = status;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return status;
}

int custos_err_prefix(custos_err_t *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof err->msg];
	va_list ap;
	if (!err)
		return CUSTOS_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* the message is cut at the buffer's end: the prefix matters most */
	memcpy(old, err->msg, sizeof old);
	size_t pl = strlen(prefix), room = sizeof err->msg - 1;
	if (pl > room)
		pl = room;
	memcpy(err->msg, prefix, pl);
	if (old[0] && pl + 2 < room) {
		memcpy(err->msg + pl, ": ", 2);
		size_t ol = strlen(old);
		if (ol > room - pl - 2)
			ol = room - pl - 2;
		memcpy(err->msg + pl + 2, old, ol);
		pl += 2 + ol;
	}
	err->msg[pl] = '\0';
	return err->status;
}

void custos_err_clear(custos_err_t *err)
{
	if (err) {
		err->status = CUSTOS_OK;
		err->msg[0] = '\0';
	}
}
