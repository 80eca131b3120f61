/* harness/results/results.schema.json, generated from the zod results model
 * (ground/result-schema.ts) with z.toJSONSchema: draft-07, which the Ajv of
 * results-io.ts compiles (strict mode too). The file is committed; a test
 * checks it equals this output, so a model change without
 * `npm run gen:schema` fails. */
import { z } from 'zod';
import { CaseResultSchema, RunResultsSchema } from '../../ground/result-schema.ts';

type JsonSchema = Record<string, unknown>;

const SAFE_INT_BOUNDS = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];

/** The case variants as if/then/else on `state`: Ajv then reports the chosen variant's errors only, not five branches' worth. */
function caseByState(): JsonSchema {
  const variants = CaseResultSchema.options.map((o) => ({ state: o.shape.state.value, ref: `#/definitions/${String(o.meta()?.id)}` }));
  const last = variants.at(-1)!;
  const chain = variants.slice(0, -1).reduceRight<JsonSchema>(
    (rest, v) => ({ if: { properties: { state: { const: v.state } } }, then: { $ref: v.ref }, else: rest }),
    { $ref: last.ref },
  );
  return { type: 'object', required: ['state'], properties: { state: { enum: variants.map((v) => v.state) } }, ...chain };
}

/** `{allOf: [X]}` (how zod wraps a $ref for draft-07) is just X. */
function collapseSingleAllOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(collapseSingleAllOf);
  if (typeof node !== 'object' || node === null) return node;
  const o = node as JsonSchema;
  const all = o['allOf'];
  if (Array.isArray(all) && all.length === 1 && Object.keys(o).length === 1) return collapseSingleAllOf(all[0]);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, collapseSingleAllOf(v)]));
}

/** The JSON Schema of results.json, as an object. */
export function resultsJsonSchema(): JsonSchema {
  const generated = collapseSingleAllOf(z.toJSONSchema(RunResultsSchema, {
    target: 'draft-7',
    unrepresentable: 'throw',
    override(ctx) {
      const s = ctx.jsonSchema as JsonSchema;
      if (ctx.zodSchema === CaseResultSchema) {
        for (const k of Object.keys(s)) if (k !== 'description') delete s[k];
        Object.assign(s, caseByState());
      }
      // z.int() says "a safe integer": the bounds only add noise (results-io refuses magnitudes above 1e15 anyway).
      if (s['type'] === 'integer' || (Array.isArray(s['type']) && s['type'].includes('integer'))) {
        if (s['minimum'] === SAFE_INT_BOUNDS[0]) delete s['minimum'];
        if (s['maximum'] === SAFE_INT_BOUNDS[1]) delete s['maximum'];
      }
    },
  })) as JsonSchema;
  const { $schema, definitions, ...root } = generated;
  return {
    $schema,
    $id: 'https://xdp-bench.invalid/results.schema.json',
    title: 'xdp bench results.json',
    description: 'One run of xdp bench. GENERATED from ground/result-schema.ts by `npm run gen:schema`: do not edit. ' +
      'Rates are frames per second (*Pps), durations in ms or s as named.',
    ...root,
    definitions,
  };
}

/** The file's text: what `npm run gen:schema` writes and the test compares. */
export function resultsJsonSchemaText(): string {
  return `${JSON.stringify(resultsJsonSchema(), null, 2)}\n`;
}
