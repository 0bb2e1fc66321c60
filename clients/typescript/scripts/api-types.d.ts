/** The client's src/api-types.ts for an OpenAPI 3 document. */
export declare function generateApiTypes(document: object): Promise<string>;
