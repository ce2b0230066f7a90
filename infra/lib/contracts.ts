/**
 * The files this app shares with the Rust workspace and the local twin, read at synth time so
 * there is exactly one copy of each: the state machine, the two EventBridge patterns and the
 * Lambda contract generated from `vod_core::contracts` (`docs/contracts/lambdas.json`), the
 * asset table's shape as the twin creates it (`docs/contracts/asset-table.json`) and the CDN's
 * CORS and security headers as the local CDN sends them (`docs/contracts/cdn-response-headers.json`).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Repository root (the Cargo workspace root): `infra/` sits directly below it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CARGO_MANIFEST = path.join(REPO_ROOT, 'Cargo.toml');
export const ASL_FILE = path.join(REPO_ROOT, 'statemachine', 'vod-pipeline.asl.json');
export const S3_PATTERN_FILE = path.join(REPO_ROOT, 'statemachine', 'events', 's3-object-created.json');
export const MEDIACONVERT_PATTERN_FILE = path.join(
  REPO_ROOT, 'statemachine', 'events', 'mediaconvert-job-state-change.json',
);
export const LAMBDAS_CONTRACT_FILE = path.join(REPO_ROOT, 'docs', 'contracts', 'lambdas.json');
/** The asset table's keys and indexes as the twin creates them (a vod-aws test keeps it current). */
export const ASSET_TABLE_CONTRACT_FILE = path.join(REPO_ROOT, 'docs', 'contracts', 'asset-table.json');
/**
 * CORS and security headers of every behaviour: `vod_cdn_local::RESPONSE_HEADERS`, which the
 * local CDN sends (a vod-cdn-local test keeps the file current).
 */
export const CDN_RESPONSE_HEADERS_CONTRACT_FILE = path.join(
  REPO_ROOT, 'docs', 'contracts', 'cdn-response-headers.json',
);

export interface CdnResponseHeadersContract {
  readonly cors: {
    readonly allowOrigins: string[];
    readonly allowMethods: string[];
    readonly allowHeaders: string[];
    readonly exposeHeaders: string[];
    readonly allowCredentials: boolean;
    readonly maxAgeSeconds: number;
    readonly originOverride: boolean;
  };
  readonly security: {
    readonly contentTypeOptions: boolean;
    readonly strictTransportSecurity: { readonly maxAgeSeconds: number; readonly includeSubdomains: boolean };
  };
}

export interface LambdaContract {
  readonly function: string;
  readonly binaryName: string;
  /** Name of the `${...}` placeholder in the ASL, or null when the state machine never calls it. */
  readonly aslPlaceholder: string | null;
  /** Memory in MB and the invocation timeout (`LambdaFunction::memory_mb`/`timeout_seconds`); the
   * local twin kills an in-process call at the same timeout. */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly requiredEnv: readonly string[];
  readonly optionalEnv: readonly string[];
}

export interface EnvVarContract {
  readonly name: string;
  readonly doc: string;
  readonly requiredBy: readonly string[];
  readonly optionalFor: readonly string[];
}

export interface LambdasContract {
  readonly lambdas: readonly LambdaContract[];
  readonly envVars: readonly EnvVarContract[];
  readonly errorNames: readonly string[];
  /** How often the completion handler's queue keeper heartbeats jobs waiting in the queue. */
  readonly queueKeeperPeriodSeconds: number;
  /** How often the reconciler finishes assets whose execution died or overran its bounds. */
  readonly reconcilerPeriodSeconds: number;
}

/** The five binaries of `vod-functions`, as named in the contract. */
export type FunctionName = 'ingest-probe' | 'job-submit' | 'completion-handler' | 'notifier' | 'reconciler';
export const FUNCTION_NAMES: readonly FunctionName[] = [
  'ingest-probe', 'job-submit', 'completion-handler', 'notifier', 'reconciler',
];

/** `completion-handler` → `CompletionHandler`: construct ids, so logical ids read like the binary. */
export function constructIdFor(name: FunctionName): string {
  return name.split('-').map((word) => word[0].toUpperCase() + word.slice(1)).join('');
}

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function loadLambdasContract(): LambdasContract {
  const contract = readJson<LambdasContract>(LAMBDAS_CONTRACT_FILE);
  const known = new Set(contract.lambdas.map((l) => l.binaryName));
  const missing = FUNCTION_NAMES.filter((name) => !known.has(name));
  const unknown = [...known].filter((name) => !FUNCTION_NAMES.includes(name as FunctionName));
  if (missing.length > 0 || unknown.length > 0) {
    // A new or renamed binary needs wiring here (role, sizing, wiring): fail loudly, not silently.
    throw new Error(
      `${LAMBDAS_CONTRACT_FILE}: binaries differ from the ones infra wires `
      + `(missing: [${missing.join(', ')}], unknown: [${unknown.join(', ')}])`,
    );
  }
  return contract;
}

export function lambdaContract(contract: LambdasContract, name: FunctionName): LambdaContract {
  const found = contract.lambdas.find((l) => l.binaryName === name);
  if (!found) {
    throw new Error(`${LAMBDAS_CONTRACT_FILE}: no lambda with binaryName '${name}'`);
  }
  return found;
}

/** Every `${Name}` placeholder in a text, in order of first appearance. */
export function placeholdersIn(text: string): string[] {
  const names = [...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
  return [...new Set(names)];
}

/**
 * Reads an EventBridge pattern file and replaces its `${...}` placeholders. Each placeholder
 * must be a whole JSON string (`"${SourceBucketName}"`), so the value may be a CDK token.
 * Unknown or unused placeholders are errors: a silently unmatched rule never fires.
 */
export function loadEventPattern(file: string, values: Record<string, string>): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  const found = placeholdersIn(text);
  const missing = found.filter((name) => !(name in values));
  const extra = Object.keys(values).filter((name) => !found.includes(name));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${file}: placeholders [${found.join(', ')}] do not match the values given `
      + `[${Object.keys(values).join(', ')}]`,
    );
  }
  const substitute = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const whole = /^\$\{([A-Za-z0-9_]+)\}$/.exec(node);
      if (whole) return values[whole[1]];
      if (placeholdersIn(node).length > 0) {
        throw new Error(`${file}: placeholder must be a whole JSON string, found '${node}'`);
      }
      return node;
    }
    if (Array.isArray(node)) return node.map(substitute);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substitute(v)]));
    }
    return node;
  };
  return substitute(JSON.parse(text)) as Record<string, unknown>;
}
