#!/usr/bin/env node
/*
 * gw.js: the graphile-worker side of figure 9 (bench/queue.sh), our own
 * small driver of the graphile-worker package that bench/queue.sh installs
 * with npm (GW_DIR: the directory holding its node_modules).  It uses the
 * settings of graphile-worker's perfTest (perfTest/run.js,
 * perfTest/graphile.config.js, perfTest/init.js of the same version):
 * a trivial task (log_if_999), jobs added by one add_jobs call, and worker
 * processes that run until the queue is empty (runOnce, as `cli.js --once`).
 *
 *   node gw.js migrate               installs graphile-worker's schema
 *   node gw.js add N                 one add_jobs call of N jobs; prints
 *                                    "secs S" (the call, from the client)
 *   node gw.js starts N              pg_sched's side, the same way: N starts
 *                                    built by this client, sent by
 *                                    sched.start_workflows in calls of
 *                                    10,000 (its limit) in one transaction;
 *                                    prints "secs S", "calls C", "refused R"
 *   node gw.js once CONCURRENCY on|off
 *                                    one worker process until the queue is
 *                                    empty; "on" is perfTest's batching
 *                                    (localQueue 500, refetchDelay 10 ms,
 *                                    complete/fail batch delay 0), "off"
 *                                    its unbatched settings (-1)
 *
 * The connection is PGHOST/PGUSER/PGDATABASE (node-postgres reads them).
 * Output lines are "key value" pairs.  Not a test.
 */
"use strict";
const path = require("path");
const { createRequire } = require("module");

const dir = process.env.GW_DIR;
if (!dir) {
	console.error("gw.js: GW_DIR is not set");
	process.exit(2);
}
const req = createRequire(path.join(dir, "package.json"));
const gw = req("graphile-worker");
const { Pool } = req("pg");

process.env.NO_LOG_SUCCESS = "1";

// warnings and errors only: the per-job and startup lines are not figures
const logger = new gw.Logger((scope) => (level, message) => {
	if (level === "error" || level === "warning")
		console.error(`graphile-worker ${level}: ${message}`);
});

const taskList = {
	log_if_999: async (payload) => {
		if (payload.id === 999)
			console.log("found 999");
	},
};

function preset(concurrency, batching) {
	const on = batching === "on";
	return {
		worker: {
			concurrentJobs: concurrency,
			maxPoolSize: concurrency + 1,
			gracefulShutdownAbortTimeout: 2500,
			localQueue: on ? { size: 500, refetchDelay: { durationMs: 10 } } : { size: -1 },
			completeJobBatchDelay: on ? 0 : -1,
			failJobBatchDelay: on ? 0 : -1,
		},
	};
}

async function main() {
	const [cmd, a1, a2] = process.argv.slice(2);
	if (cmd === "migrate") {
		await gw.runMigrations({ logger, preset: preset(1, "off") });
	} else if (cmd === "add") {
		const n = parseInt(a1, 10);
		const jobs = [];
		for (let i = 0; i < n; i++)
			jobs.push({ identifier: "log_if_999", payload: { id: i } });
		const pool = new Pool({ max: 1 });
		const text = JSON.stringify(jobs);
		const t0 = process.hrtime.bigint();
		await pool.query(
			"select 1 from graphile_worker.add_jobs(array(select json_populate_recordset(null::graphile_worker.job_spec, $1::json)))",
			[text]);
		const secs = Number(process.hrtime.bigint() - t0) / 1e9;
		await pool.end();
		console.log(`secs ${secs.toFixed(4)}`);
	} else if (cmd === "starts") {
		// pg_sched's side of 9d, from the same client library: N starts (new
		// ids, default policies) by sched.start_workflows in calls of at most
		// its limit of 10,000, in one transaction; the JSON is built before
		// the clock starts, as add's is
		const n = parseInt(a1, 10);
		const texts = [];
		for (let k = 0; k < n; k += 10000) {
			const starts = [];
			for (let i = k; i < Math.min(n, k + 10000); i++)
				starts.push({ workflow: "BenchWorkflow", id: `b-${i}`, task_queue: "bq", args: [{ id: i }] });
			texts.push(JSON.stringify(starts));
		}
		const pool = new Pool({ max: 1 });
		const client = await pool.connect();
		let refused = 0;
		const t0 = process.hrtime.bigint();
		await client.query("begin");
		for (const text of texts) {
			const r = await client.query(
				"select count(*) filter (where sqlstate is not null) as refused from sched.start_workflows($1::jsonb)",
				[text]);
			refused += Number(r.rows[0].refused);
		}
		await client.query("commit");
		const secs = Number(process.hrtime.bigint() - t0) / 1e9;
		client.release();
		await pool.end();
		console.log(`secs ${secs.toFixed(4)}`);
		console.log(`calls ${texts.length}`);
		console.log(`refused ${refused}`);
	} else if (cmd === "once") {
		const concurrency = parseInt(a1, 10);
		await gw.runOnce({ logger, noHandleSignals: true, preset: preset(concurrency, a2), taskList });
	} else {
		console.error("usage: node gw.js migrate | add N | starts N | once CONCURRENCY on|off");
		process.exit(2);
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
