import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const SRC = resolve(__dirname, '../src');

interface Import {
  from: string;
  /** The imported file, relative to src/. */
  to: string;
  names: string[];
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of one src file by another, and whether it survives compilation (a value import). */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const found: Import[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    const target = resolve(dirname(file), specifier.text);
    if (!target.startsWith(SRC + sep)) continue;
    let names: string[] = [];
    let typeOnly: boolean;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : [];
      names = named.map((element) => element.name.text);
      typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && named.length > 0 && named.every((element) => element.isTypeOnly)));
    } else {
      typeOnly = statement.isTypeOnly;
    }
    found.push({ from: relative(SRC, file), to: relative(SRC, target), names, typeOnly });
  }
  return found;
}

const folderOf = (path: string) => (path.includes(sep) ? path.split(sep)[0] : '.');

const imports = sourceFiles(SRC).flatMap(importsOf);

/** Folder → the folders it imports values from. */
function valueGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const edge of imports) {
    const [from, to] = [folderOf(edge.from), folderOf(edge.to)];
    if (edge.typeOnly || from === to) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)!.add(to);
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]): string[] | null => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return null;
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return null;
}

describe('the module structure of src/', () => {
  it('reads the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(imports).toContainEqual(expect.objectContaining({ from: join('auth', 'auth.guard.ts'), to: join('auth', 'role') }));
  });

  it('has no import cycle between folders (type-only imports aside)', () => {
    expect(findCycle(valueGraph())).toBeNull();
  });

  it('keeps auth a leaf: it imports values only from common, config and rate-limit', () => {
    expect([...(valueGraph().get('auth') ?? [])].sort()).toEqual(['common', 'config', 'rate-limit']);
  });

  it('lets only billing read the plan table and its rules', () => {
    const readers = imports.filter(
      (edge) =>
        folderOf(edge.from) !== 'billing' &&
        ((edge.to === join('billing', 'plans') && edge.names.some((name) => ['PLANS', 'Plan'].includes(name))) ||
          edge.to === join('billing', 'plan-rules')),
    );
    expect(readers).toEqual([]);
  });

  it('lets only audit write audit events', () => {
    const writers = sourceFiles(SRC)
      .filter((file) => folderOf(relative(SRC, file)) !== 'audit')
      .filter((file) => /INSERT INTO audit_events|getRepository\(AuditEvent\)/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(writers).toEqual([]);
  });

  it('lets only webhooks touch the outbox, the endpoints and the signing secrets', () => {
    const touching = sourceFiles(SRC)
      .filter((file) => folderOf(relative(SRC, file)) !== 'webhooks')
      .filter((file) =>
        /webhook_deliveries|webhook_endpoints|team_webhook_secrets|WebhookDelivery\b|WebhookEndpoint\b/.test(readFileSync(file, 'utf8')),
      )
      .map((file) => relative(SRC, file));
    expect(touching).toEqual(['typeorm-options.ts']);
  });

  it('lets only auth touch the users and access_tokens tables', () => {
    const touching = sourceFiles(SRC)
      .filter((file) => folderOf(relative(SRC, file)) !== 'auth')
      .filter((file) => {
        const text = readFileSync(file, 'utf8');
        return /getRepository\((User|AccessToken)\)|(INSERT INTO|UPDATE|DELETE FROM|JOIN|FROM)\s+(users|access_tokens)\b/.test(text);
      })
      .map((file) => relative(SRC, file));
    expect(touching).toEqual([]);
  });
});
