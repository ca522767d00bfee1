import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const json = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

/** nest-cli.json is the workspace's map for Nest's generators: it must list exactly the apps and libs there are. */
describe('the workspace description', () => {
  const nest = json('nest-cli.json') as { projects: Record<string, { type: string; root: string; sourceRoot: string; entryFile: string }> };
  const paths = (json('tsconfig.json') as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;

  it('has a project for every app and lib folder, and none for a folder that is gone', () => {
    const folders = ['apps', 'libs'].flatMap((kind) => readdirSync(join(root, kind)).map((name) => `${kind}/${name}`));
    expect(Object.values(nest.projects).map((p) => p.root).sort()).toEqual(folders.sort());
  });

  it('points each project at an entry file that exists, and each lib at its @connector path', () => {
    for (const [name, project] of Object.entries(nest.projects)) {
      expect({ name, entry: existsSync(join(root, project.sourceRoot, `${project.entryFile}.ts`)) }).toEqual({ name, entry: true });
      if (project.type === 'library') expect({ name, path: paths[`@connector/${name}`] }).toEqual({ name, path: [project.sourceRoot] });
    }
  });
});
