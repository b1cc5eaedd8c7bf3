// Type checks of toolgate's real output against the official SDKs'
// TypeScript types: each check is a .ts file that assigns the JSON toolgate
// produced to a constant of the SDK's type, so the TypeScript compiler
// refuses a missing field, a field of the wrong type and (object literals
// being checked for excess properties) any field the SDK does not know.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A TypeScript declaration of `name` with `type` holding the JSON `value`. */
export function typed(name, type, value) {
  return `export const ${name}: ${type} = ${JSON.stringify(value, null, 2)};\n`;
}

/**
 * Runs `tsc --noEmit` (strict) over files, {name: source}, written to a
 * temporary folder inside e2e/ so that the SDKs resolve from node_modules.
 * Resolves {ok, output}.
 */
export function typecheck(files) {
  const dir = mkdtempSync(join(e2eDir, '.typecheck-'));
  try {
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
        skipLibCheck: true, types: [],
      },
      files: Object.keys(files),
    }));
    const tsc = join(e2eDir, 'node_modules', '.bin', 'tsc');
    const res = spawnSync(tsc, ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', timeout: 120000 });
    return { ok: res.status === 0, output: `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
