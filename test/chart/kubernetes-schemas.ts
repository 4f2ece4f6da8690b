// Validation of rendered manifests against the Kubernetes API types of the `kubernetes-models` package: its
// JSON-schema check (types, enums, required fields), plus a check for fields the API does not know, which
// that schema lets through and the API server would drop (a misspelt `readOnlyRootFileSystem`, say). The
// field names come from the package's TypeScript declarations, read with the TypeScript parser.
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ts from 'typescript';

const require = createRequire(import.meta.url);

type ModelClass = new (data: unknown) => { validate(): void };

/**
 * API groups of custom resources, each with the package of its models: imported, since these packages are ESM
 * only (no `require`), and read for their declarations under the same paths as `kubernetes-models`.
 */
const CUSTOM_RESOURCES: Record<string, { models: Record<string, unknown>; packageName: string }> = {
  'keda.sh/v1alpha1': { models: keda, packageName: '@kubernetes-models/keda' },
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Problems with one object, empty when it is valid. */
export function kubernetesProblems(object: KubeObject): string[] {
  const model = modelOf(object);
  if (!model) return [`no Kubernetes schema for ${object.apiVersion} ${object.kind}`];
  const problems: string[] = [];
  try {
    new model.Model(object).validate();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const declarations = declarationFile(model.file);
  const root = resolveTypeName(declarations, `I${object.kind}`);
  collectUnknownFields(object, root, object.kind, problems);
  return problems;
}

/** The model class of an object's kind, and the file that declares it; undefined for a kind without one. */
function modelOf({ apiVersion, kind }: KubeObject): { Model: ModelClass; file: string } | undefined {
  const custom = CUSTOM_RESOURCES[apiVersion];
  if (custom) {
    const Model = custom.models[kind] as ModelClass | undefined;
    return Model && { Model, file: declarationsOf(`${custom.packageName}/${apiVersion}/${kind}`, import.meta.filename) };
  }
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modelModule = `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
  try {
    return { Model: (require(modelModule) as Record<string, ModelClass>)[kind], file: require.resolve(modelModule) };
  } catch {
    return undefined;
  }
}

type Shape = { object: Map<string, TypeRef> } | { map: TypeRef } | { list: TypeRef } | 'open';

/** A type node and the file it is written in, so that its names can be resolved there. */
interface TypeRef {
  node: ts.TypeNode | ts.InterfaceDeclaration;
  file: ts.SourceFile;
}

function collectUnknownFields(value: unknown, type: TypeRef | undefined, path: string, problems: string[]): void {
  if (!type || value === null || typeof value !== 'object') return;
  const shape = shapeOf(type);
  if (shape === 'open') return;
  if ('list' in shape) {
    if (Array.isArray(value)) value.forEach((item, index) => collectUnknownFields(item, shape.list, `${path}[${index}]`, problems));
  } else if ('map' in shape) {
    for (const [key, item] of Object.entries(value)) collectUnknownFields(item, shape.map, `${path}.${key}`, problems);
  } else {
    for (const [key, item] of Object.entries(value)) {
      const field = shape.object.get(key);
      if (field) collectUnknownFields(item, field, `${path}.${key}`, problems);
      else problems.push(`${path}.${key} is not a field of the Kubernetes API`);
    }
  }
}

const shapes = new Map<ts.Node, Shape>();

function shapeOf(type: TypeRef): Shape {
  let shape = shapes.get(type.node);
  if (!shape) {
    shape = computeShape(type);
    shapes.set(type.node, shape);
  }
  return shape;
}

function computeShape({ node, file }: TypeRef): Shape {
  if (ts.isInterfaceDeclaration(node)) {
    const fields = new Map<string, TypeRef>();
    for (const clause of node.heritageClauses ?? []) {
      for (const parent of clause.types) {
        const parentType = resolveTypeName(file, parent.expression.getText(file));
        const parentShape = parentType && shapeOf(parentType);
        if (parentShape && typeof parentShape === 'object' && 'object' in parentShape) parentShape.object.forEach((field, name) => fields.set(name, field));
      }
    }
    addMembers(node.members, file, fields);
    return { object: fields };
  }
  if (ts.isParenthesizedTypeNode(node)) return shapeOf({ node: node.type, file });
  if (ts.isArrayTypeNode(node)) return { list: { node: node.elementType, file } };
  if (ts.isTypeLiteralNode(node)) {
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    if (index) return { map: { node: index.type, file } };
    const fields = new Map<string, TypeRef>();
    addMembers(node.members, file, fields);
    return { object: fields };
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText(file);
    if (name === 'Array' && node.typeArguments?.length === 1) return { list: { node: node.typeArguments[0], file } };
    const target = resolveTypeName(file, name);
    return target ? shapeOf(target) : 'open';
  }
  // Scalars, unions of scalars, `any`: nothing below them to check.
  return 'open';
}

function addMembers(members: ts.NodeArray<ts.TypeElement>, file: ts.SourceFile, fields: Map<string, TypeRef>): void {
  for (const member of members) {
    if (ts.isPropertySignature(member) && member.type) {
      const name = ts.isStringLiteral(member.name) || ts.isIdentifier(member.name) ? member.name.text : member.name.getText(file);
      fields.set(name, { node: member.type, file });
    }
  }
}

/** Finds what a name stands for in a declaration file: a local interface or type alias, or an import or re-export. */
function resolveTypeName(file: ts.SourceFile, name: string): TypeRef | undefined {
  for (const statement of file.statements) {
    if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.name.text === name) {
      return ts.isInterfaceDeclaration(statement) ? { node: statement, file } : { node: statement.type, file };
    }
  }
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause?.namedBindings && ts.isNamedImports(statement.importClause.namedBindings)) {
      const binding = statement.importClause.namedBindings.elements.find((element) => element.name.text === name);
      if (binding) return resolveTypeName(importedFile(file, statement.moduleSpecifier), (binding.propertyName ?? binding.name).text);
    }
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      const binding = statement.exportClause.elements.find((element) => element.name.text === name);
      if (!binding) continue;
      const original = (binding.propertyName ?? binding.name).text;
      if (statement.moduleSpecifier) return resolveTypeName(importedFile(file, statement.moduleSpecifier), original);
      if (original !== name) return resolveTypeName(file, original);
    }
  }
  return undefined;
}

function importedFile(from: ts.SourceFile, specifier: ts.Expression): ts.SourceFile {
  return declarationFile(declarationsOf((specifier as ts.StringLiteral).text, from.fileName));
}

/** The declaration file an import resolves to, as TypeScript resolves it (packages' `exports` included). */
function declarationsOf(request: string, fromFile: string): string {
  const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
  const mode = ts.getImpliedNodeFormatForFile(fromFile, undefined, ts.sys, options);
  const resolved = ts.resolveModuleName(request, fromFile, options, ts.sys, undefined, undefined, mode).resolvedModule;
  if (!resolved) throw new Error(`cannot find the declarations of ${request} (from ${fromFile})`);
  return resolved.resolvedFileName;
}

const files = new Map<string, ts.SourceFile>();

function declarationFile(path: string): ts.SourceFile {
  const declarations = path.replace(/\.(m?js)$/, '.d.ts');
  let file = files.get(declarations);
  if (!file) {
    file = ts.createSourceFile(declarations, readFileSync(declarations, 'utf8'), ts.ScriptTarget.Latest, true);
    files.set(declarations, file);
  }
  return file;
}
