/*
 * stress.c: concurrency stress driver for pg_sched (issue 5, "Concurrency").
 *
 *	 stress [-d CONNINFO] [-s SECONDS] [-c CLIENTS] [-w WORKERS] [-n IDS]
 *			[-r SEED]
 *
 * CLIENTS threads (default 16) and WORKERS threads (default 6), one
 * connection each, run for SECONDS (default 20) against a database that
 * has the extension, while the real scheduler fires the schedules:
 *
 *	 clients  random create / update (read-modify-write with the conflict
 *			  token from describe) / pause / unpause / trigger / backfill
 *			  (a few seconds back) / delete / describe / cancel_workflow /
 *			  terminate_workflow / expire_leases on IDS (default 6) shared
 *			  schedule ids "st-N", so that they collide; every schedule fires
 *			  every second under a random overlap policy.  Besides, the
 *			  "counter" operation increments args[0] of one of two counter
 *			  schedules by describe + update(token): the final value must
 *			  equal the number of successful updates, or an update was lost.
 *	 workers  poll / heartbeat / complete / fail / canceled on the task
 *			  queue of those schedules, with short leases; some runs are
 *			  abandoned so that leases lapse.
 *
 * Every call is its own autocommit statement: the documented safe usage
 * (README, "The queue": one call per transaction cannot deadlock).
 *
 * Every error is counted per operation and SQLSTATE.  Expected: 42704
 * (a schedule or workflow deleted meanwhile), 40001 (stale conflict
 * token), 55000 (a report on a run closed meanwhile, no open run),
 * 23505 (duplicate create).  Anything else is unexpected and printed with
 * its statement; 40P01 (deadlock) in particular.
 *
 * At the end, with every client stopped, it calls sched.expire_leases()
 * and checks the invariants in the database (check_invariants below).
 * Prints the operation mix, the rate and the errors; exits 0 when nothing
 * unexpected happened and every invariant holds, 1 otherwise, 2 when it
 * cannot work.  Output lines starting with "FAIL" name what went wrong.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_STATES 16
#define NCOUNTERS 2
#define NFIRE 4
#define QUEUE "stress"

enum op
{
	OP_CREATE, OP_UPDATE, OP_PAUSE, OP_UNPAUSE, OP_TRIGGER, OP_BACKFILL,
	OP_DELETE, OP_DESCRIBE, OP_CANCEL, OP_TERMINATE, OP_EXPIRE, OP_COUNTER,
	OP_POLL, OP_HEARTBEAT, OP_COMPLETE, OP_FAIL, OP_CANCELED,
	NOPS
};

static const char *op_names[NOPS] = {
	"create", "update", "pause", "unpause", "trigger", "backfill",
	"delete", "describe", "cancel_workflow", "terminate_workflow",
	"expire_leases", "counter_update", "poll", "heartbeat", "complete",
	"fail", "canceled"
};

/* client operation weights, in the order of enum op up to OP_COUNTER */
static const int client_weights[OP_COUNTER + 1] = {
	8, 10, 6, 6, 10, 6, 3, 6, 4, 3, 2, 12
};

static const char *overlaps[] = {
	"skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other",
	"allow_all"
};

static const char *expected_states[] = {"42704", "40001", "55000", "23505"};

typedef struct OpStats
{
	long		count;			/* calls */
	long		ok;
	int			nstates;
	char		state[MAX_STATES][6];
	long		state_count[MAX_STATES];
} OpStats;

typedef struct Thread
{
	pthread_t	tid;
	int			no;
	int			is_worker;
	unsigned int seed;
	PGconn	   *conn;
	OpStats		stats[NOPS];
	long		counter_ok[NCOUNTERS];
	int			unexpected;
} Thread;

static const char *conninfo = "";
static int	seconds = 20;
static int	nclients = 16;
static int	nworkers = 6;
static int	nids = 6;
static unsigned int base_seed;
static struct timespec deadline;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static int	unexpected_printed;

static int
past_deadline(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
		(now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static PGconn *
connect_or_die(void)
{
	PGconn	   *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "stress: connection failed: %s", PQerrorMessage(c));
		exit(2);
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	PQclear(PQexec(c, "SET timezone = 'UTC'"));
	return c;
}

static void
record(Thread *t, enum op op, PGresult *res, const char *sql)
{
	OpStats    *s = &t->stats[op];
	ExecStatusType st = PQresultStatus(res);
	const char *state;
	int			i;

	s->count++;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
	{
		s->ok++;
		return;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state == NULL)
		state = "-----";		/* connection lost: no SQLSTATE */
	for (i = 0; i < s->nstates; i++)
		if (strcmp(s->state[i], state) == 0)
			break;
	if (i == s->nstates && i < MAX_STATES)
	{
		snprintf(s->state[i], sizeof(s->state[i]), "%s", state);
		s->nstates++;
	}
	if (i < MAX_STATES)
		s->state_count[i]++;
	for (i = 0; i < (int) (sizeof(expected_states) / sizeof(*expected_states)); i++)
		if (strcmp(state, expected_states[i]) == 0)
			return;
	t->unexpected++;
	pthread_mutex_lock(&print_lock);
	if (unexpected_printed++ < 20)
		printf("FAIL unexpected error %s in %s: %s  statement: %s\n",
			   state, op_names[op], PQresultErrorMessage(res), sql);
	pthread_mutex_unlock(&print_lock);
	if (PQstatus(t->conn) != CONNECTION_OK)
	{
		PQfinish(t->conn);
		t->conn = connect_or_die();
	}
}

/* Runs sql with text parameters; records the outcome; returns the result. */
static PGresult *
run(Thread *t, enum op op, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(t->conn, sql, nparams, NULL, params,
								   NULL, NULL, 0);

	record(t, op, res, sql);
	return res;
}

static int
ok(PGresult *res)
{
	return PQresultStatus(res) == PGRES_TUPLES_OK ||
		PQresultStatus(res) == PGRES_COMMAND_OK;
}

static void
random_id(Thread *t, char *buf, size_t len)
{
	snprintf(buf, len, "st-%d", (int) (rand_r(&t->seed) % nids));
}

static const char *
random_overlap(Thread *t)
{
	return overlaps[rand_r(&t->seed) % 6];
}

static void
do_create(Thread *t, const char *id)
{
	char		doc[1024];
	const char *params[2];
	int			limited = rand_r(&t->seed) % 4 == 0;

	snprintf(doc, sizeof(doc),
			 "{\"action\": {\"workflow\": \"Stress\", \"id\": \"%s\", "
			 "\"task_queue\": \"" QUEUE "\", \"args\": [%d]}, "
			 "\"spec\": {\"intervals\": [{\"every\": %d}]}, "
			 "\"policy\": {\"overlap\": \"%s\", \"catchup_window\": \"1 minute\"}"
			 "%s}",
			 id, t->no, 1 + (int) (rand_r(&t->seed) % 2), random_overlap(t),
			 limited ? ", \"state\": {\"limited_actions\": true, \"remaining_actions\": 5}" : "");
	params[0] = id;
	params[1] = doc;
	PQclear(run(t, OP_CREATE,
				"SELECT sched.create_schedule($1, $2::jsonb)", 2, params));
}

static void
client_step(Thread *t)
{
	char		id[32];
	int			total = 0,
				pick,
				i;
	enum op		op = OP_DESCRIBE;
	PGresult   *res;
	const char *p[4];

	for (i = 0; i <= OP_COUNTER; i++)
		total += client_weights[i];
	pick = rand_r(&t->seed) % total;
	for (i = 0; i <= OP_COUNTER; i++)
	{
		if (pick < client_weights[i])
		{
			op = (enum op) i;
			break;
		}
		pick -= client_weights[i];
	}
	random_id(t, id, sizeof(id));
	/*
	 * The "fire-N" schedules are never deleted or paused, so the scheduler
	 * keeps firing them; fire-0 (allow_all) is not updated either, so that
	 * it must fire every second without a gap.
	 */
	if ((op == OP_TRIGGER || op == OP_BACKFILL || op == OP_DESCRIBE) &&
		rand_r(&t->seed) % 3 == 0)
		snprintf(id, sizeof(id), "fire-%d", (int) (rand_r(&t->seed) % NFIRE));
	else if (op == OP_UPDATE && rand_r(&t->seed) % 3 == 0)
		snprintf(id, sizeof(id), "fire-%d", 1 + (int) (rand_r(&t->seed) % (NFIRE - 1)));
	p[0] = id;

	switch (op)
	{
		case OP_CREATE:
			do_create(t, id);
			break;
		case OP_UPDATE:
			{
				/* read, think, write back with the token read */
				char		token[32];
				char		overlap[64];

				res = run(t, OP_DESCRIBE,
						  "SELECT d->>'conflict_token' FROM sched.describe($1) d",
						  1, p);
				if (!ok(res) || PQntuples(res) != 1)
				{
					PQclear(res);
					break;
				}
				snprintf(token, sizeof(token), "%s", PQgetvalue(res, 0, 0));
				PQclear(res);
				if (rand_r(&t->seed) % 2)
					usleep(rand_r(&t->seed) % 2000);
				snprintf(overlap, sizeof(overlap), "\"%s\"", random_overlap(t));
				p[1] = overlap;
				p[2] = token;
				PQclear(run(t, OP_UPDATE,
							"SELECT sched.update($1, jsonb_build_object('policy', "
							"jsonb_build_object('overlap', $2::jsonb, 'catchup_window', '1 minute')), $3::bigint)",
							3, p));
				break;
			}
		case OP_PAUSE:
			PQclear(run(t, op, "SELECT sched.pause($1, 'stress')", 1, p));
			break;
		case OP_UNPAUSE:
			PQclear(run(t, op, "SELECT sched.unpause($1)", 1, p));
			break;
		case OP_TRIGGER:
			p[1] = rand_r(&t->seed) % 2 ? random_overlap(t) : NULL;
			PQclear(run(t, op, "SELECT sched.trigger($1, $2)", 2, p));
			break;
		case OP_BACKFILL:
			{
				char		back[16];

				snprintf(back, sizeof(back), "%d", 2 + (int) (rand_r(&t->seed) % 8));
				p[1] = back;
				p[2] = rand_r(&t->seed) % 2 ? random_overlap(t) : NULL;
				PQclear(run(t, op,
							"SELECT sched.backfill($1, now() - make_interval(secs => $2::int), "
							"now() - interval '1 second', $3)", 3, p));
				break;
			}
		case OP_DELETE:
			PQclear(run(t, op, "SELECT sched.delete($1)", 1, p));
			break;
		case OP_DESCRIBE:
			PQclear(run(t, op, "SELECT sched.describe($1)", 1, p));
			break;
		case OP_CANCEL:
		case OP_TERMINATE:
			{
				char		wid[1100];

				res = PQexec(t->conn,
							 "SELECT workflow_id FROM sched.executions "
							 "WHERE task_queue = '" QUEUE "' AND status IN ('scheduled', 'pending', 'running') "
							 "ORDER BY random() LIMIT 1");
				if (!ok(res) || PQntuples(res) != 1)
				{
					PQclear(res);
					break;
				}
				snprintf(wid, sizeof(wid), "%s", PQgetvalue(res, 0, 0));
				PQclear(res);
				p[0] = wid;
				PQclear(run(t, op, op == OP_CANCEL ?
							"SELECT sched.cancel_workflow($1, 'stress')" :
							"SELECT sched.terminate_workflow($1, 'stress')", 1, p));
				break;
			}
		case OP_EXPIRE:
			PQclear(run(t, op, "SELECT sched.expire_leases()", 0, NULL));
			break;
		case OP_COUNTER:
			{
				/*
				 * Lost-update probe: args[0] += 1 by read-modify-write with
				 * the token.  Pauses and triggers hit these schedules too (so
				 * tokens go stale for other reasons as well).
				 */
				int			c = rand_r(&t->seed) % NCOUNTERS;
				char		cid[16],
							token[32],
							args[32];
				int			r = rand_r(&t->seed) % 10;

				snprintf(cid, sizeof(cid), "ctr-%d", c);
				p[0] = cid;
				if (r == 0)
				{
					PQclear(run(t, OP_PAUSE, "SELECT sched.pause($1, 'stress')", 1, p));
					break;
				}
				if (r == 1)
				{
					PQclear(run(t, OP_UNPAUSE, "SELECT sched.unpause($1)", 1, p));
					break;
				}
				res = run(t, OP_DESCRIBE,
						  "SELECT (d->'schedule'->'action'->'args'->>0)::bigint, d->>'conflict_token' "
						  "FROM sched.describe($1) d", 1, p);
				if (!ok(res) || PQntuples(res) != 1)
				{
					PQclear(res);
					break;
				}
				snprintf(args, sizeof(args), "[%lld]",
						 atoll(PQgetvalue(res, 0, 0)) + 1);
				snprintf(token, sizeof(token), "%s", PQgetvalue(res, 0, 1));
				PQclear(res);
				if (rand_r(&t->seed) % 2)
					usleep(rand_r(&t->seed) % 1000);
				p[1] = args;
				p[2] = token;
				res = run(t, OP_COUNTER,
						  "SELECT sched.update($1, jsonb_build_object('action', "
						  "jsonb_build_object('workflow', 'Counter', 'id', $1::text, 'task_queue', 'ctr', "
						  "'args', $2::jsonb)), $3::bigint)", 3, p);
				if (ok(res))
					t->counter_ok[c]++;
				PQclear(res);
				break;
			}
		default:
			break;
	}
}

static void
worker_step(Thread *t)
{
	char		worker[32],
				max[8],
				lease[16];
	const char *p[4];
	PGresult   *res;
	int			n,
				i;
	char		(*runs)[40];

	snprintf(worker, sizeof(worker), "w%d", t->no);
	snprintf(max, sizeof(max), "%d", 1 + (int) (rand_r(&t->seed) % 4));
	snprintf(lease, sizeof(lease), "%d seconds", 1 + (int) (rand_r(&t->seed) % 3));
	p[0] = worker;
	p[1] = max;
	p[2] = lease;
	res = run(t, OP_POLL,
			  "SELECT run_id FROM sched.poll('" QUEUE "', $1, $2::int, $3::interval)",
			  3, p);
	if (!ok(res) || PQntuples(res) == 0)
	{
		PQclear(res);
		usleep(5000 + rand_r(&t->seed) % 20000);
		return;
	}
	n = PQntuples(res);
	runs = calloc(n, sizeof(*runs));
	for (i = 0; i < n; i++)
		snprintf(runs[i], sizeof(runs[i]), "%s", PQgetvalue(res, i, 0));
	PQclear(res);

	for (i = 0; i < n; i++)
	{
		int			cancel = 0;
		int			r;

		p[0] = runs[i];
		if (rand_r(&t->seed) % 2)
		{
			usleep(rand_r(&t->seed) % 3000);
			res = run(t, OP_HEARTBEAT,
					  "SELECT sched.heartbeat($1::uuid, '{\"step\": 1}')", 1, p);
			if (ok(res) && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
				cancel = 1;
			PQclear(res);
		}
		r = rand_r(&t->seed) % 20;
		if (cancel || r == 0)
			PQclear(run(t, OP_CANCELED, "SELECT sched.canceled($1::uuid)", 1, p));
		else if (r == 1)
			;					/* abandoned: its lease lapses */
		else if (r < 5)
		{
			p[1] = r == 2 ? "true" : "false";
			PQclear(run(t, OP_FAIL,
						"SELECT sched.fail($1::uuid, 'stress failure', $2::boolean)", 2, p));
		}
		else
			PQclear(run(t, OP_COMPLETE,
						"SELECT sched.complete($1::uuid, '{\"ok\": true}')", 1, p));
	}
	free(runs);
}

static void *
thread_main(void *arg)
{
	Thread	   *t = arg;

	t->conn = connect_or_die();
	while (!past_deadline())
	{
		if (t->is_worker)
			worker_step(t);
		else
			client_step(t);
	}
	PQfinish(t->conn);
	return NULL;
}

/* One invariant: a query returning one row, one column; expected value. */
static int
check(PGconn *c, const char *what, const char *sql, const char *expect)
{
	PGresult   *res = PQexec(c, sql);
	int			good;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		printf("FAIL invariant %s: query failed: %s", what, PQresultErrorMessage(res));
		PQclear(res);
		return 1;
	}
	good = strcmp(PQgetvalue(res, 0, 0), expect) == 0;
	printf("%s invariant %s: %s\n", good ? "ok" : "FAIL", what, PQgetvalue(res, 0, 0));
	PQclear(res);
	return !good;
}

static int
check_invariants(PGconn *c, long counter_ok[NCOUNTERS])
{
	int			bad = 0;
	int			i;
	PGresult   *res;

	res = PQexec(c, "SELECT sched.expire_leases()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		printf("FAIL expire_leases at the end: %s", PQresultErrorMessage(res));
		bad++;
	}
	PQclear(res);

	bad += check(c, "one open run per workflow id",
				 "SELECT count(*) FROM (SELECT workflow_id FROM sched.executions "
				 "WHERE status IN ('scheduled', 'pending', 'running') "
				 "GROUP BY workflow_id HAVING count(*) > 1) x", "0");
	bad += check(c, "one scheduled run per (schedule, nominal time)",
				 "SELECT count(*) FROM (SELECT 1 FROM sched.executions "
				 "WHERE start_kind = 'schedule' GROUP BY schedule_id, nominal_time "
				 "HAVING count(*) > 1) x", "0");
	bad += check(c, "buffer within 1000 per schedule",
				 "SELECT count(*) FROM (SELECT 1 FROM sched.buffer GROUP BY schedule_id "
				 "HAVING count(*) > 1000) x", "0");
	bad += check(c, "no running run past its lease after expire_leases",
				 "SELECT count(*) FROM sched.executions WHERE status = 'running' "
				 "AND lease_expires_at < now()", "0");
	bad += check(c, "counters and remaining actions non-negative",
				 "SELECT count(*) FROM sched.schedules WHERE num_actions < 0 "
				 "OR num_actions_missed_catchup_window < 0 OR num_actions_skipped_overlap < 0 "
				 "OR num_buffer_dropped < 0 OR remaining_actions < 0", "0");
	bad += check(c, "buffer and backfill rows belong to existing schedules",
				 "SELECT (SELECT count(*) FROM sched.buffer b WHERE NOT EXISTS "
				 "(SELECT 1 FROM sched.schedules s WHERE s.schedule_id = b.schedule_id)) + "
				 "(SELECT count(*) FROM sched.backfills b WHERE NOT EXISTS "
				 "(SELECT 1 FROM sched.schedules s WHERE s.schedule_id = b.schedule_id))", "0");

	/*
	 * num_actions counts every action taken, each of which wrote one run;
	 * a recreated id ignores the runs of its earlier incarnations, which
	 * were all created before its created_at.
	 */
	bad += check(c, "num_actions equals the runs of the schedule's incarnation",
				 "SELECT count(*) FROM sched.schedules s WHERE s.num_actions <> "
				 "(SELECT count(*) FROM sched.executions e WHERE e.schedule_id = s.schedule_id "
				 "AND e.created_at >= s.created_at)", "0");
	bad += check(c, "running_actions in describe are open runs",
				 "SELECT count(*) FROM sched.schedules s, "
				 "jsonb_array_elements(sched.describe(s.schedule_id)->'info'->'running_actions') r "
				 "WHERE NOT EXISTS (SELECT 1 FROM sched.executions e WHERE e.run_id = (r->>'run_id')::uuid "
				 "AND e.status IN ('scheduled', 'pending', 'running'))", "0");

	{
		char		sql[512];

		/* fire-0: allow_all, never paused, updated or deleted */
		snprintf(sql, sizeof(sql),
				 "SELECT count(*) = count(DISTINCT nominal_time) "
				 "AND max(nominal_time) - min(nominal_time) = (count(*) - 1) * interval '1 second' "
				 "AND count(*) >= %d FROM sched.executions "
				 "WHERE schedule_id = 'fire-0' AND start_kind = 'schedule'",
				 seconds * 3 / 4);
		bad += check(c, "fire-0 fired every second, once, without a gap", sql, "t");
		bad += check(c, "the scheduler reported no error",
					 "SELECT coalesce(sum(errors), 0) FROM sched.scheduler_status() "
					 "WHERE database = current_database()", "0");
	}
	for (i = 0; i < NCOUNTERS; i++)
	{
		char		sql[256],
					expect[32],
					what[64];

		snprintf(sql, sizeof(sql),
				 "SELECT sched.describe('ctr-%d')->'schedule'->'action'->'args'->>0", i);
		snprintf(expect, sizeof(expect), "%ld", counter_ok[i]);
		snprintf(what, sizeof(what), "no lost update on ctr-%d (successful updates = args[0])", i);
		bad += check(c, what, sql, expect);
	}
	return bad;
}

static void
usage(void)
{
	fprintf(stderr, "usage: stress [-d conninfo] [-s seconds] [-c clients] [-w workers] [-n ids] [-r seed]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int			opt,
				i,
				j,
				k,
				unexpected = 0,
				bad;
	Thread	   *threads;
	OpStats		total[NOPS];
	long		counter_ok[NCOUNTERS] = {0};
	long		all_ops = 0;
	struct timespec t0,
				t1;
	double		elapsed;
	PGconn	   *c;
	PGresult   *res;

	base_seed = (unsigned int) time(NULL);
	while ((opt = getopt(argc, argv, "d:s:c:w:n:r:")) != -1)
	{
		switch (opt)
		{
			case 'd':
				conninfo = optarg;
				break;
			case 's':
				seconds = atoi(optarg);
				break;
			case 'c':
				nclients = atoi(optarg);
				break;
			case 'w':
				nworkers = atoi(optarg);
				break;
			case 'n':
				nids = atoi(optarg);
				break;
			case 'r':
				base_seed = (unsigned int) strtoul(optarg, NULL, 10);
				break;
			default:
				usage();
		}
	}
	if (seconds <= 0 || nclients <= 0 || nworkers < 0 || nids <= 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %u, %d s, %d clients, %d workers, %d shared ids\n",
		   base_seed, seconds, nclients, nworkers, nids);

	/* setup: the counter schedules (never fire on their own) */
	c = connect_or_die();
	for (i = 0; i < NFIRE; i++)
	{
		char		sql[512];

		snprintf(sql, sizeof(sql),
				 "SELECT sched.create_schedule('fire-%d', '{\"action\": {\"workflow\": \"Fire\", "
				 "\"id\": \"fire-%d\", \"task_queue\": \"" QUEUE "\"}, "
				 "\"spec\": {\"intervals\": [{\"every\": 1}]}, "
				 "\"policy\": {\"overlap\": \"%s\"}}')",
				 i, i, i == 0 ? "allow_all" : overlaps[i % 6]);
		res = PQexec(c, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "stress: setup failed (%s): %s", sql, PQresultErrorMessage(res));
			exit(2);
		}
		PQclear(res);
	}
	for (i = 0; i < NCOUNTERS; i++)
	{
		char		sql[512];

		snprintf(sql, sizeof(sql),
				 "SELECT sched.create_schedule('ctr-%d', '{\"action\": {\"workflow\": \"Counter\", "
				 "\"id\": \"ctr-%d\", \"task_queue\": \"ctr\", \"args\": [0]}, "
				 "\"spec\": {\"intervals\": [{\"every\": 1}], \"start_at\": \"2099-01-01T00:00:00Z\"}}')",
				 i, i);
		res = PQexec(c, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "stress: setup failed (%s): %s", sql, PQresultErrorMessage(res));
			exit(2);
		}
		PQclear(res);
	}

	threads = calloc(nclients + nworkers, sizeof(Thread));
	/* the shared ids exist at the start */
	threads[0].conn = c;
	threads[0].seed = base_seed;
	for (i = 0; i < nids; i++)
	{
		char		id[32];

		snprintf(id, sizeof(id), "st-%d", i);
		do_create(&threads[0], id);
	}
	memset(threads[0].stats, 0, sizeof(threads[0].stats));
	threads[0].conn = NULL;
	if (threads[0].unexpected)
		exit(2);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_sec += seconds;
	for (i = 0; i < nclients + nworkers; i++)
	{
		threads[i].no = i;
		threads[i].is_worker = i >= nclients;
		threads[i].seed = base_seed * 7919u + (unsigned int) i * 104729u + 1;
		if (pthread_create(&threads[i].tid, NULL, thread_main, &threads[i]) != 0)
		{
			fprintf(stderr, "stress: pthread_create failed\n");
			exit(2);
		}
	}
	for (i = 0; i < nclients + nworkers; i++)
		pthread_join(threads[i].tid, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	/* merge */
	memset(total, 0, sizeof(total));
	for (i = 0; i < nclients + nworkers; i++)
	{
		Thread	   *t = &threads[i];

		unexpected += t->unexpected;
		for (j = 0; j < NCOUNTERS; j++)
			counter_ok[j] += t->counter_ok[j];
		for (j = 0; j < NOPS; j++)
		{
			OpStats    *s = &t->stats[j],
					   *d = &total[j];

			d->count += s->count;
			d->ok += s->ok;
			for (k = 0; k < s->nstates; k++)
			{
				int			m;

				for (m = 0; m < d->nstates; m++)
					if (strcmp(d->state[m], s->state[k]) == 0)
						break;
				if (m == d->nstates && m < MAX_STATES)
				{
					memcpy(d->state[m], s->state[k], 6);
					d->nstates++;
				}
				if (m < MAX_STATES)
					d->state_count[m] += s->state_count[k];
			}
		}
	}

	printf("%-20s %9s %9s  errors by SQLSTATE\n", "operation", "calls", "ok");
	for (j = 0; j < NOPS; j++)
	{
		all_ops += total[j].count;
		printf("%-20s %9ld %9ld ", op_names[j], total[j].count, total[j].ok);
		for (k = 0; k < total[j].nstates; k++)
			printf(" %s:%ld", total[j].state[k], total[j].state_count[k]);
		printf("\n");
	}
	printf("total %ld operations in %.1f s: %.0f ops/s\n", all_ops, elapsed, all_ops / elapsed);
	for (j = 0; j < NOPS; j++)
		for (k = 0; k < total[j].nstates; k++)
			if (strcmp(total[j].state[k], "40P01") == 0)
				printf("FAIL deadlock (40P01) reached a caller %ld times in %s\n",
					   total[j].state_count[k], op_names[j]);
	printf("unexpected errors: %d\n", unexpected);

	res = PQexec(c,
				 "SELECT count(*), count(*) FILTER (WHERE start_kind = 'schedule'), "
				 "count(*) FILTER (WHERE status IN ('scheduled', 'pending', 'running')) "
				 "FROM sched.executions");
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		printf("runs: %s (by the scheduler: %s), open at the end: %s\n",
			   PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);

	bad = check_invariants(c, counter_ok);
	PQfinish(c);
	printf("%s: %d unexpected errors, %d invariants violated\n",
		   unexpected || bad ? "FAIL" : "PASS", unexpected, bad);
	return unexpected || bad ? 1 : 0;
}
