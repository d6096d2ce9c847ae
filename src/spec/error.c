/*-------------------------------------------------------------------------
 *
 * error.c
 *	  Filling a SpecError.
 *
 * The engine reports failures as values, never by longjmp, so it can run
 * inside a fuzzer or a unit test exactly as it runs in the backend, where
 * the glue turns a SpecError into ereport().
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>

#include "spec.h"

bool
spec_error(SpecError *err, SpecErrorCode code, int field, int position,
		   const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return false;
	err->code = code;
	err->field = field;
	err->position = position;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return false;
}
