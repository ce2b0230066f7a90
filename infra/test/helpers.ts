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
