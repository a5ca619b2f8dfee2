// `pipeline schema [FILE]`: the JSON Schema (draft-07) of pipeline files as written, for editors
// (yaml-language-server: `# yaml-language-server: $schema=../pipeline.schema.json`). The repo's
// pipeline.schema.json is this command's output (a test keeps it so). With FILE, the stage types
// loading FILE gives are in it too.
import { writeFileSync } from 'node:fs';
import type { Command } from '#commander';
import type { Registry } from '../sdk/stage.js';
import { registryFor } from './stages-command.js';

export function registerSchemaCommand(program: Command, stages: () => Promise<Registry>): void {
  program
    .command('schema [file]')
    .description(
      'print the JSON Schema of pipeline files, for editors (yaml-language-server: `# yaml-language-server: $schema=PATH`); with FILE, also the stage types FILE uses',
    )
    .option('-o, --output <file>', 'write the schema to this file instead of printing it')
    .action(async (file: string | undefined, flags: { output?: string }) => {
      try {
        const { editorSchemaText } = await import('../config/editor-schema.js');
        const text = editorSchemaText(await registryFor(file, stages));
        if (flags.output) {
          writeFileSync(flags.output, text);
          console.error(`wrote ${flags.output}`);
        } else process.stdout.write(text);
      } catch (err) {
        process.exitCode = (await import('./common.js')).reportError(err);
      }
    });
}
