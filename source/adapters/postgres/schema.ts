/**
 * The PostgreSQL schema, as migrations of its own (numbered 1, 2, 3…; never edit one that shipped, add the next).
 * The tasks table has the SQLite table's columns (sqlite/task-row.ts is the one row mapping for both) plus what
 * several hosts need: who holds a task, until when, and where it may run.
 *
 * Types: every number is `double precision`, which holds every integer a JS number holds exactly and returns a JS
 * number (pg returns bigint as a string), and keeps a fractional fake-clock time as SQLite does. JSON fields are jsonb,
 * read back as text so the SQLite row mapping parses them. Times the database decides (leases, heartbeats) are
 * timestamptz from the database's own clock, so hosts whose clocks disagree still agree on who holds what.
 */
import type {Migration} from '../sqlite/migrations.js';

/** Statuses a host holds a task in; a task in any other status is finished (its host_id says where it ran). */
export const HELD_STATUSES = ['queued', 'running', 'needs_input', 'parked'] as const;

/** The channel every change to a schedule or a run is announced on: `{table, id}` as JSON. */
export const SCHEDULES_CHANNEL = 'ccfleet_schedules';

/** The channel every change to a task is announced on (not lease renewals): `{id, status, host, op, seq}` as JSON. */
export const TASKS_CHANNEL = 'ccfleet_tasks';

/**
 * The channel of control from any host: `{table: 'task_commands', id, host, done}` when a command is sent to `host` or
 * done, `{table: 'pending_questions'}` when a host's waiting questions changed.
 */
export const COMMANDS_CHANNEL = 'ccfleet_commands';

/** The channel a change to the fleet-wide governance (fleet_state) is announced on: `{key}` as JSON. */
export const FLEET_STATE_CHANNEL = 'ccfleet_fleet_state';

const held = HELD_STATUSES.map(status => `'${status}'`).join(', ');

export const PG_MIGRATIONS: readonly Migration[] = [
	{
		version: 1,
		description: 'tasks with their holder and placement, hosts, claim history, schedules and runs, fleet-wide state',
		sql: `
			CREATE TABLE tasks (
				seq bigserial PRIMARY KEY,
				id text NOT NULL UNIQUE,
				prompt text NOT NULL,
				cwd text NOT NULL,
				priority text NOT NULL,
				status text NOT NULL,
				permission_mode text NOT NULL,
				model text,
				timeout_ms double precision NOT NULL,
				session_id text NOT NULL,
				created_at double precision NOT NULL,
				updated_at double precision NOT NULL,
				started_at double precision,
				ended_at double precision,
				attempts integer NOT NULL,
				has_exit_code smallint NOT NULL DEFAULT 0 CHECK (has_exit_code IN (0, 1)),
				exit_code integer,
				result text,
				failure_reason text,
				cancelled_by text,
				cost_usd double precision NOT NULL,
				tokens_input double precision NOT NULL,
				tokens_output double precision NOT NULL,
				tokens_cache_read double precision NOT NULL,
				tokens_cache_creation double precision NOT NULL,
				worker_pid integer,
				worker_start_time double precision,
				resume_pending smallint CHECK (resume_pending IN (0, 1)),
				parent_task_id text,
				retry_of text,
				max_output_bytes double precision,
				max_budget_usd double precision,
				mode text NOT NULL DEFAULT 'pty',
				depends_on jsonb,
				continue_from text,
				on_dependency_failure text,
				checkpoint jsonb,
				role text,
				isolation text,
				merge_strategy text,
				worktree jsonb,
				merge jsonb,
				parked_until double precision,
				allow_rules jsonb,
				deny_rules jsonb,
				answers jsonb,
				base_branch text,
				verify_command text,
				workflow jsonb,
				-- The host that holds the task (claimed it, runs it), or last held it once it ended; NULL: free to claim.
				host_id text,
				-- The holder's claim lapses then unless its heartbeat renews it; another host then takes the task over.
				lease_until timestamptz,
				claimed_at timestamptz,
				-- Placement: only this host, or only a host with this label, may claim it.
				pin_host text,
				pin_label text,
				CHECK (has_exit_code = 1 OR exit_code IS NULL),
				CHECK ((worker_pid IS NULL) = (worker_start_time IS NULL)),
				CHECK (host_id IS NOT NULL OR lease_until IS NULL)
			);
			CREATE INDEX tasks_status ON tasks (status);
			-- What claim() scans: free queued tasks in running order.
			CREATE INDEX tasks_claimable ON tasks (priority, created_at, seq) WHERE status = 'queued' AND host_id IS NULL;
			CREATE INDEX tasks_held ON tasks (host_id, lease_until) WHERE status IN (${held});

			CREATE TABLE hosts (
				id text PRIMARY KEY,
				labels text[] NOT NULL DEFAULT '{}',
				started_at timestamptz NOT NULL DEFAULT now(),
				heartbeat_at timestamptz NOT NULL DEFAULT now(),
				stopped_at timestamptz
			);

			-- Who held a task when, and why it changed hands: claimed, released, lease-expired.
			CREATE TABLE task_claims (
				id bigserial PRIMARY KEY,
				task_id text NOT NULL,
				host_id text NOT NULL,
				event text NOT NULL,
				at timestamptz NOT NULL DEFAULT now(),
				detail text
			);
			CREATE INDEX task_claims_task ON task_claims (task_id, id);

			CREATE TABLE schedules (
				seq bigserial PRIMARY KEY,
				id text NOT NULL UNIQUE,
				kind text NOT NULL,
				cron text,
				run_at double precision,
				timezone text NOT NULL,
				missed_run_policy text NOT NULL,
				status text NOT NULL,
				task jsonb NOT NULL,
				next_run_at double precision,
				last_run_at double precision,
				created_at double precision NOT NULL,
				updated_at double precision NOT NULL,
				end_reason text,
				pipeline_id text,
				pipeline_step integer,
				pipeline_steps integer,
				pipeline_delay_ms double precision,
				CHECK ((pipeline_id IS NULL) = (pipeline_step IS NULL))
			);
			CREATE INDEX schedules_status ON schedules (status);
			CREATE INDEX schedules_pipeline ON schedules (pipeline_id, pipeline_step) WHERE pipeline_id IS NOT NULL;
			CREATE TABLE schedule_runs (
				id bigserial PRIMARY KEY,
				schedule_id text NOT NULL REFERENCES schedules (id),
				scheduled_for double precision NOT NULL,
				fired_at double precision NOT NULL,
				task_id text,
				outcome text NOT NULL,
				ended_at double precision,
				missed_count integer,
				detail text,
				-- The host whose scheduler fired it (the leader then).
				fired_by text
			);
			CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, id);
			CREATE INDEX schedule_runs_started ON schedule_runs (id) WHERE outcome = 'started';

			-- Fleet-wide governance, one row per kind: 'usage-limit' {until, kind}, and whatever else every host must agree on.
			CREATE TABLE fleet_state (
				key text PRIMARY KEY,
				value jsonb NOT NULL,
				updated_at timestamptz NOT NULL DEFAULT now(),
				updated_by text
			);

			-- Every change to a task gets the next number of one fleet-wide sequence (a heartbeat's lease renewal is no
			-- change): a mirror keeps a row only if its number is newer than the one it has (reads can race its own
			-- writes), and tools can read what changed lately.
			CREATE SEQUENCE tasks_change_seq;
			ALTER TABLE tasks ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('tasks_change_seq');
			CREATE INDEX tasks_by_change ON tasks (change_seq);
			CREATE FUNCTION ccfleet_number_task_change() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF (to_jsonb(NEW) - 'lease_until' - 'change_seq') IS DISTINCT FROM (to_jsonb(OLD) - 'lease_until' - 'change_seq') THEN
					NEW.change_seq := nextval('tasks_change_seq');
				END IF;
				RETURN NEW;
			END
			$$;
			CREATE TRIGGER tasks_number_change BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION ccfleet_number_task_change();
			-- ...and reaches the other hosts at once.
			CREATE FUNCTION ccfleet_notify_task() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP = 'UPDATE' AND NEW.change_seq = OLD.change_seq THEN
					RETURN NULL;
				END IF;
				PERFORM pg_notify(
					'${TASKS_CHANNEL}',
					json_build_object('id', NEW.id, 'status', NEW.status, 'host', NEW.host_id, 'op', lower(TG_OP), 'seq', NEW.change_seq)::text
				);
				RETURN NULL;
			END
			$$;
			CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION ccfleet_notify_task();
			-- Schedules and runs are few and change seldom: each change is announced, and readers fetch the row.
			CREATE FUNCTION ccfleet_notify_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				PERFORM pg_notify('${SCHEDULES_CHANNEL}', json_build_object('table', TG_TABLE_NAME, 'id', NEW.id)::text);
				RETURN NULL;
			END
			$$;
			CREATE TRIGGER schedules_notify AFTER INSERT OR UPDATE ON schedules FOR EACH ROW EXECUTE FUNCTION ccfleet_notify_schedule();
			CREATE TRIGGER schedule_runs_notify AFTER INSERT OR UPDATE ON schedule_runs FOR EACH ROW EXECUTE FUNCTION ccfleet_notify_schedule();
		`,
	},
	{
		version: 2,
		description: 'one firing per schedule and due time across the fleet',
		sql: `
			-- The leader's scheduler claims each due time here before it fires it: a leader whose session died may not know
			-- it yet while the next one leads, and the primary key lets only one of them fire.
			CREATE TABLE schedule_firings (
				schedule_id text NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
				due_at double precision NOT NULL,
				host_id text NOT NULL,
				claimed_at timestamptz NOT NULL DEFAULT now(),
				PRIMARY KEY (schedule_id, due_at)
			);
		`,
	},
	{
		version: 3,
		description: "commands to the host that holds a task, and every host's waiting permission questions",
		sql: `
			-- A change to a task another host holds (cancel, reprioritise, depend, answer): its holder takes it, carries it
			-- out through its own fleet and writes the outcome, which the sender waits for.
			CREATE TABLE task_commands (
				id bigserial PRIMARY KEY,
				target_host text NOT NULL,
				task_id text,
				kind text NOT NULL,
				payload jsonb NOT NULL,
				requested_by text NOT NULL,
				created_at timestamptz NOT NULL DEFAULT now(),
				taken_at timestamptz,
				done_at timestamptz,
				-- {ok: true, tasks} or {ok: false, message}: the holder's answer, or the sender's giving up.
				outcome jsonb
			);
			CREATE INDEX task_commands_pending ON task_commands (target_host, id) WHERE done_at IS NULL;
			CREATE FUNCTION ccfleet_notify_command() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				PERFORM pg_notify(
					'${COMMANDS_CHANNEL}',
					json_build_object('table', 'task_commands', 'id', NEW.id, 'host', NEW.target_host, 'done', NEW.done_at IS NOT NULL)::text
				);
				RETURN NULL;
			END
			$$;
			CREATE TRIGGER task_commands_notify AFTER INSERT OR UPDATE OF done_at ON task_commands FOR EACH ROW EXECUTE FUNCTION ccfleet_notify_command();

			-- The permission questions each host's workers wait on, for every host's inbox; a host replaces its own.
			CREATE TABLE pending_questions (
				task_id text PRIMARY KEY,
				host_id text NOT NULL,
				question jsonb NOT NULL,
				asked_at double precision NOT NULL,
				context jsonb NOT NULL DEFAULT '[]'
			);
			CREATE INDEX pending_questions_host ON pending_questions (host_id);
			CREATE FUNCTION ccfleet_notify_questions() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				PERFORM pg_notify('${COMMANDS_CHANNEL}', json_build_object('table', 'pending_questions')::text);
				RETURN NULL;
			END
			$$;
			CREATE TRIGGER pending_questions_notify AFTER INSERT OR UPDATE OR DELETE ON pending_questions FOR EACH STATEMENT EXECUTE FUNCTION ccfleet_notify_questions();
		`,
	},
	{
		version: 4,
		description: 'announce changes to the fleet-wide governance',
		sql: `
			-- A usage limit one host notes reaches every host at once, instead of at their next read.
			CREATE FUNCTION ccfleet_notify_fleet_state() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				PERFORM pg_notify('${FLEET_STATE_CHANNEL}', json_build_object('key', NEW.key)::text);
				RETURN NULL;
			END
			$$;
			CREATE TRIGGER fleet_state_notify AFTER INSERT OR UPDATE ON fleet_state FOR EACH ROW EXECUTE FUNCTION ccfleet_notify_fleet_state();
		`,
	},
];
