// The OpenAPI paths of the broker. Until the generated client's types are in the repository this
// is open; the console's calls are then checked against the document by the type checker.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type paths = any;
