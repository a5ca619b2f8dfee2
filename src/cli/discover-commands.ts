// Discoverability: `pipeline stages` (what stage types exist and what they take) and
// `pipeline schema` (the JSON Schema editors check pipeline files with).
import type { Command } from '#commander';
import type { Registry } from '../sdk/stage.js';
import { registerSchemaCommand } from './schema-command.js';
import { registerStagesCommand } from './stages-command.js';

export function registerDiscoverCommands(program: Command, stages: () => Promise<Registry>): void {
  registerStagesCommand(program, stages);
  registerSchemaCommand(program, stages);
}
