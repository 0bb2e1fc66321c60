import { MAX_JSON_DEPTH, jsonShapeProblem } from './json-shape';

describe('jsonShapeProblem', () => {
  it('accepts ordinary bodies', () => {
    expect(jsonShapeProblem({ title: 'A', artists: ['x', 'y'], nested: { a: [1, { b: 'c' }] } })).toBeUndefined();
    expect(jsonShapeProblem(null)).toBeUndefined();
    expect(jsonShapeProblem('plain')).toBeUndefined();
  });

  it('refuses nesting deeper than the limit, without recursing itself', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonShapeProblem(deep)?.message).toMatch(/nested deeper/);
    let atLimit: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) atLimit = { a: atLimit };
    expect(jsonShapeProblem(atLimit)).toBeUndefined();
    expect(jsonShapeProblem({ wrap: atLimit })?.message).toMatch(/nested deeper/);
  });

  it('refuses NUL in values and keys', () => {
    expect(jsonShapeProblem({ name: 'a\u0000b' })).toEqual({ field: 'name', message: 'name must not contain a NUL character' });
    expect(jsonShapeProblem({ list: ['ok', 'x\u0000'] })?.field).toBe('list.1');
    expect(jsonShapeProblem({ ['k\u0000']: 1 })?.message).toMatch(/NUL/);
  });

  it('refuses prototype-reaching keys at any depth', () => {
    expect(jsonShapeProblem(JSON.parse('{"__proto__": {"admin": true}}'))).toEqual({ field: '__proto__', message: '__proto__ is not a recognised property' });
    expect(jsonShapeProblem(JSON.parse('{"a": [{"constructor": {"prototype": 1}}]}'))?.field).toBe('a.0.constructor');
  });
});
