/** Shared fixtures: the stack synthesized once per test file (bundling skipped) and look-ups. */
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';
import type { VodStack } from '../lib/vod-stack';

export interface Synth { readonly stack: VodStack; readonly template: Template; readonly json: any }

export function synth(context: Record<string, unknown> = {}): Synth {
  const { stack } = buildApp({ context });
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() };
}

let defaultSynth: Synth | undefined;
/** The stack with no context options, as `cdk deploy` with a bare cdk.json builds it. */
export function defaults(): Synth {
  defaultSynth ??= synth();
  return defaultSynth;
}

export function resourcesOfType(json: any, type: string): Array<[string, any]> {
  return Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
}

/** Logical id of the Lambda function tagged with this `binaryName`. */
export function functionId(json: any, binaryName: string): string {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').filter(([, r]) =>
    (r.Properties.Tags ?? []).some((t: any) => t.Key === 'vod:function' && t.Value === binaryName));
  if (found.length !== 1) throw new Error(`expected one function tagged ${binaryName}, found ${found.length}`);
  return found[0][0];
}

export function functionProps(json: any, binaryName: string): any {
  return json.Resources[functionId(json, binaryName)].Properties;
}

export function logicalIdOf(stack: VodStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** All policy statements attached (inline policies) to a role, by the role's logical id. */
export function roleStatements(json: any, roleId: string): any[] {
  const fromPolicies = resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  const inline = (json.Resources[roleId].Properties.Policies ?? [])
    .flatMap((p: any) => p.PolicyDocument.Statement);
  return [...fromPolicies, ...inline];
}

export function functionStatements(json: any, binaryName: string): any[] {
  const roleId = functionProps(json, binaryName).Role['Fn::GetAtt'][0];
  return roleStatements(json, roleId);
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

export function actionsOf(statements: any[]): string[] {
  return [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
}

/** Statements that allow `action`. */
export function statementsFor(statements: any[], action: string): any[] {
  return statements.filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action));
}

/**
 * A CloudFormation value as text, each intrinsic written as the logical id it points at:
 * `{Ref: X}` → `${X}`, `{Fn::GetAtt: [X, Arn]}` → `${X.Arn}`, `Fn::Join` joined. Anything else
 * fails, so a policy can never hide a value the tests do not read.
 */
export function resolveRefs(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as any;
  if (v && typeof v === 'object') {
    if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
    if (Array.isArray(v['Fn::GetAtt'])) return `\${${v['Fn::GetAtt'].join('.')}}`;
    if (Array.isArray(v['Fn::Join'])) {
      const [separator, parts] = v['Fn::Join'];
      return (parts as unknown[]).map(resolveRefs).join(separator);
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a policy`);
}

/** One policy statement, normalized: actions and resources sorted, references resolved. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, unknown>;
}

/** Statements in one canonical order (by Sid, then content), for exact comparison. */
export function canonical(statements: readonly Statement[]): Statement[] {
  const key = (s: Statement) => `${s.Sid ?? ''}\u0000${JSON.stringify(s)}`;
  return statements
    .map((s) => ({
      ...(s.Sid !== undefined ? { Sid: s.Sid } : {}),
      Effect: s.Effect,
      Action: [...s.Action].sort(),
      Resource: [...s.Resource].sort(),
      ...(s.Condition !== undefined ? { Condition: s.Condition } : {}),
    }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Everything a role may do: the statements of every policy attached to it (inline ones and
 * `AWS::IAM::Policy` resources), normalized and in canonical order. A role with a managed policy
 * (whose statements are not in the template) fails instead of answering half.
 */
export function rolePolicy(json: any, roleId: string): Statement[] {
  const role = json.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  if (role.Properties.ManagedPolicyArns !== undefined) {
    throw new Error(`${roleId} has managed policies: ${JSON.stringify(role.Properties.ManagedPolicyArns)}`);
  }
  return canonical(roleStatements(json, roleId).map((s: any) => {
    for (const unexpected of ['NotAction', 'NotResource', 'Principal', 'NotPrincipal']) {
      if (unexpected in s) throw new Error(`${roleId}: a statement with ${unexpected}`);
    }
    return {
      Sid: s.Sid,
      Effect: s.Effect,
      Action: asArray(s.Action),
      Resource: asArray(s.Resource).map(resolveRefs),
      Condition: s.Condition,
    };
  }));
}

/** Logical id of the execution role of the function tagged with this `binaryName`. */
export function functionRoleId(json: any, binaryName: string): string {
  return functionProps(json, binaryName).Role['Fn::GetAtt'][0];
}

/** `rolePolicy` of a function's execution role. */
export function functionPolicy(json: any, binaryName: string): Statement[] {
  return rolePolicy(json, functionRoleId(json, binaryName));
}
