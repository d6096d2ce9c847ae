/*
 * driver.c: the libpq clients of the pg_sched benchmark (bench/run.sh).
 *
 *	 driver work CONNINFO QUEUE WORKERS SECONDS BATCH
 *		WORKERS threads, one connection each, LISTEN sched_tasks and loop
 *		for SECONDS: sched.poll(QUEUE, worker, BATCH), note the wall-clock
 *		time the rows arrived, sched.complete() each run; when a poll
 *		returns nothing, wait on the socket for a notification (at most
 *		20 ms, so a lost one costs little).  Prints how many runs were
 *		completed and the pickup latency of each, (arrival at the worker -
 *		nominal time), as p50, p99 and max: the end-to-end lateness a
 *		worker sees, which bounds the commit lateness from above.
 *
 *	 driver tick CONNINFO ROWS SECONDS TAG
 *		The baseline of fire precision: a perfect timer.  At each of the
 *		next SECONDS whole seconds (clock_nanosleep to the boundary) it
 *		inserts ROWS rows shaped like runs, due at that boundary, into
 *		bench.prec_base in one autocommit statement (bench.insert_runs).
 *		Commit lateness is read afterwards from commit timestamps; the
 *		client-side figure (statement return - boundary) is printed too.
 *
 * Output lines are "key value" pairs, one a line, for run.sh to pick up.
 * Times are CLOCK_REALTIME, the clock the server's timestamps come from
 * (same host).  Not a test: exits non-zero only when it cannot work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include <libpq-fe.h>

static const char *conninfo;

static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static PGconn *
connect_or_die(void)
{
	PGconn	   *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "driver: connection failed: %s", PQerrorMessage(c));
		exit(2);
	}
	return c;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult   *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
		PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "driver: \"%s\" failed: %s", sql, PQerrorMessage(c));
		exit(2);
	}
	PQclear(r);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array */
static double
pct(const double *v, long n, double p)
{
	long		k;

	if (n == 0)
		return 0;
	k = (long) (p * n + 0.999999) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

/* ---- work ---- */

typedef struct Worker
{
	pthread_t	thread;
	int			id;
	const char *queue;
	int			batch;
	double		end;
	double	   *lat;			/* seconds, one per run received */
	long		nlat;
	long		cap;
	long		completed;
	long		errors;
} Worker;

static void *
work_main(void *arg)
{
	Worker	   *w = (Worker *) arg;
	PGconn	   *c = connect_or_die();
	char		name[32];
	char		batch[16];
	const char *pp[3];
	PGresult   *r;

	snprintf(name, sizeof(name), "bench-%d", w->id);
	snprintf(batch, sizeof(batch), "%d", w->batch);
	exec_ok(c, "LISTEN sched_tasks");
	r = PQprepare(c, "poll",
				  "SELECT run_id::text,"
				  " extract(epoch FROM nominal_time)::float8"
				  " FROM sched.poll($1, $2, $3::integer)", 3, NULL);
	PQclear(r);
	r = PQprepare(c, "done", "SELECT sched.complete($1::uuid)", 1, NULL);
	PQclear(r);
	pp[0] = w->queue;
	pp[1] = name;
	pp[2] = batch;
	while (now_real() < w->end)
	{
		int			n;
		double		t;

		r = PQexecPrepared(c, "poll", 3, pp, NULL, NULL, 0);
		t = now_real();
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			w->errors++;
			fprintf(stderr, "driver: poll failed: %s", PQerrorMessage(c));
			PQclear(r);
			continue;
		}
		n = PQntuples(r);
		for (int i = 0; i < n; i++)
		{
			const char *id = PQgetvalue(r, i, 0);
			PGresult   *d;

			if (w->nlat == w->cap)
			{
				w->cap = w->cap ? w->cap * 2 : 4096;
				w->lat = realloc(w->lat, w->cap * sizeof(double));
			}
			w->lat[w->nlat++] = t - atof(PQgetvalue(r, i, 1));
			d = PQexecPrepared(c, "done", 1, &id, NULL, NULL, 0);
			if (PQresultStatus(d) == PGRES_TUPLES_OK)
				w->completed++;
			else
			{
				w->errors++;
				fprintf(stderr, "driver: complete failed: %s",
						PQerrorMessage(c));
			}
			PQclear(d);
		}
		PQclear(r);
		if (n == 0)
		{
			/* nothing due: wait for NOTIFY sched_tasks (or 20 ms) */
			int			sock = PQsocket(c);
			fd_set		fds;
			struct timeval tv = {0, 20000};
			PGnotify   *nf;

			FD_ZERO(&fds);
			FD_SET(sock, &fds);
			if (select(sock + 1, &fds, NULL, NULL, &tv) > 0)
				PQconsumeInput(c);
			while ((nf = PQnotifies(c)) != NULL)
				PQfreemem(nf);
		}
	}
	PQfinish(c);
	return NULL;
}

static int
cmd_work(int argc, char **argv)
{
	const char *queue = argv[0];
	int			nworkers = atoi(argv[1]);
	double		seconds = atof(argv[2]);
	int			batch = atoi(argv[3]);
	Worker	   *ws = calloc(nworkers, sizeof(Worker));
	double		start = now_real();
	double	   *all;
	long		n = 0,
				done = 0,
				errors = 0;

	(void) argc;
	for (int i = 0; i < nworkers; i++)
	{
		ws[i].id = i;
		ws[i].queue = queue;
		ws[i].batch = batch;
		ws[i].end = start + seconds;
		pthread_create(&ws[i].thread, NULL, work_main, &ws[i]);
	}
	for (int i = 0; i < nworkers; i++)
	{
		pthread_join(ws[i].thread, NULL);
		n += ws[i].nlat;
		done += ws[i].completed;
		errors += ws[i].errors;
	}
	all = malloc(sizeof(double) * (n ? n : 1));
	n = 0;
	for (int i = 0; i < nworkers; i++)
	{
		memcpy(all + n, ws[i].lat, ws[i].nlat * sizeof(double));
		n += ws[i].nlat;
	}
	qsort(all, n, sizeof(double), cmp_double);
	printf("completed %ld\n", done);
	printf("errors %ld\n", errors);
	printf("rate %.1f\n", done / (now_real() - start));
	printf("pickup_p50_ms %.2f\n", pct(all, n, 0.50) * 1e3);
	printf("pickup_p99_ms %.2f\n", pct(all, n, 0.99) * 1e3);
	printf("pickup_max_ms %.2f\n", n ? all[n - 1] * 1e3 : 0);
	return 0;
}

/* ---- tick ---- */

static int
cmd_tick(int argc, char **argv)
{
	const char *rows = argv[0];
	int			seconds = atoi(argv[1]);
	const char *tag = argv[2];
	PGconn	   *c = connect_or_die();
	double	   *lat = calloc(seconds, sizeof(double));
	PGresult   *r;

	(void) argc;
	r = PQprepare(c, "ins",
				  "SELECT bench.insert_runs('bench.prec_base', $1::integer,"
				  " $2, to_timestamp($3::float8), 'schedule', $1::integer)",
				  3, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "driver: prepare failed: %s", PQerrorMessage(c));
		return 2;
	}
	PQclear(r);
	for (int s = 0; s < seconds; s++)
	{
		struct timespec due;
		char		at[32];
		const char *pp[3];

		clock_gettime(CLOCK_REALTIME, &due);
		due.tv_sec += 1;
		due.tv_nsec = 0;
		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &due, NULL) == EINTR)
			;
		snprintf(at, sizeof(at), "%ld", (long) due.tv_sec);
		pp[0] = rows;
		pp[1] = tag;
		pp[2] = at;
		r = PQexecPrepared(c, "ins", 3, pp, NULL, NULL, 0);
		lat[s] = now_real() - (double) due.tv_sec;
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "driver: insert failed: %s", PQerrorMessage(c));
			return 2;
		}
		PQclear(r);
	}
	qsort(lat, seconds, sizeof(double), cmp_double);
	printf("client_p50_ms %.2f\n", pct(lat, seconds, 0.5) * 1e3);
	printf("client_max_ms %.2f\n", lat[seconds - 1] * 1e3);
	PQfinish(c);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "work") == 0)
	{
		conninfo = argv[2];
		return cmd_work(argc - 3, argv + 3);
	}
	if (argc >= 6 && strcmp(argv[1], "tick") == 0)
	{
		conninfo = argv[2];
		return cmd_tick(argc - 3, argv + 3);
	}
	fprintf(stderr,
			"usage: driver work CONNINFO QUEUE WORKERS SECONDS BATCH\n"
			"       driver tick CONNINFO ROWS SECONDS TAG\n");
	return 2;
}
