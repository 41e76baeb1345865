// Longer than ~300 lines for a reason: it is data, each command's help text and flags in one table, so that the
// help a person reads and the flags meow parses cannot drift apart; there is no logic to split along.
/** Every command's help and flags, for meow. Plain data: the bridge (`ccfleet mcp`) loads it too. */

export const MAIN_HELP = `
  ccfleet — a fleet of background Claude Code workers on this machine

  Usage
    $ ccfleet                         the dashboard (starts a background core if none runs)
    $ ccfleet delegate <prompt>       hand a task to a worker
    $ ccfleet status [id]             all tasks, or one in full
    $ ccfleet logs <id>               what a worker did
    $ ccfleet cancel <id> [reason]    cancel a queued or running task
    $ ccfleet schedule <subcommand>   run a task later or on a cron schedule (create, list, get, pause, resume, cancel)
    $ ccfleet pipeline <p1> <p2> …    run prompts one after another, with --delay between them
    $ ccfleet workflow <name> <goal>  a workflow of role tasks (feature, bug-fix, refactor, code-review); list, cancel
    $ ccfleet retry <id>              run a finished task again from scratch
    $ ccfleet resume <id> [context]   continue a finished task's conversation
    $ ccfleet respond <id> approve|deny [why]|text <text>   answer a worker that waits
    $ ccfleet inbox                   every permission question waiting, oldest first; answer many at once
    $ ccfleet worktrees [prune]       worktrees and branches isolated tasks left; remove finished ones
    $ ccfleet wait <id>...            wait until tasks end
    $ ccfleet attach <id>             a worker's own screen, keys passed through; Ctrl-] detaches
    $ ccfleet configure               the running core's limits (workers, CPU, memory, daily budget); change them
    $ ccfleet doctor                  check claude, the login, the state directory, the database, the socket, disk and resources
    $ ccfleet stop [--cancel-running] stop the background core; running tasks resume on the next start
    $ ccfleet mcp                     the MCP server on stdio, for Claude Code
    $ ccfleet serve --http <addr>     run the core serving MCP, a REST API and the page over HTTP (see ccfleet serve --help)
    $ ccfleet token create|list|revoke   the bearer tokens of the HTTP API
    $ ccfleet --daemon                run the core headless (for servers and systemd)
    $ ccfleet --demo                  the dashboard on a mock API with scripted tasks: no account needed,
                                      nothing leaves this machine, everything is removed on quit

  Run \`ccfleet <command> --help\` for a command's options.

  Environment
    CCFLEET_HOME              state directory (default \${XDG_STATE_HOME:-~/.local/state}/ccfleet)
    CCFLEET_MAX_WORKERS       a ceiling on workers at once (default: none; the machine's CPU and memory decide)
    CPU_THRESHOLD             no worker starts while CPU load is at or above this % (default 80; also CCFLEET_CPU_THRESHOLD)
    MEMORY_RESERVE            memory always left free; a worker starts only if the rest fits it (default 1GB;
                              also CCFLEET_MEMORY_RESERVE)
    CCFLEET_WORKER_MAX_RSS    a worker whose processes grow past this is recycled: stopped, then resumed from its
                              conversation (default 4GB)
    CCFLEET_DAILY_BUDGET_USD  no new task starts once this much was spent since midnight (default: none)
    TASK_TIMEOUT              per-task timeout (default 30m)
    MAX_OUTPUT_BUFFER         per-task log cap (default 10MB)
    CCFLEET_PERMISSION_MODE   workers' claude --permission-mode (default acceptEdits)
    CCFLEET_MODE              pty or headless workers (default pty)
    CCFLEET_MAX_ATTEMPTS      runs a task gets after rate limits or crashes (default 3)
    CCFLEET_RETRY_BASE        first pause before such a retry, doubling each time (default 10s)
    CCFLEET_CLAUDE_BIN        the claude to run (default: claude on PATH, else the bundled one)
    LOG_LEVEL                 debug, info, warn, error (default info)
    CCFLEET_HTTP              host:port: every core start also serves HTTP there (as ccfleet serve --http; default off);
                              with CCFLEET_HTTP_HOST_NAMES, CCFLEET_TLS_CERT, CCFLEET_TLS_KEY, CCFLEET_HTTP_INSECURE=1

  Several hosts sharing one fleet (see the README's "Several hosts")
    CCFLEET_DATABASE_URL      postgres://user:password@host:5432/database, the same on every host (default: none, this
                              machine's own SQLite in CCFLEET_HOME)
    CCFLEET_HOST_ID           this host's id in the fleet, unique and the same at every start (default: the hostname)
    CCFLEET_HOST_LABELS       comma list of labels tasks can ask for with --label, e.g. gpu,big-ram (default: none)
    CCFLEET_LEASE_MS          how long a host that stopped answering keeps its tasks before others take them over
                              (default 15000)
`;

export type CommandSpec = {
	/** The line above the help: what the command does (the package's tagline is only on the main help). */
	description?: string;
	help: string;
	flags: Record<string, {type: 'string' | 'boolean' | 'number'; shortFlag?: string; default?: unknown; isMultiple?: boolean}>;
	/** Takes every task setting as a flag, made from the task spec; its help has them where it says TASK_OPTIONS. */
	taskFlags?: boolean;
};

export const COMMANDS: Record<string, CommandSpec> = {
	delegate: {
		description: 'ccfleet delegate — hand a task to a background Claude Code worker',
		help: `
  Usage
    $ ccfleet delegate <prompt>
    $ ccfleet delegate --file task.md
    $ git diff | ccfleet delegate "Review these changes"

  Options
TASK_OPTIONS
    --file, -f <path>        read the prompt (or more of it) from a file
    --wait, -w               stay until the task ends, with a live progress line; print its result after the id
    --json                   print the task as JSON
    --no-stdin               do not read the prompt from stdin even when it is not a terminal

  Prints the task's id alone on stdout (its status goes to stderr), so that ID=$(ccfleet delegate …) works.
`,
		taskFlags: true,
		flags: {
			file: {type: 'string', shortFlag: 'f'},
			wait: {type: 'boolean', shortFlag: 'w', default: false},
			json: {type: 'boolean', default: false},
			stdin: {type: 'boolean'},
		},
	},
	status: {
		help: `
  Usage
    $ ccfleet status          the most recent tasks
    $ ccfleet status <id>     one task in full: status, result, failure reason, cost

  Options
    --all     up to 1000 tasks instead of 30
    --json    print JSON
`,
		flags: {json: {type: 'boolean', default: false}, all: {type: 'boolean', default: false}},
	},
	logs: {
		help: `
  Usage
    $ ccfleet logs <id>

  Options
    --tail, -n <N>   only the last N lines
    --follow, -f     keep printing new output until the task ends
`,
		flags: {tail: {type: 'number', shortFlag: 'n'}, follow: {type: 'boolean', shortFlag: 'f', default: false}},
	},
	cancel: {
		help: `
  Usage
    $ ccfleet cancel <id> [reason]

  Stops a running task's whole process tree, or takes a queued task off the queue. The reason is kept.
  A workflow's id (wf-…) cancels every step of it not yet ended.
`,
		flags: {},
	},
	retry: {
		help: `
  Usage
    $ ccfleet retry <id>

  Runs a completed, failed or cancelled task again from scratch, as a new task with the same prompt and settings.

  Options
    --json    print the new task as JSON
`,
		flags: {json: {type: 'boolean', default: false}},
	},
	resume: {
		help: `
  Usage
    $ ccfleet resume <id> [what to do next]

  Continues a finished task as a new task: its Claude conversation is resumed (claude --resume) when it is on
  disk, with your words as the next message; otherwise a fresh worker is told the task and its outcome.

  Options
    --json    print the new task as JSON
`,
		flags: {json: {type: 'boolean', default: false}},
	},
	respond: {
		help: `
  Usage
    $ ccfleet respond <id> approve
    $ ccfleet respond <id> deny [why]
    $ ccfleet respond <id> text <what to type>

  Answers the permission question of a worker in needs_input (see \`ccfleet inbox\`), or types into it.

  Options
    --always task|project   with approve: keep a rule so the same call passes without asking next time,
                            for this task or for every task in its directory (kept in CCFLEET_HOME/policy.json)
`,
		flags: {always: {type: 'string'}},
	},
	inbox: {
		help: `
  Usage
    $ ccfleet inbox                                  every question waiting, oldest first, with context
    $ ccfleet inbox approve <rule> [--always task|project]
    $ ccfleet inbox deny <rule> [why]

  A rule names the calls to answer in Claude Code's permission syntax: 'Bash(npm test:*)', 'Edit(src/**)',
  'WebFetch(domain:docs.example.com)'. Every waiting question it covers is answered alike.

  Rules that answer questions before anyone is asked live in CCFLEET_HOME/policy.json and in a project's
  .ccfleet/policy.json: {"permissions": {"allow": [...], "deny": [...], "ask": [...]}}; per task: --allow, --deny.

  Options
    --always task|project   with approve: also keep the rule for next time
    --json                  the questions as JSON
`,
		flags: {always: {type: 'string'}, json: {type: 'boolean', default: false}},
	},
	worktrees: {
		help: `
  Usage
    $ ccfleet worktrees                    worktrees and branches isolated tasks left: task, state, branch
    $ ccfleet worktrees prune [--unmerged] remove finished tasks' leftovers

  A task run with --isolation worktree works on branch ccfleet/<id> in a worktree of its own. When it ends, the
  worktree is removed and the branch is settled by its --merge-strategy: manual and patch keep the branch; auto lands
  it on the base branch through the merge queue (rebased, verified with --verify or \`git config ccfleet.verify\`)
  and deletes it; pr pushes it and opens a pull request with gh. A branch is deleted only once its work is merged.

  Options
    --unmerged   with prune: delete unmerged branches too (their work is lost)
    --json       as JSON
`,
		flags: {unmerged: {type: 'boolean', default: false}, json: {type: 'boolean', default: false}},
	},
	wait: {
		help: `
  Usage
    $ ccfleet wait <id>...

  Waits until the tasks end, with a live progress line, and prints each outcome. Exits 1 unless all completed.

  Options
    --json    print the tasks as JSON
`,
		flags: {json: {type: 'boolean', default: false}},
	},
	schedule: {
		taskFlags: true,
		help: `
  Usage
    $ ccfleet schedule create <prompt> --cron "<5 fields>" [options]   recurring
    $ ccfleet schedule create <prompt> --at <ISO 8601 time> [options]  once
    $ ccfleet schedule list [--status active,paused] [--json]
    $ ccfleet schedule get <id> [--runs N] [--json]                   the schedule and its run history
    $ ccfleet schedule pause <id>
    $ ccfleet schedule resume <id>                  a cron schedule goes on from now; missed runs are not made up
    $ ccfleet schedule cancel <id> [reason]         a task it already started goes on (ccfleet cancel stops that)

  Schedules are kept by the ccfleet core (the daemon or the dashboard) and survive restarts; with several hosts on one
  PostgreSQL they are kept in the database, and one host fires them for the whole fleet.
  A run never starts while the previous run of the same schedule is still working.

  Options (create)
    --cron <expr>                 minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5", "*/30 * * * *"
    --at <time>                   2026-03-08T09:00 (in --timezone), 2026-03-08T14:00:00Z, 2026-03-08T09:00-05:00
    --timezone <IANA zone>        e.g. Europe/Berlin, America/New_York, UTC (default: this machine's)
    --missed-run-policy <policy>  runs missed while ccfleet was down: skip (default), catchup (one run for them), fail
TASK_OPTIONS
    --file, -f <path>             read the prompt (or more of it) from a file
    --json                        print JSON

  Examples
    $ ccfleet schedule create "Run the test suite and report failures" --cron "0 7 * * 1-5" --timezone Europe/Berlin
    $ ccfleet schedule create "Write the release notes" --at 2026-03-08T17:00 --missed-run-policy catchup
`,
		flags: {
			cron: {type: 'string'},
			at: {type: 'string'},
			timezone: {type: 'string'},
			missedRunPolicy: {type: 'string'},
			file: {type: 'string', shortFlag: 'f'},
			status: {type: 'string'},
			runs: {type: 'number'},
			json: {type: 'boolean', default: false},
		},
	},
	pipeline: {
		taskFlags: true,
		help: `
  Usage
    $ ccfleet pipeline "<prompt 1>" "<prompt 2>" … [--delay 5m] [options]

  Runs the steps one after another: the first starts now, each next one --delay after the step before it
  completes. If a step fails or is cancelled, the steps after it are cancelled. Each step is a one-time
  schedule: see them with ccfleet schedule list.

  Options
    --delay <duration>           wait between a step completing and the next starting: 30s, 5m, 1h (default 0)
TASK_OPTIONS
    --json                       print JSON
`,
		flags: {
			delay: {type: 'string'},
			json: {type: 'boolean', default: false},
		},
	},
	workflow: {
		taskFlags: true,
		help: `
  Usage
    $ ccfleet workflow <template> "<goal>" [options]   start one: a task per step, each after its dependencies
    $ ccfleet workflow list [--json]                   the templates, their steps and roles; files that cannot be used
    $ ccfleet workflow cancel <id> [reason]            cancel every step of workflow <id> (wf-…) not yet ended

  Built in: feature (design → implement → test and document → review), bug-fix, refactor, code-review.
  Each step is a task in a role; it starts once the steps it depends on completed, and its prompt carries the
  goal and what each of them left (result, git state, last output lines). \`ccfleet status\` shows each step.

  Your own templates: \${XDG_CONFIG_HOME:-~/.config}/ccfleet/workflows/<name>.yaml (or .json); one of a built-in's
  name replaces it. Your own roles: …/ccfleet/roles/<name>.yaml ({title, prompt}) or <name>.md (the instructions).
    description: Ship a release
    steps:
      - {id: build, role: implementer, prompt: "Build {{goal}}"}
      - {id: audit, role: reviewer, prompt: "Audit the build", dependsOn: [build], model: opus}

  Options
TASK_OPTIONS
    --file, -f <path>        read the goal (or more of it) from a file
    --wait, -w               stay until every step ended, and print each outcome
    --json                   print JSON
  The task options apply to every step; a step's own setting in the template wins (--role and the
  dependencies are each step's own).
`,
		flags: {
			file: {type: 'string', shortFlag: 'f'},
			wait: {type: 'boolean', shortFlag: 'w', default: false},
			json: {type: 'boolean', default: false},
		},
	},
	configure: {
		help: `
  Usage
    $ ccfleet configure                         the limits in force, and what was spent today
    $ ccfleet configure --daily-budget 40       raise the daily budget: held tasks start at once
    $ ccfleet configure --max-workers none --cpu-threshold 90 --memory-reserve 2GB

  Changes the running core's limits until it stops (the environment sets them at start).

  Options
    --max-workers <n|none>      a ceiling on workers at once, or none (the machine decides)
    --cpu-threshold <percent>   no new worker starts while CPU load is at or above this (above 0, at most 100)
    --memory-reserve <size>     memory always left free: 512MB, 2GB, 0
    --worker-max-rss <size>     a worker whose processes grow past this is recycled (at least 64MB)
    --daily-budget <usd|none>   no new task starts once this much was spent since midnight
    --json                      print JSON
`,
		flags: {
			maxWorkers: {type: 'string'},
			cpuThreshold: {type: 'string'},
			memoryReserve: {type: 'string'},
			workerMaxRss: {type: 'string'},
			dailyBudget: {type: 'string'},
			json: {type: 'boolean', default: false},
		},
	},
	serve: {
		description: 'ccfleet serve — run the core and serve the fleet over HTTP: MCP at /mcp, a REST API, the page',
		help: `
  Usage
    $ ccfleet serve --http 127.0.0.1:7777
    $ ccfleet serve --http 0.0.0.0:7777 --tls-cert cert.pem --tls-key key.pem --host-name fleet.example.ts.net

  Runs the core in the foreground (as ccfleet --daemon does) and serves HTTP beside its socket, until Ctrl-C or
  ccfleet stop. Every request needs a token (ccfleet token create --name <name>) as Authorization: Bearer <token>,
  except the page itself, which asks for one. A core that already runs must be stopped first; CCFLEET_HTTP makes
  every core start serve HTTP instead. Safest from a phone: an SSH tunnel or Tailscale to a loopback address.

  Options
    --http <host:port>     where to listen (127.0.0.1:7777: this machine only)
    --host-name <name>     a name clients reach this machine by (Host and Origin are checked); repeatable
    --tls-cert <pem>       serve HTTPS with this certificate (with --tls-key); needed beyond loopback
    --tls-key <pem>        the certificate's private key
    --insecure             plain HTTP beyond loopback anyway (tokens cross the network in clear)
`,
		flags: {
			http: {type: 'string'},
			hostName: {type: 'string', isMultiple: true},
			tlsCert: {type: 'string'},
			tlsKey: {type: 'string'},
			insecure: {type: 'boolean', default: false},
		},
	},
	token: {
		description: 'ccfleet token — the bearer tokens of the HTTP API',
		help: `
  Usage
    $ ccfleet token create --name phone [--read-only]   prints a new token once (stored only as a hash)
    $ ccfleet token list                                 the tokens' names, access and age
    $ ccfleet token revoke phone                         requests with it get 401 from now on

  A read-only token can look (status, logs, events) but gets 403 on anything that changes the fleet.

  Options
    --name <name>    the token's name (letters, digits, . _ -)
    --read-only      the token can only read
    --json           list as JSON
`,
		flags: {
			name: {type: 'string'},
			readOnly: {type: 'boolean', default: false},
			json: {type: 'boolean', default: false},
		},
	},
	stop: {
		description: 'ccfleet stop — stop the background core of this state directory',
		help: `
  Usage
    $ ccfleet stop
    $ ccfleet stop --cancel-running

  Stops the core (the daemon or the dashboard's background core) and waits until it has exited. Its running tasks
  are parked: they resume, with their conversations, the next time a core starts (ccfleet, or any ccfleet command).
  With several hosts on one PostgreSQL, only this host's own running tasks: they resume on this host's next start, or
  on another host once its lease (CCFLEET_LEASE_MS) runs out; other hosts' tasks go on there.

  Options
    --cancel-running   cancel this host's running tasks instead, so that nothing resumes
`,
		flags: {cancelRunning: {type: 'boolean', default: false}},
	},
	doctor: {
		description: 'ccfleet doctor — check that this machine can run the fleet, and say what to fix',
		help: `
  Usage
    $ ccfleet doctor

  Checks the claude binary and its version, a login (API key or subscription), the state directory and its modes,
  the database's integrity, the socket, disk space and the resources the fleet may use. Each check prints ok, warn
  or fail, and what to do when it is not ok. Exits 1 when a check failed.

  Options
    --json    print the checks as JSON
`,
		flags: {json: {type: 'boolean', default: false}},
	},
	attach: {
		help: `
  Usage
    $ ccfleet attach <id>

  Shows a running worker's own claude screen in this terminal and passes your keys straight to it, as if
  you had started claude yourself. Ctrl-] detaches and leaves the worker running. (pty workers only.)
`,
		flags: {},
	},
	mcp: {
		help: `
  Usage
    $ ccfleet mcp                     the MCP server on stdin/stdout (what Claude Code runs)
    $ ccfleet mcp config [--json]     how to add it to Claude Code: claude mcp add, .mcp.json, the permission
    $ ccfleet mcp install [--scope user|project|local]
                                      add it with claude mcp add-json and allow mcp__ccfleet in settings

  \`ccfleet mcp\` passes MCP to the ccfleet core (started in the background if none runs).

  Options
    --json                  (config) print it all as JSON
    --scope <scope>         (install) user: every project (default); project: .mcp.json here; local: only you, here
`,
		flags: {json: {type: 'boolean', default: false}, scope: {type: 'string'}},
	},
};
