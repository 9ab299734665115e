/** The source registry: one line per source component (`ratestream list sources`). */
import { spec as dropDir } from './drop-dir.ts';
import { spec as file } from './file.ts';
import { spec as http } from './http.ts';
import { spec as kafka } from './kafka.ts';
import type { SourceSpec } from './source.ts';
import { spec as stdin } from './stdin.ts';

export const SOURCES: readonly SourceSpec[] = [file, stdin, dropDir, http, kafka];
