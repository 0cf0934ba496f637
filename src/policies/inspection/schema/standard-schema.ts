/**
 * The Standard Schema v1 interface (https://standardschema.dev), which zod (3.24+ and 4), valibot (1.0+), arktype
 * (2.0+) and others implement. The spec asks consumers to copy these types rather than depend on a package for them;
 * this is our own rendering of the same shape.
 */

export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1Props<Input, Output>;
}

export interface StandardSchemaV1Props<Input = unknown, Output = Input> {
  /** The version of the standard: always 1. */
  readonly version: 1;
  /** The library that made the schema (`'zod'`, `'valibot'`, `'arktype'`…). */
  readonly vendor: string;
  /** Validate a value: the result, or a promise of it when the schema has asynchronous parts. */
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  /** Types only, for inference; absent at run time. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** Success when `issues` is undefined; `value` is then the validator's output (coerced, defaults applied). */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };

export interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | StandardPathSegment)[] | undefined;
}

export interface StandardPathSegment {
  readonly key: PropertyKey;
}

/** The output type of a schema. */
export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
