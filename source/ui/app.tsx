import {Box, Text, useApp, useInput, type Key} from 'ink';
import {useCallback, useMemo} from 'react';
import {useStore} from 'zustand';
import {ConfirmDialog} from './components/confirm-dialog.js';
import {DagPane} from './components/dag-pane.js';
import {Header} from './components/header.js';
import {HelpOverlay} from './components/help-overlay.js';
import {InboxView} from './components/inbox-view.js';
import {LimitsForm} from './components/limits-form.js';
import {NewTaskForm} from './components/new-task-form.js';
import {OutputPane} from './components/output-pane.js';
import {QueuePane} from './components/queue-pane.js';
import {SchedulesPane} from './components/schedules-pane.js';
import {StatusBar} from './components/status-bar.js';
import {TaskDetails} from './components/task-details.js';
import {WorkersPane} from './components/workers-pane.js';
import {createController, type QuitChoice} from './controller.js';
import type {FleetSource} from './fleet-source.js';
import type {ActionResults} from './fleet-sync.js';
import {usePaneContent} from './hooks/use-pane-content.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {computeLayout, MIN_COLUMNS, MIN_ROWS} from './layout.js';
import type {DashboardStore} from './store.js';
import {StoreProvider} from './store-context.js';
import {COLOR_THEME, ThemeContext, type Theme} from './theme.js';

export type AppProps = {
	store: DashboardStore;
	source: FleetSource;
	/** Where actions' answers go (the fleet sync, in order with what the core pushes); default straight into the store. */
	results?: ActionResults;
	defaultCwd: string;
	homeDirectory?: string;
	theme?: Theme;
	/** Overrides the terminal's size (tests: ink-testing-library's stdout has no rows). */
	columns?: number;
	rows?: number;
	/** Called with how the person quit, just before the app exits. */
	onQuit?: (choice: QuitChoice) => void;
	/** Called with the task to attach to, just before the app exits to hand over the terminal. */
	onAttach?: (taskId: string) => void;
};

/** The dashboard: header, panes (or an overlay), status bar; sized to the terminal and driven by the keyboard. */
export function App({store, source, results, defaultCwd, homeDirectory, theme = COLOR_THEME, columns, rows, onQuit, onAttach}: AppProps) {
	const {exit} = useApp();
	const size = useTerminalSize();
	const controller = useMemo(
		() =>
			createController({
				store,
				source,
				defaultCwd,
				...(results ? {results} : {}),
				...(homeDirectory ? {homeDirectory} : {}),
				exit(choice) {
					onQuit?.(choice);
					exit();
				},
				...(onAttach
					? {
							attach(taskId: string) {
								onAttach(taskId);
								exit();
							},
						}
					: {}),
			}),
		[store, source, results, defaultCwd, homeDirectory, onQuit, onAttach, exit],
	);
	const handleInput = useCallback((input: string, key: Key) => controller.handleKey(input, key), [controller]);
	useInput(handleInput);
	const mode = useStore(store, state => state.mode.kind);
	const focus = useStore(store, state => state.focus);
	const view = useStore(store, state => state.view);
	const paneContent = usePaneContent(store);
	const layout = computeLayout(columns ?? size.columns, rows ?? size.rows, paneContent);

	if (layout.isTooSmall) {
		// The quit question still has to be answerable, or q would seem to do nothing.
		return (
			<ThemeContext.Provider value={theme}>
				<StoreProvider store={store}>
					<Box flexDirection="column" width={layout.columns} height={layout.height} overflow="hidden">
						<Text wrap="truncate-end">{`ccfleet needs ${MIN_COLUMNS}x${MIN_ROWS}; this terminal is ${layout.columns}x${layout.height + 1}. q quits.`}</Text>
						{mode === 'confirm' ? <ConfirmDialog width={layout.columns} height={layout.height - 1} /> : null}
					</Box>
				</StoreProvider>
			</ThemeContext.Provider>
		);
	}

	const {body} = layout;
	let content;
	switch (mode) {
		case 'help':
			content = <HelpOverlay width={body.width} height={body.height} />;
			break;
		case 'details':
			content = <TaskDetails width={body.width} height={body.height} />;
			break;
		case 'form':
			content = <NewTaskForm width={body.width} height={body.height} />;
			break;
		case 'limits':
			content = <LimitsForm width={body.width} height={body.height} />;
			break;
		case 'confirm':
			content = <ConfirmDialog width={body.width} height={body.height} />;
			break;
		case 'inbox':
			content = <InboxView width={body.width} height={body.height} />;
			break;
		case 'normal':
		case 'filter': {
			const lists = (
				<>
					<QueuePane width={layout.queue.width} height={layout.queue.height} isFocused={focus === 'queue'} />
					<WorkersPane width={layout.workers.width} height={layout.workers.height} isFocused={focus === 'workers'} />
				</>
			);
			const output = <OutputPane width={layout.output.width} height={layout.output.height} isFocused={focus === 'output'} />;
			const dag = <DagPane width={layout.dag.width} height={layout.dag.height} isFocused={focus === 'dag'} />;
			const schedules = <SchedulesPane width={layout.schedules.width} height={layout.schedules.height} isFocused={focus === 'schedules'} />;
			// A small terminal shows Output, DAG or Schedules in one place: the one focused last (see the help).
			const shared = view === 'dag' ? dag : view === 'schedules' ? schedules : output;
			content = layout.isWide ? (
				<Box flexDirection="column" width={body.width} height={body.height}>
					<Box flexDirection="row" width={body.width} height={body.height - layout.schedules.height}>
						<Box flexDirection="column" width={layout.queue.width}>
							{lists}
						</Box>
						<Box flexDirection="column" marginLeft={1} width={layout.output.width}>
							{output}
							{dag}
						</Box>
					</Box>
					{schedules}
				</Box>
			) : (
				<Box flexDirection="column" width={body.width} height={body.height}>
					{lists}
					{shared}
				</Box>
			);
			break;
		}
	}

	return (
		<ThemeContext.Provider value={theme}>
			<StoreProvider store={store}>
				<Box flexDirection="column" width={layout.columns} height={layout.height} overflow="hidden">
					<Header width={layout.columns} />
					<Box width={body.width} height={body.height} overflow="hidden">
						{content}
					</Box>
					<StatusBar width={layout.columns} />
				</Box>
			</StoreProvider>
		</ThemeContext.Provider>
	);
}
