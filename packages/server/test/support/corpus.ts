/**
 * The hostile-input corpus: for every operation of the OpenAPI document, the requests an attacker
 * would send, derived from the operation's declared path and query parameters and body schemas.
 * A route added later gets its variants without anyone writing them.
 *
 * Each variant knows what it must get. `refused`: it breaks the declared schema (a wrong type,
 * a number out of range, a missing field, an over-long string), the body framing, the content
 * type or the credentials, so the answer must be 4xx. `either`: the document allows it (an
 * unknown field, `-0` for an integer that may be 0, a trailing slash) or the request is odd in
 * a way the server may accept or refuse, so a 2xx is fine too. Whether a value conforms is
 * decided by {@link conforms} over the schema as published, never by asking the server.
 */
import querystring from 'node:querystring';
import zlib from 'node:zlib';
import type { WireRequest } from './wire.js';

// ---------------------------------------------------------------------------------------------
// The OpenAPI document, as far as the corpus needs it

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
}

export interface Param {
  name: string;
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `POST /messages/user/{user_id}` */
  key: string;
  method: string;
  path: string;
  isPublic: boolean;
  pathParams: Param[];
  queryParams: Param[];
  jsonBody?: Schema;
  formBody?: Schema;
  /** Every method the document declares on this path (a wrong method is one not in here). */
  methodsOnPath: string[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
  security?: unknown[];
}

/** Every operation of `doc`, with `$ref`s resolved. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const named = doc.components?.schemas ?? {};
  const resolve = (s: Schema, depth = 0): Schema => {
    if (depth > 20) return {};
    if (s.$ref) return resolve(named[s.$ref.replace('#/components/schemas/', '')] ?? {}, depth + 1);
    const out: Schema = { ...s };
    if (s.properties) {
      out.properties = Object.fromEntries(
        Object.entries(s.properties).map(([k, v]) => [k, resolve(v, depth + 1)]),
      );
    }
    if (s.items) out.items = resolve(s.items, depth + 1);
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
      if (s[k]) out[k] = s[k].map((x) => resolve(x, depth + 1));
    }
    return out;
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const methods = Object.keys(item).filter((m) =>
      ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(m),
    );
    for (const method of methods) {
      const op = item[method];
      const params: any[] = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const byPlace = (place: string): Param[] =>
        params
          .filter((p) => p.in === place)
          .map((p) => ({
            name: p.name,
            required: Boolean(p.required),
            schema: resolve(p.schema ?? {}),
          }));
      const content = op.requestBody?.content ?? {};
      const security = op.security ?? doc.security ?? [];
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        isPublic: security.length === 0,
        pathParams: byPlace('path'),
        queryParams: byPlace('query'),
        jsonBody: content['application/json']
          ? resolve(content['application/json'].schema ?? {})
          : undefined,
        formBody: content['application/x-www-form-urlencoded']
          ? resolve(content['application/x-www-form-urlencoded'].schema ?? {})
          : undefined,
        methodsOnPath: methods.map((m) => m.toUpperCase()),
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Does a value conform to a schema (the subset of JSON Schema the document uses)?

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isOfType(type: string, v: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return true;
  }
}

/** Whether `value` (as JSON.parse gives it: own keys only) conforms to `schema`. */
export function conforms(schema: Schema, value: unknown): boolean {
  if (schema.anyOf && !schema.anyOf.some((s) => conforms(s, value))) return false;
  if (schema.oneOf && !schema.oneOf.some((s) => conforms(s, value))) return false;
  if (schema.allOf && !schema.allOf.every((s) => conforms(s, value))) return false;
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) return false;
  if (schema.enum && !schema.enum.some((e) => e === value)) return false;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => isOfType(t, value))) return false;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return false;
    if (schema.minimum !== undefined && value < schema.minimum) return false;
    if (schema.maximum !== undefined && value > schema.maximum) return false;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return false;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return false;
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) return false;
    if (schema.maxLength !== undefined && length > schema.maxLength) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return false;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return false;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return false;
    if (schema.items && !value.every((v) => conforms(schema.items!, v))) return false;
  }
  if (isObject(value)) {
    for (const k of schema.required ?? []) if (!Object.hasOwn(value, k)) return false;
    for (const [k, v] of Object.entries(value)) {
      const declared = schema.properties && Object.hasOwn(schema.properties, k);
      if (declared) {
        if (!conforms(schema.properties![k]!, v)) return false;
      } else if (schema.additionalProperties === false) {
        return false;
      } else if (isObject(schema.additionalProperties)) {
        if (!conforms(schema.additionalProperties, v)) return false;
      }
    }
  }
  return true;
}

/** The canonical decimal form of an integer (`0`, `17`), as a path or query value. */
const CANONICAL_INTEGER = /^(0|[1-9]\d*)$/;

/** Whether a decoded path or query string conforms to a parameter's schema. */
export function paramConforms(schema: Schema, value: string | string[]): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (Array.isArray(value)) return types.includes('array');
  if (types.includes('integer') || types.includes('number')) {
    return CANONICAL_INTEGER.test(value) && conforms(schema, Number(value));
  }
  if (types.includes('boolean')) return value === 'true' || value === 'false';
  return conforms(schema, value);
}

// ---------------------------------------------------------------------------------------------
// JSON text with the parts JSON.stringify cannot write

/** A JSON fragment written as is: `-0`, `1e400`, `"\ud800"`, 20,000 nested brackets. */
export class Raw {
  constructor(readonly json: string) {}
}

/** An object written from its entries: `__proto__` as a key, duplicate keys, in this order. */
export class Entries {
  constructor(readonly entries: [string, unknown][]) {}
}

export function toJson(v: unknown): string {
  if (v instanceof Raw) return v.json;
  if (v instanceof Entries) {
    return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  }
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (isObject(v)) return toJson(new Entries(Object.entries(v)));
  return JSON.stringify(v);
}

/** What the server's JSON.parse makes of `text`, or undefined when it is not JSON. */
function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

export const DEEP = 20_000;
const deepArray = () => new Raw('['.repeat(DEEP) + ']'.repeat(DEEP));
const deepObject = () => new Raw('{"a":'.repeat(DEEP) + '{}' + '}'.repeat(DEEP));
const MEGABYTE = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Hostile values, by the type their schema declares

function typesOf(schema: Schema): string[] {
  if (schema.type !== undefined) return Array.isArray(schema.type) ? schema.type : [schema.type];
  const alternatives = schema.anyOf ?? schema.oneOf;
  return alternatives ? alternatives.flatMap(typesOf) : [];
}

const WRONG_SHAPES: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['empty array', []],
  ['empty object', {}],
  ['object with __proto__', new Entries([['__proto__', { a: 1 }]])],
  ['object with constructor.prototype', new Entries([['constructor', { prototype: { a: 1 } }]])],
  [`${DEEP}-deep array`, deepArray()],
  [`${DEEP}-deep object`, deepObject()],
];

function integerValues(s: Schema): [string, unknown][] {
  const values: [string, unknown][] = [
    ['-0', new Raw('-0')],
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['1.0', new Raw('1.0')],
    ['1e2', new Raw('1e2')],
    ['1e308', new Raw('1e308')],
    ['-1e308', new Raw('-1e308')],
    ['1e400 (Infinity)', new Raw('1e400')],
    ['5e-324', new Raw('5e-324')],
    ['2^53', new Raw('9007199254740992')],
    ['2^53+1', new Raw('9007199254740993')],
    ['2^64', new Raw('18446744073709551616')],
    ['-2^63-1', new Raw('-9223372036854775809')],
    ['30 digits', new Raw('123456789012345678901234567890')],
    ['string "1"', '1'],
    ['string " 1"', ' 1'],
    ['string "1e3"', '1e3'],
    ['string "0x10"', '0x10'],
    ['string ""', ''],
    ['string "NaN"', 'NaN'],
    ['array [1]', [1]],
    ...WRONG_SHAPES,
  ];
  if (s.minimum !== undefined) values.push(['minimum', s.minimum], ['minimum-1', s.minimum - 1]);
  if (s.maximum !== undefined) values.push(['maximum', s.maximum], ['maximum+1', s.maximum + 1]);
  return values;
}

function stringValues(s: Schema): [string, unknown][] {
  const values: [string, unknown][] = [
    ['empty', ''],
    ['blank', ' \t\n '],
    ['NUL', '\u0000'],
    ['embedded NUL', 'a\u0000b'],
    ['lone high surrogate', new Raw('"\\ud800"')],
    ['lone low surrogate', new Raw('"x\\udfff"')],
    ['reversed surrogate pair', new Raw('"\\udc00\\ud800"')],
    ['emoji', '\u{1F600}'],
    ['bidi override', '\u202e\u2066x'],
    ['line separators', '\u2028\u2029'],
    ['BOM', '\ufeff'],
    ['SQL', "'; DROP TABLE users; --"],
    ['percent-escapes', '%00%ZZ'],
    ['__proto__', '__proto__'],
    [`1 MB`, 'x'.repeat(MEGABYTE)],
    ['number', 1],
    ['-0', new Raw('-0')],
    ['array of string', ['x']],
    ...WRONG_SHAPES,
  ];
  if (s.maxLength !== undefined) {
    values.push(
      ['maxLength', 'x'.repeat(s.maxLength)],
      ['maxLength+1', 'x'.repeat(s.maxLength + 1)],
    );
  }
  if (s.minLength !== undefined && s.minLength > 1) {
    values.push(['minLength-1', 'x'.repeat(s.minLength - 1)]);
  }
  return values;
}

function arrayValues(s: Schema, valid: unknown): [string, unknown][] {
  const item = s.items ?? {};
  const one = Array.isArray(valid) && valid.length > 0 ? valid[0] : exampleOf(item, 'item');
  const values: [string, unknown][] = [
    ['empty', []],
    ['string "1,2"', '1,2'],
    [
      'array-like object',
      new Entries([
        ['0', one],
        ['length', 1],
      ]),
    ],
    ['nested array', [[one]]],
    ['repeated item', [one, one, one]],
    ...WRONG_SHAPES,
  ];
  // Every hostile value of the item's type, as the one item.
  for (const [name, v] of valuesFor(item, one)) values.push([`[${name}]`, [v]]);
  if (s.maxItems !== undefined) {
    const n = s.maxItems + 1;
    values.push([`maxItems+1 (${n})`, new Raw(`[${Array(n).fill(toJson(one)).join(',')}]`)]);
  }
  return values;
}

/** The hostile values for a field of `schema` whose valid value is `valid`. */
export function valuesFor(schema: Schema, valid: unknown): [string, unknown][] {
  const types = typesOf(schema);
  if (types.includes('integer') || types.includes('number')) return integerValues(schema);
  if (types.includes('string')) return stringValues(schema);
  if (types.includes('array')) return arrayValues(schema, valid);
  if (types.includes('boolean')) {
    return [['string "true"', 'true'], ['1', 1], ['0', 0], ...WRONG_SHAPES];
  }
  return [['string', 'x'], ['number', 1], ...WRONG_SHAPES];
}

/** A value conforming to `schema`, for fields the test gives no value of its own. */
export function exampleOf(schema: Schema, name: string): unknown {
  if (schema.enum) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const types = typesOf(schema);
  if (types.includes('object')) {
    return Object.fromEntries(
      (schema.required ?? []).map((k) => [k, exampleOf(schema.properties?.[k] ?? {}, k)]),
    );
  }
  if (types.includes('array')) return [];
  if (types.includes('integer') || types.includes('number')) {
    return Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 1, 1));
  }
  if (types.includes('boolean')) return true;
  if (types.includes('string')) {
    return 'corpus'.padEnd(schema.minLength ?? 0, 'x').slice(0, schema.maxLength ?? Infinity);
  }
  return `${name}`;
}

// ---------------------------------------------------------------------------------------------
// Variants

export type Expectation = 'refused' | 'either';

export interface Variant {
  op: string;
  family: string;
  name: string;
  expect: Expectation;
  request: WireRequest;
  /** An upgrade: a 101 is the success answer, and the socket is dropped at once. */
  isUpgrade?: boolean;
}

/** What a test gives the generator: a caller, valid values, and credentials that are not. */
export interface CorpusContext {
  /** A valid access token of the caller, who owns the objects the valid ids name. */
  token: string;
  /** A valid value of a path parameter (an id that exists and the caller may use). */
  pathValue(op: Operation, name: string): string;
  /** A valid body, new on every call (fresh emails, fresh operation ids). */
  body(op: Operation, kind: 'json' | 'form'): Record<string, unknown>;
  /** Authorization header values that must be refused: forged, expired, unsigned tokens… */
  badAuthorizations: [string, string | Buffer][];
  /**
   * A token signed with the server's secret for a user id that does not exist (a database
   * restored or reset under the same JWT_SECRET): reads may answer empty, nothing may 5xx.
   */
  ghostToken: string;
}

/** Over Node's 16 KiB header limit: the HTTP parser itself refuses it (431). */
const OVER_HEADER_LIMIT = 20_000;
/** The body limit the document states for every body ("Body over 64 KiB"). */
export const BODY_LIMIT = 64 * 1024;

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '1');
}

function decodedOrUndefined(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Raw path segments, URL-ready, for an id parameter. */
const PATH_SEGMENTS: [string, string][] = [
  ['0', '0'],
  ['-1', '-1'],
  ['-0', '-0'],
  ['+1', '+1'],
  ['1.5', '1.5'],
  ['1e3', '1e3'],
  ['0x10', '0x10'],
  ['leading space', '%201'],
  ['trailing space', '1%20'],
  ['tab', '%091'],
  ['2^53', '9007199254740992'],
  ['2^53-1 (unknown)', '9007199254740991'],
  ['2^64', '18446744073709551616'],
  ['17 digits', '1'.repeat(17)],
  ['5000 digits', '9'.repeat(5000)],
  ['letters', 'abc'],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['null', 'null'],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['fullwidth digit', '%EF%BC%91'],
  ['arabic-indic digit', '%D9%A1'],
  ['bare %', '%'],
  ['%ZZ', '%ZZ'],
  ['truncated UTF-8 %E0%A4%A', '%E0%A4%A'],
  ['encoded lone surrogate %ED%A0%80', '%ED%A0%80'],
  ['encoded NUL', '%00'],
  ['digit then encoded NUL', '1%00'],
  ['encoded slash', '1%2F2'],
  ['encoded backslash', '1%5C2'],
  ['encoded dot-dot', '%2E%2E'],
  ['semicolon', '1;x=1'],
  ['JSON array', '%5B1%5D'],
];

const QUERY_VALUES: [string, string][] = [
  ['empty', ''],
  ['letters', 'abc'],
  ['-1', '-1'],
  ['1.5', '1.5'],
  ['1e3', '1e3'],
  ['0x10', '0x10'],
  ['leading space', '%201'],
  ['plus as space', '+1'],
  ['2^53', '9007199254740992'],
  ['17 digits', '1'.repeat(17)],
  ['encoded NUL', '%00'],
  ['bad escape %ZZ', '%ZZ'],
  ['truncated UTF-8', '%E0%A4%A'],
  ['encoded lone surrogate', '%ED%A0%80'],
  ['JSON array', '%5B1%5D'],
  ['true', 'true'],
  ['8000 characters', 'x'.repeat(8000)],
];

const METHODS_TO_TRY = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'CONNECT'];

/**
 * Every hostile variant of `op`. With a token unless the operation is public; variants that
 * only break the input are sent again without one.
 */
export function variantsOf(op: Operation, ctx: CorpusContext): Variant[] {
  const out: Variant[] = [];
  const validPath: Record<string, string> = Object.fromEntries(
    op.pathParams.map((p) => [p.name, ctx.pathValue(op, p.name)]),
  );
  const auth: [string, string][] = op.isPublic ? [] : [['Authorization', `Bearer ${ctx.token}`]];
  const bodyKind: 'json' | 'form' | undefined = op.jsonBody
    ? 'json'
    : op.formBody
      ? 'form'
      : undefined;
  const bodySchema = op.jsonBody ?? op.formBody;

  /** The valid request, to be changed in one respect. */
  const base = (changes: Partial<WireRequest> & { json?: unknown } = {}): WireRequest => {
    const { json, ...rest } = changes;
    const hasJson = 'json' in changes;
    const headers: [string, string | Buffer][] = [['Host', '127.0.0.1'], ...auth];
    let body: Buffer | undefined;
    if (bodyKind === 'json' || hasJson) {
      headers.push(['Content-Type', 'application/json']);
      body = Buffer.from(toJson(hasJson ? json : ctx.body(op, 'json')));
    } else if (bodyKind === 'form') {
      headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
      body = Buffer.from(querystring.stringify(ctx.body(op, 'form') as Record<string, string>));
    }
    return { method: op.method, target: fill(op.path, validPath), headers, body, ...rest };
  };
  const add = (family: string, name: string, expect: Expectation, request: WireRequest) =>
    out.push({ op: op.key, family, name, expect, request });
  /** The query's verdict: refused when a declared parameter does not conform. */
  const queryVerdict = (query: string): Expectation => {
    const parsedQuery = querystring.parse(query);
    for (const p of op.queryParams) {
      const v = parsedQuery[p.name];
      if (v !== undefined && !paramConforms(p.schema, v)) return 'refused';
    }
    return 'either';
  };

  // Path parameters
  for (const p of op.pathParams) {
    for (const [name, segment] of PATH_SEGMENTS) {
      const decoded = decodedOrUndefined(segment);
      const expect =
        decoded !== undefined && paramConforms(p.schema, decoded) ? 'either' : 'refused';
      add(
        'path',
        `${p.name} ${name}`,
        expect,
        base({ target: fill(op.path, { ...validPath, [p.name]: segment }) }),
      );
    }
    add(
      'path',
      `${p.name} over the header limit`,
      'refused',
      base({
        target: fill(op.path, { ...validPath, [p.name]: '9'.repeat(OVER_HEADER_LIMIT) }),
      }),
    );
  }

  // The route itself: its spelling and the method
  const target = fill(op.path, validPath);
  add('route', 'trailing slash', 'either', base({ target: `${target}/` }));
  add('route', 'upper case', 'either', base({ target: target.toUpperCase() }));
  add('route', 'double leading slash', 'refused', base({ target: `/${target}` }));
  add('route', 'dot segment', 'refused', base({ target: `/.${target}` }));
  add('route', 'dot-dot segment', 'refused', base({ target: `${target}/../${target.slice(1)}` }));
  add('route', 'extra segment', 'refused', base({ target: `${target}/corpus-extra` }));
  add('route', 'encoded slashes', 'refused', base({ target: target.replaceAll('/', '%2F') }));
  add('route', 'fragment', 'either', base({ target: `${target}#x` }));
  add(
    'route',
    'path over the header limit',
    'refused',
    base({
      target: `${target}/${'a'.repeat(OVER_HEADER_LIMIT)}`,
    }),
  );
  add(
    'route',
    'path of 8000 characters',
    'refused',
    base({ target: `${target}/${'a'.repeat(8000)}` }),
  );
  for (const method of METHODS_TO_TRY) {
    if (op.methodsOnPath.includes(method)) continue;
    add('route', `method ${method}`, 'refused', base({ method }));
  }
  if (op.method === 'GET') add('route', 'method HEAD', 'either', base({ method: 'HEAD' }));
  add('route', 'method OPTIONS', 'either', base({ method: 'OPTIONS' }));
  add('route', 'lower-case method', 'refused', base({ method: op.method.toLowerCase() }));
  add('route', 'unknown method', 'refused', base({ method: 'FOO' }));
  add('route', 'HTTP/1.0', 'either', base({ version: 'HTTP/1.0' }));
  add('route', 'HTTP/2.0 on HTTP/1 framing', 'either', base({ version: 'HTTP/2.0' }));
  add('route', 'malformed version', 'refused', base({ version: 'HTTP/1.1x' }));
  add('route', 'lower-case version', 'refused', base({ version: 'http/1.1' }));

  // Query parameters: each declared one, then undeclared ones
  for (const p of op.queryParams) {
    for (const [name, value] of QUERY_VALUES) {
      const query = `${p.name}=${value}`;
      add(
        'query',
        `${p.name} ${name}`,
        queryVerdict(query),
        base({ target: `${target}?${query}` }),
      );
    }
    const valid = encodeURIComponent(String(exampleOf(p.schema, p.name)));
    for (const [name, query] of [
      ['twice', `${p.name}=${valid}&${p.name}=${valid}`],
      ['as array', `${p.name}[]=${valid}`],
      ['as object', `${p.name}[a]=${valid}`],
      ['name percent-encoded', `${encodeURIComponent(p.name).replace(/_/g, '%5F')}=abc`],
    ] as const) {
      add(
        'query',
        `${p.name} ${name}`,
        queryVerdict(query),
        base({ target: `${target}?${query}` }),
      );
    }
    if (p.schema.maxLength !== undefined) {
      const query = `${p.name}=${'x'.repeat(p.schema.maxLength + 1)}`;
      add(
        'query',
        `${p.name} maxLength+1`,
        queryVerdict(query),
        base({ target: `${target}?${query}` }),
      );
    }
  }
  for (const [name, query] of [
    ['unknown parameter', 'corpus_unknown=1'],
    ['prototype keys', '__proto__=1&constructor=2&prototype=3&hasOwnProperty=4&toString=5'],
    ['nested __proto__', '__proto__[admin]=1&constructor[prototype][admin]=1'],
    ['bad escapes in an unknown parameter', '%ZZ=%E0%A4%A&%=%'],
    ['500 unknown parameters', Array.from({ length: 500 }, (_, i) => `p${i}=${i}`).join('&')],
    ['empty query', ''],
    ['lone ampersands', '&&&='],
  ] as const) {
    add('query', name, queryVerdict(query), base({ target: `${target}?${query}` }));
  }
  add(
    'query',
    'query over the header limit',
    'refused',
    base({
      target: `${target}?q=${'x'.repeat(OVER_HEADER_LIMIT)}`,
    }),
  );

  // The body: its fields, its shape, its type, its encoding and its framing
  if (bodyKind === 'json' && bodySchema) {
    const verdict = (value: unknown): Expectation => {
      const text = toJson(value);
      if (Buffer.byteLength(text) > BODY_LIMIT) return 'refused';
      const p = parsed(text);
      return p && conforms(bodySchema, p.value) ? 'either' : 'refused';
    };
    const fresh = () => Object.entries(ctx.body(op, 'json'));
    const withField = (field: string, value: unknown) => {
      const entries = fresh();
      const i = entries.findIndex(([k]) => k === field);
      if (i >= 0) entries[i] = [field, value];
      else entries.push([field, value]);
      return new Entries(entries);
    };
    const addBody = (family: string, name: string, value: unknown) =>
      add(family, name, verdict(value), base({ json: value }));
    for (const [field, schema] of Object.entries(bodySchema.properties ?? {})) {
      const valid = ctx.body(op, 'json')[field];
      for (const [name, value] of valuesFor(schema, valid)) {
        addBody('body-field', `${field} ${name}`, withField(field, value));
      }
      addBody('body-field', `${field} left out`, new Entries(fresh().filter(([k]) => k !== field)));
      addBody(
        'body-field',
        `${field} given twice, the last bad`,
        new Entries([...fresh(), [field, null]]),
      );
      addBody(
        'body-field',
        `${field} given twice, the last good`,
        new Entries([[field, null], ...fresh()]),
      );
    }
    const extra = (entries: [string, unknown][]) => new Entries([...fresh(), ...entries]);
    for (const [name, value] of [
      ['null', null],
      ['array', []],
      ['string', new Raw('"corpus"')],
      ['number', 1],
      ['true', true],
      ['empty object', {}],
      [`${DEEP}-deep array`, deepArray()],
      [`${DEEP}-deep object`, deepObject()],
      ['only __proto__ holding the fields', new Entries([['__proto__', ctx.body(op, 'json')]])],
      [
        'constructor.prototype holding the fields',
        new Entries([['constructor', { prototype: ctx.body(op, 'json') }]]),
      ],
      ['the fields plus __proto__', extra([['__proto__', { admin: true, text: 'x' }]])],
      [
        'the fields plus constructor and prototype',
        extra([
          ['constructor', { prototype: { admin: true } }],
          ['prototype', { admin: true }],
        ]),
      ],
      [
        'nested __proto__ chain',
        extra([
          ['corpus', new Entries([['__proto__', new Entries([['__proto__', { admin: true }]])]])],
        ]),
      ],
      ['an unknown field', extra([['corpus_unknown', 1]])],
      [
        '1000 unknown fields',
        extra(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i] as [string, unknown])),
      ],
      ['an empty key', extra([['', 1]])],
      [`${DEEP}-deep array in an unknown field`, extra([['corpus_deep', deepArray()]])],
      [`1 MB in an unknown field`, extra([['corpus_big', 'x'.repeat(MEGABYTE)]])],
      ['just over the body limit', extra([['corpus_big', 'x'.repeat(BODY_LIMIT)]])],
    ] as [string, unknown][]) {
      addBody('body-shape', name, value);
    }
    const good = () => toJson(ctx.body(op, 'json'));
    const text = (name: string, body: string | Buffer, expect: Expectation) =>
      add('body-shape', name, expect, base({ body: Buffer.from(body) }));
    text('not JSON: an open brace', '{', 'refused');
    text('not JSON: cut short', good().slice(0, -1), 'refused');
    text('not JSON: unquoted keys', '{a:1}', 'refused');
    text('not JSON: single quotes', "{'a':1}", 'refused');
    text('not JSON: a trailing comma', `${good().slice(0, -1)},}`, 'refused');
    text('not JSON: a comment', `/* x */${good()}`, 'refused');
    text('not JSON: garbage after it', `${good()}x`, 'refused');
    text('not JSON: NaN', 'NaN', 'refused');
    // Bytes that are not UTF-8 may be decoded with replacement characters: such a body still
    // lacks every declared field.
    const lacking: Expectation = (bodySchema.required ?? []).length > 0 ? 'refused' : 'either';
    text(
      'not UTF-8: latin1 bytes',
      Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]),
      lacking,
    );
    text(
      'raw lone-surrogate bytes',
      Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      lacking,
    );
    text('JSON after a BOM', `\ufeff${good()}`, 'either');
    text('JSON in UTF-16', Buffer.from(good(), 'utf16le'), 'refused');
    text('whitespace around it', `\r\n\t ${good()} \n`, 'either');
    add('body-shape', 'an empty body', 'refused', base({ body: Buffer.alloc(0) }));

    // The content type
    const asType = (type: string | undefined, body = good()) => {
      const r = base({ body: Buffer.from(body) });
      r.headers = r.headers.filter(([n]) => n !== 'Content-Type');
      if (type !== undefined) r.headers.push(['Content-Type', type]);
      return r;
    };
    for (const [type, expect] of [
      ['text/plain', 'refused'],
      ['application/json; charset=latin1', 'refused'],
      ['application/json; charset=iso-8859-1', 'refused'],
      ['application/json; charset=utf-7', 'refused'],
      ['application/json; charset=utf-16', 'refused'],
      ['application/json; charset=utf-32', 'refused'],
      ['application/json; charset=nonsense', 'refused'],
      ['application/json; charset=utf-8', 'either'],
      ['application/json; charset="UTF-8"', 'either'],
      ['APPLICATION/JSON', 'either'],
      ['application/vnd.api+json', 'refused'],
      ['application/*', 'refused'],
      ['*/*', 'refused'],
      ['application/json, text/plain', 'refused'],
      [';;;', 'refused'],
      ['', 'refused'],
      ['multipart/form-data; boundary=corpus', 'refused'],
      // JSON text read as a form has none of the declared fields (or the form is not accepted).
      ['application/x-www-form-urlencoded', 'refused'],
      [undefined, 'refused'],
    ] as [string | undefined, Expectation][]) {
      add(
        'content-type',
        type === undefined ? 'none, with a body' : JSON.stringify(type),
        expect,
        asType(type),
      );
    }
    add(
      'content-type',
      'multipart body',
      'refused',
      asType(
        'multipart/form-data; boundary=corpus',
        `--corpus\r\nContent-Disposition: form-data; name="x"\r\n\r\n${good()}\r\n--corpus--\r\n`,
      ),
    );

    // Content-Encoding
    const garbage = Buffer.from('this is not compressed at all, not even a little');
    const encoded = (encoding: string, body: Buffer) => {
      const r = base({ body });
      r.headers.push(['Content-Encoding', encoding]);
      return r;
    };
    const json = () => Buffer.from(good());
    for (const [name, encoding, body, expect] of [
      ['gzip of garbage', 'gzip', () => garbage, 'refused'],
      ['br of garbage', 'br', () => garbage, 'refused'],
      ['deflate of garbage', 'deflate', () => garbage, 'refused'],
      ['identity, gzip of plain JSON', 'identity, gzip', json, 'refused'],
      ['gzip, gzip of single gzip', 'gzip, gzip', () => zlib.gzipSync(json()), 'refused'],
      ['unknown encoding', 'x-corpus', json, 'refused'],
      ['truncated gzip', 'gzip', () => zlib.gzipSync(json()).subarray(0, 12), 'refused'],
      [
        'gzip bomb (10 MB of spaces)',
        'gzip',
        () => zlib.gzipSync(Buffer.alloc(10 * MEGABYTE, 32)),
        'refused',
      ],
      ['gzip of valid JSON', 'gzip', () => zlib.gzipSync(json()), 'either'],
      ['GZIP of valid JSON', 'GZIP', () => zlib.gzipSync(json()), 'either'],
      ['deflate of valid JSON', 'deflate', () => zlib.deflateSync(json()), 'either'],
      ['br of valid JSON', 'br', () => zlib.brotliCompressSync(json()), 'either'],
      ['identity', 'identity', json, 'either'],
    ] as [string, string, () => Buffer, Expectation][]) {
      add('encoding', name, expect, encoded(encoding, body()));
    }

    // Framing: Content-Length and Transfer-Encoding that lie
    const framed = (
      headers: [string, string][],
      body: Buffer,
      extra: Partial<WireRequest> = {},
    ) => {
      const r = base({ body, contentLength: 'none', ...extra });
      r.headers.push(...headers);
      return r;
    };
    const b = json();
    add(
      'framing',
      'Content-Length shorter than the body',
      'refused',
      framed([['Content-Length', String(Math.floor(b.length / 2))]], b),
    );
    add(
      'framing',
      'Content-Length longer than the body, then the client stops',
      'refused',
      framed([['Content-Length', String(b.length + 100)]], b, { halfClose: true }),
    );
    add(
      'framing',
      'Content-Length not a number',
      'refused',
      framed([['Content-Length', 'abc']], b),
    );
    add('framing', 'Content-Length negative', 'refused', framed([['Content-Length', '-1']], b));
    add(
      'framing',
      'Content-Length 2^64',
      'refused',
      framed([['Content-Length', '18446744073709551616']], b),
    );
    add(
      'framing',
      'two different Content-Lengths',
      'refused',
      framed(
        [
          ['Content-Length', String(b.length)],
          ['Content-Length', String(b.length + 1)],
        ],
        b,
      ),
    );
    add(
      'framing',
      'Content-Length and chunked',
      'refused',
      framed(
        [
          ['Content-Length', String(b.length)],
          ['Transfer-Encoding', 'chunked'],
        ],
        Buffer.from(`${b.length.toString(16)}\r\n${b.toString()}\r\n0\r\n\r\n`),
      ),
    );
    add(
      'framing',
      'chunked',
      'either',
      framed(
        [['Transfer-Encoding', 'chunked']],
        Buffer.from(`${b.length.toString(16)}\r\n${b.toString()}\r\n0\r\n\r\n`),
      ),
    );
    add(
      'framing',
      'chunked with a bad chunk size',
      'refused',
      framed([['Transfer-Encoding', 'chunked']], Buffer.from(`zz\r\n${b.toString()}\r\n0\r\n\r\n`)),
    );
    add(
      'framing',
      'chunked, a chunk longer than said, then the client stops',
      'refused',
      framed([['Transfer-Encoding', 'chunked']], Buffer.from(`ffff\r\n${b.toString()}`), {
        halfClose: true,
      }),
    );
    add(
      'framing',
      'chunked over the body limit',
      'refused',
      framed(
        [['Transfer-Encoding', 'chunked']],
        Buffer.from(
          `${(BODY_LIMIT + 10).toString(16)}\r\n${'x'.repeat(BODY_LIMIT + 10)}\r\n0\r\n\r\n`,
        ),
      ),
    );
    add(
      'framing',
      'unknown transfer coding',
      'refused',
      framed([['Transfer-Encoding', 'corpus']], b),
    );
  } else if (bodyKind === 'form' && bodySchema) {
    // A form-only operation: the same field values, form-encoded.
    for (const [field] of Object.entries(bodySchema.properties ?? {})) {
      const fields = ctx.body(op, 'form') as Record<string, string>;
      const without = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== field));
      add(
        'body-field',
        `${field} left out`,
        (bodySchema.required ?? []).includes(field) ? 'refused' : 'either',
        base({ body: Buffer.from(querystring.stringify(without)) }),
      );
      add(
        'body-field',
        `${field} twice`,
        'refused',
        base({ body: Buffer.from(`${querystring.stringify(without)}&${field}=x&${field}=x`) }),
      );
    }
  } else {
    // No body declared: one sent anyway is not read.
    add('body-shape', 'an undeclared JSON body', 'either', base({ json: { corpus: 1 } }));
    add('body-shape', `an undeclared ${DEEP}-deep body`, 'either', base({ json: deepArray() }));
    const r = base({ body: Buffer.from('garbage') });
    r.headers.push(['Content-Type', 'text/plain'], ['Content-Encoding', 'gzip']);
    add('body-shape', 'an undeclared garbage gzip body', 'either', r);
  }

  // The login form, when the operation also takes one
  if (op.jsonBody && op.formBody) {
    const form = (fields: string) => {
      const r = base({ body: Buffer.from(fields) });
      r.headers = r.headers.filter(([n]) => n !== 'Content-Type');
      r.headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
      return r;
    };
    const fields = querystring.stringify(ctx.body(op, 'form') as Record<string, string>);
    add('form', 'the valid form', 'either', form(fields));
    for (const field of Object.keys(op.formBody.properties ?? {})) {
      add('form', `${field} twice`, 'refused', form(`${fields}&${field}=x&${field}=x`));
      add('form', `${field} with bad escapes`, 'either', form(`${fields}&${field}=%ZZ%E0%A4%A`));
      add(
        'form',
        `${field} with an encoded NUL`,
        'either',
        form(`${fields.replace(`${field}=`, `${field}=%00`)}`),
      );
    }
    add(
      'form',
      '51 parameters',
      'refused',
      form(`${fields}&${Array.from({ length: 51 }, (_, i) => `p${i}=1`).join('&')}`),
    );
    add('form', 'nested brackets', 'either', form(`${fields}&a[b][c][d]=1&__proto__[x]=1`));
    add(
      'form',
      'form charset utf-7',
      'refused',
      (() => {
        const r = form(fields);
        r.headers = r.headers.filter(([n]) => n !== 'Content-Type');
        r.headers.push(['Content-Type', 'application/x-www-form-urlencoded; charset=utf-7']);
        return r;
      })(),
    );
  }

  // Headers: credentials, then everything else
  if (!op.isPublic) {
    const withAuth = (values: (string | Buffer)[]) => {
      const r = base();
      r.headers = r.headers.filter(([n]) => n !== 'Authorization');
      for (const v of values) r.headers.push(['Authorization', v]);
      return r;
    };
    add('auth', 'none', 'refused', withAuth([]));
    for (const [name, value] of ctx.badAuthorizations)
      add('auth', name, 'refused', withAuth([value]));
    add(
      'auth',
      'a signed token of a user that does not exist',
      'either',
      withAuth([`Bearer ${ctx.ghostToken}`]),
    );
    add('auth', 'lower-case scheme', 'either', withAuth([`bearer ${ctx.token}`]));
    add('auth', 'two spaces after the scheme', 'either', withAuth([`Bearer  ${ctx.token}`]));
    add(
      'auth',
      'the token twice in one header',
      'refused',
      withAuth([`Bearer ${ctx.token} ${ctx.token}`]),
    );
    add(
      'auth',
      'the token with a trailing NUL',
      'refused',
      withAuth([`Bearer ${ctx.token}\u0000`]),
    );
    add(
      'auth',
      'two headers, the first good',
      'either',
      withAuth([`Bearer ${ctx.token}`, 'Bearer x']),
    );
    add(
      'auth',
      'two headers, the first bad',
      'refused',
      withAuth(['Bearer x', `Bearer ${ctx.token}`]),
    );
    add('auth', 'the token in the query instead', 'refused', {
      ...withAuth([]),
      target: `${target}?access_token=${ctx.token}`,
    });
    add(
      'auth',
      'over the header limit',
      'refused',
      withAuth([`Bearer ${'a'.repeat(OVER_HEADER_LIMIT)}`]),
    );
  }
  const withHeaders = (headers: [string, string | Buffer][], drop: string[] = []) => {
    const r = base();
    r.headers = r.headers.filter(([n]) => !drop.includes(n));
    r.headers.push(...headers);
    return r;
  };
  add('headers', 'no Host', 'refused', withHeaders([], ['Host']));
  add('headers', 'empty Host', 'either', withHeaders([['Host', '']], ['Host']));
  add('headers', 'odd Host', 'either', withHeaders([['Host', 'a:99999']], ['Host']));
  add('headers', 'two Hosts', 'either', withHeaders([['Host', 'other.example']]));
  add('headers', 'Expect: 100-continue', 'either', withHeaders([['Expect', '100-continue']]));
  add(
    'headers',
    'Expect: something else',
    'refused',
    withHeaders([['Expect', 'corpus-expectation']]),
  );
  add(
    'headers',
    'a header line without a colon',
    'refused',
    withHeaders([['', 'X-Corpus no colon']]),
  );
  add('headers', 'a NUL in a header value', 'refused', withHeaders([['X-Corpus', 'a\u0000b']]));
  add('headers', 'a space in a header name', 'refused', withHeaders([['X Corpus', '1']]));
  add('headers', 'a folded header line', 'either', withHeaders([['X-Corpus', 'a\r\n b']]));
  add(
    'headers',
    'non-ASCII bytes in a header value',
    'either',
    withHeaders([['X-Corpus', Buffer.from('тест ✓')]]),
  );
  add(
    'headers',
    'hostile X-Request-Id',
    'either',
    withHeaders([['X-Request-Id', '<script>"\'`${x}'.repeat(20)]]),
  );
  add(
    'headers',
    'X-Forwarded-For garbage',
    'either',
    withHeaders([['X-Forwarded-For', 'not-an-ip, , 999.1.1.1, ::g']]),
  );
  add('headers', 'Origin: null', 'either', withHeaders([['Origin', 'null']]));
  add('headers', 'Accept: text/html only', 'either', withHeaders([['Accept', 'text/html']]));
  add('headers', 'a cookie of 8 KB', 'either', withHeaders([['Cookie', `c=${'x'.repeat(8000)}`]]));
  add(
    'headers',
    '500 headers',
    'either',
    withHeaders(Array.from({ length: 500 }, (_, i) => [`X-C${i}`, '1'] as [string, string])),
  );
  add(
    'headers',
    'headers over the limit',
    'refused',
    withHeaders(
      Array.from({ length: 1000 }, (_, i) => [`X-Corpus-${i}`, 'x'.repeat(20)] as [string, string]),
    ),
  );
  add(
    'headers',
    'an upgrade to h2c',
    'refused',
    withHeaders([
      ['Upgrade', 'h2c'],
      ['Connection', 'Upgrade'],
      ['HTTP2-Settings', 'AAMAAABkAAQAAP__'],
    ]),
  );

  // The variants that only break the input, again without credentials: everything that runs
  // before the token is checked (percent-decoding, content type, body parsing) runs for anyone.
  if (!op.isPublic) {
    const unauthenticated = ['path', 'query', 'body-shape', 'content-type', 'encoding', 'framing'];
    for (const v of [...out]) {
      if (!unauthenticated.includes(v.family)) continue;
      out.push({
        ...v,
        family: `${v.family} (no token)`,
        expect: 'refused',
        request: {
          ...v.request,
          headers: v.request.headers.filter(([n]) => n !== 'Authorization'),
        },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// WebSocket upgrades (`/ws`, `/ws/{chat_id}`: not in the OpenAPI document)

export interface UpgradeContext {
  token: string;
  /** A chat of the caller's, and one the caller is not in. */
  chatId: number;
  foreignChatId: number;
  badAuthorizations: [string, string | Buffer][];
  ghostToken: string;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Odd targets and headers for both socket routes; `either` ones are valid upgrades (101). */
export function upgradeVariants(ctx: UpgradeContext): Variant[] {
  const out: Variant[] = [];
  const request = (
    target: string,
    {
      auth = [`Bearer ${ctx.token}`],
      drop = [],
      extra = [],
      method = 'GET',
    }: {
      auth?: (string | Buffer)[];
      drop?: string[];
      extra?: [string, string | Buffer][];
      method?: string;
    } = {},
  ): WireRequest => {
    const headers: [string, string | Buffer][] = [
      ['Host', '127.0.0.1'],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', KEY],
      ['Sec-WebSocket-Version', '13'],
      ...auth.map((a): [string, string | Buffer] => ['Authorization', a]),
    ];
    return {
      method,
      target,
      headers: [...headers.filter(([n]) => !drop.includes(n)), ...extra],
    };
  };
  const add = (op: string, name: string, expect: Expectation, r: WireRequest) =>
    out.push({ op, family: 'upgrade', name, expect, request: r, isUpgrade: true });

  for (const [op, path] of [
    ['GET /ws', '/ws'],
    ['GET /ws/{chat_id}', `/ws/${ctx.chatId}`],
  ] as const) {
    add(op, 'the valid upgrade', 'either', request(path));
    add(op, 'trailing slash', 'either', request(`${path}/`));
    add(op, 'after=0', 'either', request(`${path}?after=0`));
    add(
      op,
      'the first of two after values is valid',
      'either',
      request(`${path}?after=1&after=abc`),
    );
    add(op, 'a query of 8000 characters', 'either', request(`${path}?x=${'y'.repeat(8000)}`));
    add(
      op,
      'token as the bearer subprotocol',
      'either',
      request(path, {
        auth: [],
        extra: [['Sec-WebSocket-Protocol', `bearer, ${ctx.token}`]],
      }),
    );
    for (const [name, after] of [
      ['empty', ''],
      ['letters', 'abc'],
      ['-1', '-1'],
      ['1.5', '1.5'],
      ['1e3', '1e3'],
      ['0x10', '0x10'],
      ['leading space', '%201'],
      ['2^53', '9007199254740992'],
      ['17 digits', '1'.repeat(17)],
      ['%ZZ', '%ZZ'],
      ['truncated UTF-8', '%E0%A4%A'],
      ['encoded NUL', '%00'],
    ]) {
      add(op, `after ${name}`, 'refused', request(`${path}?after=${after}`));
    }
    add(
      op,
      'a query over the header limit',
      'refused',
      request(`${path}?after=1&x=${'y'.repeat(OVER_HEADER_LIMIT)}`),
    );
    add(op, 'double slash', 'refused', request(`/${path}`));
    add(op, 'upper case', 'refused', request(path.toUpperCase()));
    add(op, 'absolute form', 'refused', request(`http://127.0.0.1${path}`));
    add(op, 'absolute form with a bad port', 'refused', request(`http://x:99999${path}`));
    add(op, 'extra segment', 'refused', request(`${path}/x`));
    add(op, 'encoded slash', 'refused', request(path.replace('/ws', '%2Fws')));
    add(op, 'no credentials', 'refused', request(path, { auth: [] }));
    add(
      op,
      'a signed token of a user that does not exist',
      path === '/ws' ? 'either' : 'refused',
      request(path, { auth: [`Bearer ${ctx.ghostToken}`] }),
    );
    for (const [name, value] of ctx.badAuthorizations) {
      add(op, `Authorization ${name}`, 'refused', request(path, { auth: [value] }));
    }
    add(
      op,
      'bearer subprotocol without a token',
      'refused',
      request(path, {
        auth: [],
        extra: [['Sec-WebSocket-Protocol', 'bearer']],
      }),
    );
    add(
      op,
      'bearer subprotocol with an empty token',
      'refused',
      request(path, {
        auth: [],
        extra: [['Sec-WebSocket-Protocol', 'bearer, ']],
      }),
    );
    add(
      op,
      'bearer subprotocol with a forged token',
      'refused',
      request(path, {
        auth: [],
        extra: [['Sec-WebSocket-Protocol', 'bearer, eyJhbGciOiJub25lIn0.e30.']],
      }),
    );
    add(
      op,
      'bearer subprotocol over the header limit',
      'refused',
      request(path, {
        auth: [],
        extra: [['Sec-WebSocket-Protocol', `bearer, ${'a'.repeat(OVER_HEADER_LIMIT)}`]],
      }),
    );
    add(op, 'no Sec-WebSocket-Key', 'refused', request(path, { drop: ['Sec-WebSocket-Key'] }));
    add(
      op,
      'a bad Sec-WebSocket-Key',
      'refused',
      request(path, {
        drop: ['Sec-WebSocket-Key'],
        extra: [['Sec-WebSocket-Key', 'not base64 and too short']],
      }),
    );
    add(
      op,
      'Sec-WebSocket-Version 14',
      'refused',
      request(path, {
        drop: ['Sec-WebSocket-Version'],
        extra: [['Sec-WebSocket-Version', '14']],
      }),
    );
    add(
      op,
      'Sec-WebSocket-Version letters',
      'refused',
      request(path, {
        drop: ['Sec-WebSocket-Version'],
        extra: [['Sec-WebSocket-Version', 'abc']],
      }),
    );
    add(
      op,
      'no Sec-WebSocket-Version',
      'refused',
      request(path, { drop: ['Sec-WebSocket-Version'] }),
    );
    add(
      op,
      'Upgrade: h2c',
      'refused',
      request(path, { drop: ['Upgrade'], extra: [['Upgrade', 'h2c']] }),
    );
    add(op, 'Connection: Upgrade without Upgrade', 'refused', request(path, { drop: ['Upgrade'] }));
    add(
      op,
      'Upgrade with Connection: close',
      'refused',
      request(path, {
        drop: ['Connection'],
        extra: [['Connection', 'close']],
      }),
    );
    add(op, 'method POST', 'refused', request(path, { method: 'POST' }));
    // RFC 6455 asks for a Host; the ws library does not check it.
    add(op, 'no Host', 'either', request(path, { drop: ['Host'] }));
  }
  // `/ws` resumes from a stream position too: `<mark>[.<id>…]` (at most 500 ids).
  for (const [name, position, expect] of [
    ['0', '0', 'either'],
    ['a mark and ids', '5.7.9', 'either'],
    ['500 ids', ['1', ...Array.from({ length: 500 }, (_, i) => String(i + 2))].join('.'), 'either'],
    [
      '501 ids',
      ['1', ...Array.from({ length: 501 }, (_, i) => String(i + 2))].join('.'),
      'refused',
    ],
    ['empty', '', 'refused'],
    ['letters', 'abc', 'refused'],
    ['a trailing dot', '1.', 'refused'],
    ['a leading dot', '.1', 'refused'],
    ['two dots', '1..2', 'refused'],
    ['-1', '-1', 'refused'],
    ['an exponent', '1e3', 'refused'],
    ['2^53', '9007199254740992', 'refused'],
    ['17 digits', '1'.repeat(17), 'refused'],
    ['bad escape', '%ZZ', 'refused'],
    ['encoded NUL', '1.%00', 'refused'],
  ] as [string, string, Expectation][]) {
    add('GET /ws', `position ${name}`, expect, request(`/ws?position=${position}`));
  }
  add('GET /ws', 'position and after', 'refused', request('/ws?position=0&after=0'));
  add(
    'GET /ws/{chat_id}',
    'a malformed position on a chat socket',
    'refused',
    request(`/ws/${ctx.chatId}?position=0.x`),
  );

  const chatOp = 'GET /ws/{chat_id}';
  for (const [name, segment] of [
    ['0', '0'],
    ['letters', 'abc'],
    ['-1', '-1'],
    ['percent-encoded digit', '%31'],
    ['17 digits', '1'.repeat(17)],
    ['2^53+1', '9007199254740993'],
    ['unknown', '9007199254740991'],
    ['a chat the caller is not in', String(ctx.foreignChatId)],
    ['empty (double slash)', ''],
    ['bad escape', '%E0%A4%A'],
  ]) {
    add(chatOp, `chat_id ${name}`, 'refused', request(`/ws/${segment}/`));
  }
  for (const [name, target] of [
    ['"//"', '//'],
    ['"//a:99999/"', '//a:99999/'],
    ['"*"', '*'],
    ['"/"', '/'],
    ['"/%"', '/%'],
  ] as [string, string][]) {
    add('GET /ws', `target ${name}`, 'refused', request(target));
  }
  return out;
}
