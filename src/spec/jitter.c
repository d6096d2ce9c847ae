/*-------------------------------------------------------------------------
 *
 * jitter.c
 *	  Deterministic jitter for a nominal time.
 *
 * The delay depends only on (schedule id, nominal time), so a scheduler
 * that crashes and recomputes it gets the same actual time, and describe()
 * can show future actual times.  It is bounded by the gap to the next
 * nominal time, so jitter never reorders or merges actions (SEMANTICS.md
 * 1.5).
 *
 *-------------------------------------------------------------------------
 */
#include "spec.h"

/* FNV-1a over the id, then a splitmix64 finaliser mixing in the time. */
static uint64_t
jitter_hash(const char *id, size_t len, spec_time nominal)
{
	uint64_t	h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) id[i];
		h *= UINT64_C(1099511628211);
	}
	h ^= (uint64_t) nominal + UINT64_C(0x9e3779b97f4a7c15);
	h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
	return h ^ (h >> 31);
}

int64_t
spec_jitter_ms(const char *id, size_t id_len, spec_time nominal,
			   spec_time next_nominal, int64_t jitter_ms)
{
	int64_t		bound = jitter_ms;

	if (jitter_ms <= 0 || next_nominal == SPEC_TIME_MAX ||
		next_nominal <= nominal)
		return 0;
	/* the gap in ms, without overflowing for absurd inputs */
	if (next_nominal - nominal <= INT64_MAX / 1000 &&
		(next_nominal - nominal) * 1000 < bound)
		bound = (next_nominal - nominal) * 1000;
	return (int64_t) (jitter_hash(id, id_len, nominal) % (uint64_t) bound);
}
