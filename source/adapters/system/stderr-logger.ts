import type {LogLevel} from '../../config.js';
import type {Logger} from '../../core/ports/logger.js';

const RANK: Record<LogLevel, number> = {debug: 0, info: 1, warn: 2, error: 3};

/** One line per entry on stderr: stdout belongs to command output and to the MCP bridge's protocol. */
export function createStderrLogger(level: LogLevel, write: (line: string) => void = line => process.stderr.write(line)): Logger {
	const log = (entryLevel: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
		if (RANK[entryLevel] < RANK[level]) return;
		const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
		write(`${new Date().toISOString()} ${entryLevel} ${message}${extra}\n`);
	};
	return {debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error')};
}
