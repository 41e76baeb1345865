import {Box, Text, useApp, useInput} from 'ink';
import {useEffect, useState} from 'react';
import type {FleetClient} from '../cli/client.js';
import {age, money, statusLabel} from '../cli/format.js';
import type {TaskView} from '../mcp/task-view.js';

const REFRESH_MS = 1000;
const STATUS_COLOR: Record<string, string> = {
	queued: 'gray',
	running: 'cyan',
	needs_input: 'yellow',
	completed: 'green',
	failed: 'red',
	cancelled: 'magenta',
};

/** The first face of the dashboard: the task list, refreshed from the core. The full dashboard replaces it. */
export function TaskBoard({fleet, home}: {fleet: FleetClient; home: string}) {
	const {exit} = useApp();
	const [tasks, setTasks] = useState<TaskView[]>([]);
	const [error, setError] = useState<string>();
	useInput(input => {
		if (input === 'q') exit();
	});
	useEffect(() => {
		let stopped = false;
		const refresh = async () => {
			try {
				const result = await fleet.call<{tasks: TaskView[]}>('task_status', {limit: 20});
				if (!stopped) {
					setTasks(result.tasks);
					setError(undefined);
				}
			} catch (failure) {
				if (!stopped) setError(failure instanceof Error ? failure.message : String(failure));
			}
		};
		void refresh();
		const timer = setInterval(() => void refresh(), REFRESH_MS);
		return () => {
			stopped = true;
			clearInterval(timer);
		};
	}, [fleet]);
	return (
		<Box flexDirection="column">
			<Text bold>ccfleet <Text dimColor>· {home} · q quits (the fleet keeps running)</Text></Text>
			{tasks.length === 0 ? <Text dimColor>No tasks yet. Hand one over with: ccfleet delegate "…"</Text> : null}
			{[...tasks].reverse().map(task => (
				<Text key={task.id} wrap="truncate-end">
					{task.id}  <Text color={STATUS_COLOR[task.status]}>{statusLabel(task).padEnd(11)}</Text>  {task.priority}  {age(task.createdAt).padStart(4)}  {money(task.costUsd).padStart(6)}  {task.prompt.replace(/\s+/g, ' ')}
				</Text>
			))}
			{error ? <Text color="red">{error}</Text> : null}
		</Box>
	);
}
