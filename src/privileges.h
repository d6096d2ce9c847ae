/*-------------------------------------------------------------------------
 *
 * privileges.h
 *	  Who may see and do what (the README's "Security model"), and running
 *	  the table work of a SQL function as the extension's owner.
 *
 * Every SQL entry point of pg_sched that reads or writes its tables calls
 * priv_enter() first: it returns the caller (the role to check the rules
 * against) and switches the current user to the extension's owner, with
 * search_path pinned, until priv_exit().  The checks below take the caller
 * explicitly, since GetUserId() is the owner inside that section.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_PRIVILEGES_H
#define PG_SCHED_PRIVILEGES_H

#include "fmgr.h"

/* The roles of the model; cluster-wide, created by the install script. */
#define PRIV_ADMIN_ROLE		"sched_admin"
#define PRIV_WORKER_ROLE	"sched_worker"

/* What priv_exit() restores. */
typedef struct PrivState
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} PrivState;

/*
 * Enters the owner's section: returns the caller (GetUserId() before the
 * switch).  An error inside needs no priv_exit(): the (sub)transaction's
 * abort restores the user and the settings, as for SECURITY DEFINER.
 */
/*
 * The version of pg_sched installed in this database (palloc'd), or NULL.
 * The library works only with its own version's objects (PG_SCHED_VERSION).
 */
extern char *priv_installed_version(void);

extern Oid	priv_enter(PrivState *ps);
extern void priv_exit(PrivState *ps);

/* The name of a role (for messages and owner columns). */
extern char *priv_role_name(Oid roleid);

/* roleid is a member of the role named rolename (false if none exists). */
extern bool priv_is_member(Oid roleid, const char *rolename);

/* A superuser or a member of sched_admin. */
extern bool priv_is_admin(Oid roleid);

/* roleid may see and change what owner owns: a member of it, or an admin. */
extern bool priv_may_access(Oid roleid, const char *owner);

/*
 * roleid may claim and report on every run of task_queue: an admin, a
 * member of sched_worker, or a member of a role granted the queue with
 * sched.grant_task_queue.  Reads sched.task_queue_grants (inside the
 * owner's section).
 */
extern bool priv_may_work_queue(Oid roleid, const char *task_queue);

/*
 * The parameters of RUN_READABLE below for roleid: *all (admin or
 * sched_worker member: every run), roleid itself, and the text[] of the
 * task queues granted to roles it is a member of.  Inside the owner's
 * section.
 */
extern void priv_run_filter(Oid roleid, Datum *all, Datum *role,
							Datum *queues);

/*
 * The runs that the caller may read, claim and report on, as a condition
 * of a query run in the owner's section: parameters $a (bool), $r (oid)
 * and $q (text[]) as priv_run_filter() sets them.
 */
#define RUN_READABLE(a, r, q) \
	" (" a " OR sched.may_access(owner, " r ") OR task_queue = ANY (" q "))"

/*
 * The "permission denied" error of an administrative function (42501).
 */
extern void priv_require_admin(Oid roleid, const char *what);

#endif							/* PG_SCHED_PRIVILEGES_H */
