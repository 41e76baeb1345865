import {render} from 'ink';
import type {Config} from '../config.js';
import {connectFleet} from '../cli/client.js';
import {TaskBoard} from './task-board.js';

/** `ccfleet`: the dashboard, a client of the core (started in the background if none runs). */
export async function runDashboard(config: Config): Promise<number> {
	const fleet = await connectFleet(config, {name: 'ccfleet-dashboard'});
	const app = render(<TaskBoard fleet={fleet} home={config.home} />, {exitOnCtrlC: true});
	await app.waitUntilExit();
	await fleet.close();
	return 0;
}
