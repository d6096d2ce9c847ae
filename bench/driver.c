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
 *	 driver drain CONNINFO MODE QUEUE WORKERS BATCH
 *		Figure 9: WORKERS threads, one connection each, empty a pre-filled
 *		queue as fast as they can: claim up to BATCH runs, close them, until
 *		a claim returns nothing.  MODE sched: sched.poll(QUEUE, worker,
 *		BATCH), then sched.complete(run_id) when BATCH is 1, else one
 *		sched.complete_runs(run_ids) for the whole batch.  MODE base: the
 *		bare statements on table QUEUE (a copy of sched.executions): the
 *		claim of sched.poll (UPDATE ... WHERE run_id = ANY (ARRAY(SELECT ...
 *		ORDER BY due_at LIMIT BATCH FOR NO KEY UPDATE SKIP LOCKED))
 *		RETURNING), then one UPDATE ... SET status = 'completed' of the
 *		batch.  Every statement is its own transaction, as workers call
 *		them.  Prints completed, refused (complete_runs rows not
 *		'completed'), errors, secs and rate.
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

/* ---- drain ---- */

typedef struct Drainer
{
	pthread_t	thread;
	int			id;
	int			base;			/* bare statements rather than pg_sched */
	const char *queue;
	int			batch;
	long		completed;
	long		refused;
	long		errors;
} Drainer;

/* "{a,b,c}": the run ids of a result's first column, as an array literal */
static char *
id_array(PGresult *r)
{
	int			n = PQntuples(r);
	size_t		len = 3 + (size_t) n * 37;
	char	   *s = malloc(len);
	char	   *p = s;

	*p++ = '{';
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += sprintf(p, "%s", PQgetvalue(r, i, 0));
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

static void *
drain_main(void *arg)
{
	Drainer    *w = (Drainer *) arg;
	PGconn	   *c = connect_or_die();
	char		name[32];
	char		batch[16];
	char		sql[1024];
	const char *pp[3];
	PGresult   *r;

	snprintf(name, sizeof(name), "bench-%d", w->id);
	snprintf(batch, sizeof(batch), "%d", w->batch);
	if (w->base)
	{
		snprintf(sql, sizeof(sql),
				 "UPDATE %s e SET status = 'running', attempt = e.attempt + 1,"
				 " worker = $1, started_at = coalesce(e.started_at, now()),"
				 " lease_expires_at = now() + interval '30 seconds',"
				 " lease_duration = interval '30 seconds'"
				 " WHERE e.run_id = ANY (ARRAY("
				 "   SELECT run_id FROM %s WHERE task_queue = 'qq'"
				 "   AND status = 'pending' AND due_at <= now()"
				 "   ORDER BY due_at LIMIT %d"
				 "   FOR NO KEY UPDATE SKIP LOCKED))"
				 " RETURNING e.run_id::text", w->queue, w->queue, w->batch);
		/* the LIMIT a constant: a generic plan of LIMIT $n may sort */
		r = PQprepare(c, "claim", sql, 1, NULL);
		PQclear(r);
		snprintf(sql, sizeof(sql),
				 "WITH u AS (UPDATE %s SET status = 'completed', closed_at = now(),"
				 " lease_expires_at = NULL, result = NULL, error = NULL,"
				 " error_type = NULL"
				 " WHERE run_id = ANY ($1::uuid[]) AND status = 'running'"
				 " RETURNING 1) SELECT count(*) FROM u", w->queue);
		r = PQprepare(c, "close", sql, 1, NULL);
		PQclear(r);
	}
	else
	{
		r = PQprepare(c, "claim",
					  "SELECT run_id::text FROM sched.poll($3, $1, $2::integer)",
					  3, NULL);
		PQclear(r);
		r = PQprepare(c, "close", w->batch == 1
					  ? "SELECT 1 FROM sched.complete($1::uuid)"
					  : "SELECT count(*) FILTER (WHERE status = 'completed')"
					  " FROM sched.complete_runs($1::uuid[])", 1, NULL);
		PQclear(r);
	}
	pp[0] = name;
	pp[1] = batch;
	pp[2] = w->queue;
	for (;;)
	{
		int			n;
		char	   *ids;
		const char *cp[1];
		PGresult   *d;

		r = PQexecPrepared(c, "claim", w->base ? 1 : 3, pp, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			w->errors++;
			fprintf(stderr, "driver: claim failed: %s", PQerrorMessage(c));
			PQclear(r);
			if (w->errors > 100)
				break;
			continue;
		}
		n = PQntuples(r);
		if (n == 0)
		{
			PQclear(r);
			break;
		}
		ids = n == 1 && !w->base ? strdup(PQgetvalue(r, 0, 0)) : id_array(r);
		PQclear(r);
		cp[0] = ids;
		d = PQexecPrepared(c, "close", 1, cp, NULL, NULL, 0);
		if (PQresultStatus(d) == PGRES_TUPLES_OK)
		{
			long		ok = w->batch == 1 && !w->base ? n : atol(PQgetvalue(d, 0, 0));

			w->completed += ok;
			w->refused += n - ok;
		}
		else
		{
			w->errors++;
			fprintf(stderr, "driver: close failed: %s", PQerrorMessage(c));
		}
		PQclear(d);
		free(ids);
	}
	PQfinish(c);
	return NULL;
}

static int
cmd_drain(int argc, char **argv)
{
	const char *mode = argv[0];
	int			nworkers = atoi(argv[2]);
	Drainer    *ws = calloc(nworkers, sizeof(Drainer));
	double		start = now_real(),
				secs;
	long		done = 0,
				refused = 0,
				errors = 0;

	(void) argc;
	for (int i = 0; i < nworkers; i++)
	{
		ws[i].id = i;
		ws[i].base = strcmp(mode, "base") == 0;
		ws[i].queue = argv[1];
		ws[i].batch = atoi(argv[3]);
		pthread_create(&ws[i].thread, NULL, drain_main, &ws[i]);
	}
	for (int i = 0; i < nworkers; i++)
	{
		pthread_join(ws[i].thread, NULL);
		done += ws[i].completed;
		refused += ws[i].refused;
		errors += ws[i].errors;
	}
	secs = now_real() - start;
	printf("completed %ld\n", done);
	printf("refused %ld\n", refused);
	printf("errors %ld\n", errors);
	printf("secs %.4f\n", secs);
	printf("rate %.1f\n", done / secs);
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
	if (argc >= 7 && strcmp(argv[1], "drain") == 0)
	{
		conninfo = argv[2];
		return cmd_drain(argc - 3, argv + 3);
	}
	if (argc >= 6 && strcmp(argv[1], "tick") == 0)
	{
		conninfo = argv[2];
		return cmd_tick(argc - 3, argv + 3);
	}
	fprintf(stderr,
			"usage: driver work CONNINFO QUEUE WORKERS SECONDS BATCH\n"
			"       driver drain CONNINFO sched|base QUEUE WORKERS BATCH\n"
			"       driver tick CONNINFO ROWS SECONDS TAG\n");
	return 2;
}
