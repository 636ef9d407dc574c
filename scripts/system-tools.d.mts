// Types for system-tools.mjs, which test/helpers/processes.ts imports (the .mjs stays plain JavaScript for Node 18).
export type ToolName = 'redis-server' | 'redis-sentinel' | 'redis-cli' | 'chromium';

export interface Tool {
  /** The Debian package that brings it. */
  package: string;
  /** The environment variable that points the tests at another binary. */
  env: string;
  /** Looked up on PATH. */
  command?: string;
  /** A fixed path instead. */
  file?: string;
}

export const TOOLS: Record<ToolName, Tool>;
export const FONTS_PACKAGE: string;
export function onPath(command: string, searchPath?: string): string | undefined;
export function findTool(
  name: ToolName,
  env?: NodeJS.ProcessEnv,
): { path: string; problem?: undefined } | { path?: undefined; problem: string };
export function isRoot(): boolean;
export function installCommand(packages: readonly string[], root?: boolean): string;
export function missingToolMessage(name: ToolName, problem: string, root?: boolean): string;
