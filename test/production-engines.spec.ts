import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { minVersion, satisfies } from 'semver';
import { engines } from '../package.json';

interface Installed {
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, Installed>;
}

/** Every package of the production tree, as `npm ls` resolves it, once each. */
function productionTree(): Map<string, Installed> {
  const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const found = new Map<string, Installed>();
  const walk = (dependencies: Record<string, Installed> = {}) => {
    for (const [name, installed] of Object.entries(dependencies)) {
      const key = `${name}@${installed.version}`;
      if (found.has(key)) continue;
      found.set(key, installed);
      walk(installed.dependencies);
    }
  };
  walk((JSON.parse(listed) as Installed).dependencies);
  return found;
}

describe('the package on its oldest Node', () => {
  // `npm install --engine-strict` refuses a tree with one package that does not take the Node it runs on.
  it('has no production dependency whose engines refuse the lowest Node the package admits', () => {
    const oldest = minVersion(engines.node)!;
    const tree = productionTree();
    const refusing = [...tree]
      .filter(([, installed]) => installed.engines?.node !== undefined && !satisfies(oldest, installed.engines.node))
      .map(([key, installed]) => `${key} (node ${installed.engines!.node})`);
    expect(tree.size).toBeGreaterThan(50);
    expect(refusing).toEqual([]);
  });
});
